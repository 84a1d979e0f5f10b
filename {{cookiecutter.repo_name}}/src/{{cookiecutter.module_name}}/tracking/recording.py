"""Everything a run writes to MLflow, and what must be settled before MLflow is imported.

The workflows tell the story of a run (load, fit, score, decide); this module is the one
place that knows how each fact is recorded: which parameters, tags, inputs, metrics,
figures and tables a run gets, under which names. Every write is idempotent and retried
when it loses a race with another writer or finds the server busy (see :mod:`.retries`).
A run's ``run_type`` tag says which workflow wrote it, so the UI and ``search_runs`` can
filter them apart.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import interrupts, provenance, signatures
from ..config import dump_yaml
from ..paths import PROJECT_ROOT
from .environment import quiet_dataset_warnings
from .retries import cleanup_wait_seconds, retried

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure
    from mlflow.data.dataset import Dataset as MlflowDataset
    from mlflow.entities import Run

    from ..config import ExperimentConfig
    from ..datasets import Dataset, Split
    from ..evaluation import Evaluation, Predictions
    from ..models import Model

logger = logging.getLogger(__name__)

RUN_TYPE_TAG = "run_type"
HOST_TAG, PID_TAG = "process.host", "process.pid"
CONFIG_ARTIFACT = "config.yaml"
DATASET_VERSION_PARAM = "dataset.version"
REPRODUCES_TAG = "reproduces"
SIGNER_TAG = "model.signed_by"
DECISION_TAG = "decision"
TRAINING, EVALUATION = "training", "evaluation"


class MissingRunError(LookupError):
    """A run, or a record a run should hold, is not in the store; the message says which."""


@contextmanager
def tracked_run(
    experiment_id: str,
    run_type: str,
    tags: Mapping[str, str] | None = None,
    *,
    run_name: str | None = None,
    description: str | None = None,
    parent_run_id: str | None = None,
) -> Iterator[Run]:
    """Start a run of the given type (``train``, ``promotion``...), ended when the block ends.

    The run is named ``run_name`` (default: its type, never one of MLflow's random names)
    and ``description`` is its note, shown on the run's page.

    The run ends FINISHED if the block completes, KILLED if the process was asked to stop
    (Ctrl-C or SIGTERM, even if a library swallowed the signal on the way), and FAILED on
    any error. It is tagged with this machine and process, so that a run whose process died
    without a word (SIGKILL, power cut) can be found and closed later
    (:func:`close_abandoned_runs`). With ``parent_run_id`` it is nested under that run.
    """
    import mlflow

    all_tags = {RUN_TYPE_TAG: run_type, **_process_tags(), **(tags or {})}
    run = retried(
        lambda: mlflow.start_run(
            experiment_id=experiment_id,
            run_name=run_name or run_type,
            tags=all_tags,
            description=description or None,
            parent_run_id=parent_run_id,
        )
    )
    try:
        yield run
        if interrupts.received() is not None:  # a signal that something swallowed
            raise interrupts.Interrupted(interrupts.received())
    except (interrupts.Interrupted, KeyboardInterrupt):
        _end(run.info.run_id, "KILLED", after_error=True)
        raise
    except BaseException:
        _end(run.info.run_id, "FAILED", after_error=True)
        raise
    _end(run.info.run_id, "FINISHED", after_error=False)


@dataclass(frozen=True)
class RunEnd:
    """How a run of this process ended: the status it was given, and whether it was recorded.

    Attributes:
        run_id: The run.
        status: FINISHED, FAILED or KILLED.
        recorded: False if the store did not answer: the run is still RUNNING there, until
            ``close-stale`` or the next command on this machine closes it.
    """

    run_id: str
    status: str
    recorded: bool


_ENDS: list[RunEnd] = []


def _end(run_id: str, status: str, *, after_error: bool) -> None:
    """End the active run with ``status``, retried; after an error, never raise instead of it.

    MLflow takes the run off its active stack before asking the store, so a failed request
    is retried with the client, not by ending the run again (which would do nothing).
    """
    import mlflow

    try:
        try:
            mlflow.end_run(status)
        except Exception:
            wait = cleanup_wait_seconds() if after_error else None
            client = mlflow.MlflowClient()
            retried(lambda: client.set_terminated(run_id, status), max_wait=wait)
    except Exception as error:
        _ENDS.append(RunEnd(run_id, status, recorded=False))
        if not after_error:
            raise
        logger.warning("Could not mark run %s %s: %s", run_id, status, error)
        return
    _ENDS.append(RunEnd(run_id, status, recorded=True))


def take_run_ends() -> list[RunEnd]:
    """Return how this process's runs ended since the last call (for the command's last words)."""
    ends = list(_ENDS)
    _ENDS.clear()
    return ends


def close_abandoned_runs(experiment_id: str, older_than_hours: float | None = None) -> list[str]:
    """Mark as KILLED the runs left RUNNING by a process that can no longer end them.

    A RUNNING run is abandoned when it was started on this machine by a process that no
    longer exists, or, with ``older_than_hours``, when it started longer ago than that
    (whatever machine it ran on). Returns the ids of the runs closed.
    """
    import mlflow

    client = mlflow.MlflowClient()
    running = retried(
        lambda: client.search_runs([experiment_id], filter_string="attributes.status = 'RUNNING'")
    )
    now_ms = time.time() * 1000
    closed = []
    for run in running:
        tags = run.data.tags
        gone = tags.get(HOST_TAG) == socket.gethostname() and not _alive(tags.get(PID_TAG))
        too_old = older_than_hours is not None and (
            now_ms - run.info.start_time > older_than_hours * 3_600_000
        )
        if gone or too_old:
            reason = "its process is gone" if gone else f"running for over {older_than_hours} h"
            tags = {"closed_because": reason, **_what_a_promotion_did(run)}
            retried(lambda r=run, t=tags: client.log_batch(r.info.run_id, tags=_tags(t)))
            retried(lambda r=run: client.set_terminated(r.info.run_id, "KILLED"))
            closed.append(run.info.run_id)
    return closed


def _what_a_promotion_did(run: Run) -> dict[str, str]:
    """For a promotion run that died before recording its decision, the decision it made.

    The champion alias moves before the run is tagged ``decision=promoted``: a process
    killed in between (SIGKILL) leaves an alias that moved and a run that does not say so.
    The run is told the truth now: promoted if the alias points at its challenger with this
    run's baseline; else nothing changed, and baseline tags it left on the challenger go.
    """
    from . import registry

    params = run.data.params
    if run.data.tags.get(RUN_TYPE_TAG) != "promotion" or DECISION_TAG in run.data.tags:
        return {}
    name, challenger = params.get("registered_model"), params.get("challenger_version")
    champion = registry.version_by_alias(name, registry.CHAMPION_ALIAS) if name else None
    moved = (
        champion is not None
        and str(champion.version) == challenger
        and (champion.tags or {}).get(registry.BASELINE_RUN_TAG) == run.info.run_id
    )
    if not moved and name and challenger:
        registry.drop_baseline_of(name, challenger, run.info.run_id)
    return {DECISION_TAG: "promoted" if moved else "none"}


def _process_tags() -> dict[str, str]:
    return {HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())}


def _alive(pid: str | None) -> bool:
    """Whether a process with this id exists on this machine (unknown ids count as alive)."""
    if pid is None or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def log_config(config: ExperimentConfig, dataset: Dataset, split: Split) -> None:
    """Log the config as flat parameters (plus the data's identity) and as a YAML artifact.

    Three digests identify the data, each of different rows (docs/tracking.md):
    ``dataset.version`` of the whole dataset, ``split.train_digest`` of the training rows
    and ``split.test_digest`` of the held-out rows; the last two are also the digests of the
    run's ``training`` and ``evaluation`` inputs.
    """
    import mlflow

    from ..datasets import content_digest

    params = {
        **config.to_params(),
        DATASET_VERSION_PARAM: dataset.version,
        "split.train_rows": len(split.train_target),
        "split.test_rows": len(split.test_target),
        "split.train_digest": content_digest(split.train_features, split.train_target),
        "split.test_digest": content_digest(split.test_features, split.test_target),
    }
    retried(lambda: mlflow.log_params(params))
    with tempfile.TemporaryDirectory(prefix="config-") as folder:  # read by run_config()
        path = Path(folder) / CONFIG_ARTIFACT
        path.write_text(dump_yaml(config.to_dict()), encoding="utf-8")
        signatures.sign_file(path)
        retried(lambda: mlflow.log_artifacts(folder))
    if config.source is not None:
        retried(lambda: mlflow.set_tag("config_file", _relative(config.source)))


def log_signer(signer: str) -> None:
    """Tag who signed the run's model (the trusted signer's key name)."""
    import mlflow

    retried(lambda: mlflow.set_tag(SIGNER_TAG, signer))


def log_model_trust(uri: str, signer: str | None, role: str = "model") -> None:
    """Record which model a run used and why it was trusted: its signer, or the user's opt-in.

    ``role`` names the model among several (``challenger``, ``champion``).
    """
    import mlflow

    tags = {f"{role}.uri": uri}
    tags |= {f"{role}.signed_by": signer} if signer else {f"{role}.trusted_unsigned": "true"}
    retried(lambda: mlflow.set_tags(tags))


def log_outcome(decision: str) -> None:
    """Tag what a decision run did (``decision``), once it is done: the tag is the record."""
    import mlflow

    retried(lambda: mlflow.set_tag(DECISION_TAG, decision))


def log_hyperparameters(model: Model) -> None:
    """Log every setting of the model, defaults included, as ``hyperparameters.<name>``."""
    import mlflow

    params = {
        f"hyperparameters.{key}": str(value) for key, value in model.hyperparameters().items()
    }
    if params:
        retried(lambda: mlflow.log_params(params))


def log_provenance() -> None:
    """Tag the code version and runtime, and log the uncommitted diff and environment files."""
    import mlflow

    state = provenance.git_state(PROJECT_ROOT)
    tags = {**provenance.source_tags(state), **provenance.runtime_tags()}
    retried(lambda: mlflow.set_tags(tags))
    if state.diff:
        retried(lambda: mlflow.log_text(state.diff, "code/uncommitted.diff"))
    for path in provenance.environment_files(PROJECT_ROOT):
        retried(lambda p=path: mlflow.log_artifact(str(p), artifact_path="environment"))
    packages = provenance.installed_packages()
    retried(lambda: mlflow.log_text(packages, "environment/installed-packages.txt"))


def rows_input(dataset: Dataset, features: pd.DataFrame, target: pd.Series) -> MlflowDataset:
    """Describe rows of a dataset as an MLflow dataset: its name, source and content digest."""
    import mlflow
    import pandas as pd

    from ..datasets import content_digest

    with quiet_dataset_warnings():
        return mlflow.data.from_pandas(
            pd.concat([features, target], axis=1),
            source=dataset.source or None,
            name=dataset.name,
            targets=str(target.name),
            digest=content_digest(features, target),
        )


def file_input(path: Path, digest: str, rows: int) -> MlflowDataset:
    """Describe an input file by its name, location and byte digest, without reading it."""
    from mlflow.data.meta_dataset import MetaDataset
    from mlflow.data.sources import LocalArtifactDatasetSource

    return MetaDataset(
        LocalArtifactDatasetSource(str(path.resolve())),
        name=f"{path.name} ({rows} rows)",
        digest=digest,
    )


def log_inputs(**inputs: MlflowDataset) -> None:
    """Log datasets as the run's inputs, each under its context (``training=...``)."""
    import mlflow

    with quiet_dataset_warnings():
        for context, dataset in inputs.items():
            # Concurrent runs logging the same dataset race to insert it: retried.
            retried(lambda d=dataset, c=context: mlflow.log_input(d, context=c))


def input_digest(run: Run, context: str) -> str | None:
    """Return the digest of the run's input logged under ``context``, if any."""
    for item in run.inputs.dataset_inputs:
        if any(t.key == "mlflow.data.context" and t.value == context for t in item.tags):
            return item.dataset.digest
    return None


def finished_training_runs(experiment_id: str) -> list[Run]:
    """Return an experiment's finished ``train`` runs, newest first."""
    import mlflow

    return mlflow.search_runs(
        experiment_ids=[experiment_id],
        filter_string=f"tags.{RUN_TYPE_TAG} = 'train' and attributes.status = 'FINISHED'",
        order_by=["attributes.start_time DESC"],
        output_format="list",
    )


def find_run(run_id: str) -> Run | None:
    """Return a run by id, or None if the store has no such run."""
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        return retried(lambda: mlflow.get_run(run_id))
    except MlflowException as error:
        missing = error.get_http_status_code() == 404 or "not found" in str(error).lower()
        if missing or error.error_code == "INVALID_PARAMETER_VALUE":  # not even a run id
            return None
        raise


def reproduction_tags(original_run_id: str, notes: Sequence[str]) -> dict[str, str]:
    """Tags of a run that reproduces another: its type, the original, what differed."""
    tags = {RUN_TYPE_TAG: "reproduction", REPRODUCES_TAG: original_run_id}
    if notes:
        tags["reproduction.notes"] = "; ".join(notes)
    return tags


def record_reproduction(
    run_id: str,
    metrics: Mapping[str, tuple[float, float | None]],
    verdict: str,
    tolerance: float,
) -> None:
    """Record on a finished reproduction run its verdict and each metric's difference."""
    import mlflow

    differences = {
        f"reproduction.difference.{name}": again - value
        for name, (value, again) in metrics.items()
        if again is not None
    }
    retried(
        lambda: mlflow.MlflowClient().log_batch(
            run_id,
            metrics=_metrics(differences),
            params=_params({"reproduction.tolerance": str(tolerance)}),
            tags=_tags({"reproduction.verdict": verdict}),
        )
    )


def run_config(run_id: str) -> ExperimentConfig:
    """Rebuild the config a run logged (its ``config.yaml`` artifact), if it can be trusted.

    Building a config's blocks imports and calls what it names, so a config read back from
    the store is used only if a trusted signer signed it with the run, or, unsigned (runs
    logged before configs were signed), if it names only this project's blocks and
    scikit-learn estimators (:func:`..imports.untrusted_import_paths`).

    Raises:
        UntrustedModelError: The config was changed after it was signed, or it is unsigned
            and names other code.
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    from ..config import parse_config
    from ..imports import untrusted_import_paths

    what = f"The config of run {run_id}"
    with tempfile.TemporaryDirectory(prefix="config-") as folder:
        path = Path(folder) / CONFIG_ARTIFACT
        for name in (CONFIG_ARTIFACT, signatures.signature_of(path).name):
            with contextlib.suppress(MlflowException):  # a missing signature is checked below
                retried(
                    lambda n=name: mlflow.artifacts.download_artifacts(
                        run_id=run_id, artifact_path=n, dst_path=folder
                    )
                )
        if not path.is_file():
            raise MissingRunError(f"Run {run_id} logged no {CONFIG_ARTIFACT}")
        try:
            signatures.verify(path, signatures.signature_of(path), what)
            signed = True
        except signatures.UnsignedModelError:
            signed = False
        config = parse_config(path.read_text(encoding="utf-8"))
    if not signed and (untrusted := untrusted_import_paths(config)):
        raise signatures.UntrustedModelError(
            f"{what} is not signed by a trusted signer and names code outside this project and "
            f"scikit-learn's estimators: {', '.join(untrusted)}. It was not used: building it "
            "would run that code. Train again from a config file you trust."
        )
    return config


def log_evaluation(
    evaluation: Evaluation,
    target: pd.Series,
    predictions: Predictions,
    *,
    model_id: str | None = None,
    rows: MlflowDataset | None = None,
    prefix: str = "",
) -> None:
    """Log metrics in one batch (linked to the model and rows), figures and per-row results.

    Args:
        evaluation: The metrics and figures.
        target: The true values, indexed like the dataset's rows.
        predictions: The model's predictions and scores for those rows.
        model_id: The logged model the metrics belong to, if any.
        rows: The evaluated rows as an MLflow dataset, if logged.
        prefix: Put before every name, e.g. ``challenger.``, to log several models in a run.
    """
    import mlflow

    metrics = {f"{prefix}{name}": value for name, value in evaluation.metrics.items()}
    retried(lambda: mlflow.log_metrics(metrics, model_id=model_id, dataset=rows))
    folder = f"figures/{prefix.rstrip('.')}/" if prefix else "figures/"
    for name, figure in evaluation.figures.items():
        retried(lambda f=figure, n=name: mlflow.log_figure(f, f"{folder}{n}.png"))
    table = predictions_table(target, predictions).to_csv(index_label="row")
    retried(lambda: mlflow.log_text(table, f"evaluation/{prefix}predictions.csv"))


def predictions_table(target: pd.Series | None, predictions: Predictions) -> pd.DataFrame:
    """Return predictions (and true values, and scores) as a table, one row per input row."""
    import pandas as pd

    table = pd.DataFrame({"prediction": predictions.labels})
    if target is not None:
        table.index = target.index
        table.insert(0, "y_true", target.to_numpy())
    scores = predictions.scores
    if scores is not None:
        names = [f"score_{i}" for i in range(scores.shape[1])] if scores.ndim == 2 else ["score"]
        table[names] = scores.reshape(len(table), -1)
    return table


def log_decision(params: Mapping[str, Any], tags: Mapping[str, str]) -> None:
    """Log what a decision was based on (parameters) and what was decided (tags)."""
    import mlflow

    retried(lambda: mlflow.log_params({key: str(value) for key, value in params.items()}))
    retried(lambda: mlflow.set_tags(dict(tags)))


def log_values(metrics: Mapping[str, float]) -> None:
    """Log plain metrics of the active run in one batch."""
    import mlflow

    retried(lambda: mlflow.log_metrics(dict(metrics)))


def log_report(report: Mapping[str, Any], name: str) -> None:
    """Log a JSON report of the active run."""
    import mlflow

    retried(lambda: mlflow.log_dict(dict(report), f"{name}.json"))


def log_figure(figure: Figure, name: str) -> None:
    """Log a figure of the active run as a PNG under ``figures/``."""
    import mlflow

    retried(lambda: mlflow.log_figure(figure, f"figures/{name}.png"))


def _relative(path: Path) -> str:
    try:
        return path.resolve().relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return str(path)


# --- Sweeps: one parent run per Optuna study, shared by every worker of the study ---------
# The parent belongs to the study, not to a process: it has no process tags, so another
# command never closes it as abandoned while some worker still runs trials under it.

SWEEP_RUN_TYPE = "sweep"
SWEEP_STUDY_TAG, SWEEP_TRIAL_TAG = "sweep.study", "sweep.trial"
SWEEP_BEST_PREFIX = "sweep.best."


def create_sweep_run(
    experiment_id: str, study: str, storage: str, settings: Mapping[str, Any]
) -> str:
    """Create a sweep's parent run (RUNNING) and return its id.

    Args:
        experiment_id: The experiment of the trials.
        study: The Optuna study's name.
        storage: Where the study is stored, without any password.
        settings: The study's objective and search space, logged as parameters.
    """
    import mlflow

    client = mlflow.MlflowClient()
    tags = {
        RUN_TYPE_TAG: SWEEP_RUN_TYPE,
        SWEEP_STUDY_TAG: study,
        "sweep.storage": storage,
        "mlflow.runName": f"sweep {study}",
    }
    run = retried(lambda: client.create_run(experiment_id, tags=tags))
    run_id = run.info.run_id
    params = {key: str(value) for key, value in settings.items()}
    retried(lambda: client.log_batch(run_id, params=_params(params)))
    return run_id


def sweep_run_exists(run_id: str) -> bool:
    """Whether a sweep's parent run is in the current store (a study may outlive a store)."""
    run = find_run(run_id)
    return run is not None and run.info.lifecycle_stage == "active"


def reopen_sweep_run(run_id: str) -> None:
    """Mark a sweep's parent run RUNNING again: a worker is adding trials to it."""
    import mlflow

    retried(lambda: mlflow.MlflowClient().update_run(run_id, status="RUNNING"))


def record_sweep(
    run_id: str,
    summary: Mapping[str, Any],
    best_params: Mapping[str, Any],
    figures: Mapping[str, Figure],
    status: str | None,
) -> None:
    """Write what the study knows so far on its parent run; every worker may do it again.

    Args:
        run_id: The parent run.
        summary: The study's counts, best value and trial, and the held-out rows' digest:
            numbers become metrics, the rest tags.
        best_params: The best trial's parameters, tagged ``sweep.best.<name>`` (tags, not
            parameters: the best trial changes as trials are added, and MLflow parameters
            cannot change).
        figures: Optuna's figures, logged under ``figures/``.
        status: End the run with this status (FINISHED, KILLED); None: leave it RUNNING.
    """
    import mlflow

    client = mlflow.MlflowClient()
    numbers = {
        k: float(v)
        for k, v in summary.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    }
    tags = {f"sweep.{k}": str(v) for k, v in summary.items() if k not in numbers}
    tags.update({f"{SWEEP_BEST_PREFIX}{k}": str(v) for k, v in best_params.items()})
    retried(lambda: client.log_batch(run_id, metrics=_metrics(numbers), tags=_tags(tags)))
    report = {**summary, "best_params": dict(best_params)}
    retried(lambda: client.log_dict(run_id, report, "sweep.json"))
    for name, figure in figures.items():
        retried(lambda f=figure, n=name: client.log_figure(run_id, f, f"figures/{n}.png"))
    if status is not None:
        retried(lambda: client.set_terminated(run_id, status))


def _params(values: Mapping[str, str]) -> list[Any]:
    from mlflow.entities import Param

    return [Param(key, value) for key, value in values.items()]


def _tags(values: Mapping[str, str]) -> list[Any]:
    from mlflow.entities import RunTag

    return [RunTag(key, value) for key, value in values.items()]


def _metrics(values: Mapping[str, float]) -> list[Any]:
    from mlflow.entities import Metric

    now = int(time.time() * 1000)
    return [Metric(key, value, now, 0) for key, value in values.items()]
