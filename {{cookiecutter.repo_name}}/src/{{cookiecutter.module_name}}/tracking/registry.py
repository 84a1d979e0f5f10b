"""The model registry: versions, and the ``candidate`` and ``champion`` aliases.

Conventions of this project:

- every training run registers its model and points ``candidate`` at the new version;
- ``promote`` points ``champion`` at the version in use (batch predictions, the REST API,
  monitoring), with its baseline (:mod:`.champions`);
- a version whose training run did not finish is withdrawn (:func:`withdraw_unfinished`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

from .. import interrupts
from .retries import cleanup_wait_seconds, retried, retried_creation

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from mlflow.entities import Run
    from mlflow.entities.model_registry import ModelVersion

CANDIDATE_ALIAS = "candidate"
CHAMPION_ALIAS = "champion"


def alias_uri(name: str, alias: str) -> str:
    """Return the model URI of an alias, e.g. ``models:/churn@champion``."""
    return f"models:/{name}@{alias}"


CARD_LINE = "Model card of the latest promotion decision:"
MODEL_CARD = "MODEL_CARD.md"  # the file of a promotion run that a version links to


def version_uri(version: ModelVersion) -> str:
    """Return the model URI of one version, e.g. ``models:/churn/3``."""
    return f"models:/{version.name}/{version.version}"


def register(
    model_uri: str,
    name: str,
    *,
    description: str | None = None,
    metrics: Mapping[str, float] | None = None,
) -> ModelVersion:
    """Register a logged model as a new version of ``name`` (created if needed).

    Args:
        model_uri: The logged model.
        name: The registered model.
        description: The version's description, shown on its page.
        metrics: Its metrics, stored as version tags (``roc_auc``: ``0.9971``) so that the
            registry's pages show them next to each version.
    """
    import mlflow

    client = mlflow.MlflowClient()
    # Registering is not idempotent: a busy server may write a version and lose the answer.
    # The versions of this model are noted first, so that a retry takes up the one an
    # earlier try made, and a twin the server wrote after the retry looked is deleted.
    of_this_model = f"name = '{name}' and source_path = '{model_uri}'"

    def versions_of_this_model() -> set[str]:
        found = retried(lambda: client.search_model_versions(of_this_model))
        return {str(each.version) for each in found}

    before = versions_of_this_model()

    def register_now() -> ModelVersion:
        with _registration_notices_quiet():
            return mlflow.register_model(model_uri, name)

    def registered_earlier() -> ModelVersion | None:
        made = versions_of_this_model() - before
        return client.get_model_version(name, min(made, key=int)) if made else None

    version, was_retried = retried_creation(register_now, registered_earlier, conflicts=False)
    if was_retried:
        for twin in versions_of_this_model() - before - {str(version.version)}:
            retried(lambda t=twin: client.delete_model_version(name, t))
            logger.warning(
                "Deleted version %s of %r: a twin of version %s", twin, name, version.version
            )
    if description:
        retried(lambda: client.update_model_version(name, version.version, description))
    for metric, value in (metrics or {}).items():
        tag = f"{value:.4g}"
        retried(lambda m=metric, t=tag: client.set_model_version_tag(name, version.version, m, t))
    return version


@contextmanager
def _registration_notices_quiet() -> Iterator[None]:
    """Silence MLflow's "Successfully registered model..." notices unless it logs at INFO.

    MLflow prints them to its log stream directly, not through a logger, so its log level
    (``MLFLOW_LOGGING_LEVEL``, ``-v``) does not reach them; this mutes that stream instead.
    """
    from mlflow.utils import logging_utils

    if logging.getLogger("mlflow").isEnabledFor(logging.INFO):
        yield
        return
    logging_utils.disable_logging()
    try:
        yield
    finally:
        logging_utils.enable_logging()


def set_alias(name: str, alias: str, version: ModelVersion | str) -> None:
    """Point ``alias`` of the registered model ``name`` at a version.

    Moving an alias is idempotent; two processes moving it at once race to insert it, and
    the loser tries again.
    """
    import mlflow

    number = version if isinstance(version, str) else version.version
    client = mlflow.MlflowClient()
    retried(lambda: client.set_registered_model_alias(name, alias, str(number)))


@contextmanager
def withdrawn_unless_finished(run_id: str) -> Iterator[None]:
    """Delete every version the run registered (and so its aliases) if the block fails.

    Also when a signal was received and swallowed on the way: the run will end KILLED. If
    the store does not answer, the error that stopped the block is still the one raised:
    the next command, or ``close-stale``, withdraws the versions of runs that did not finish.
    """
    try:
        yield
        if interrupts.received() is not None:
            raise interrupts.Interrupted(interrupts.received())
    except BaseException:
        import mlflow

        client = mlflow.MlflowClient()
        try:
            found = retried(
                lambda: client.search_model_versions(f"run_id = '{run_id}'"),
                max_wait=cleanup_wait_seconds(),
            )
            for version in found:
                retried(
                    lambda v=version: client.delete_model_version(v.name, v.version),
                    max_wait=cleanup_wait_seconds(),
                )
        except Exception as error:
            logger.warning("Could not withdraw the versions of run %s yet: %s", run_id, error)
        raise


def version_by_alias(name: str, alias: str) -> ModelVersion | None:
    """Return the version an alias points at, or None if the alias (or model) does not exist."""
    import mlflow

    return _unless_missing(lambda: mlflow.MlflowClient().get_model_version_by_alias(name, alias))


def get_version(name: str, number: str) -> ModelVersion | None:
    """Return one version of a registered model, or None if it does not exist."""
    import mlflow

    return _unless_missing(lambda: mlflow.MlflowClient().get_model_version(name, number))


def _unless_missing(lookup: Callable[[], ModelVersion]) -> ModelVersion | None:
    """Run a registry lookup; None when what it looks for does not exist."""
    from mlflow.exceptions import MlflowException

    try:
        return lookup()
    except MlflowException as error:
        if error.get_http_status_code() == 404 or "not found" in str(error).lower():
            return None
        raise


def versions_by_run(name: str | None) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Map each run id to the version of ``name`` it logged and that version's aliases."""
    import mlflow

    if not name:
        return {}
    client = mlflow.MlflowClient()
    versions = client.search_model_versions(f"name = '{name}'")
    if not versions:
        return {}
    # Searched versions do not carry their aliases on every store: the model has them all.
    aliases = client.get_registered_model(name).aliases
    return {
        str(version.run_id): (
            str(version.version),
            tuple(
                sorted(a for a, number in aliases.items() if str(number) == str(version.version))
            ),
        )
        for version in versions
        if version.run_id
    }


def training_run(version: ModelVersion) -> Run:
    """Return the run that logged a version's model."""
    import mlflow

    return mlflow.get_run(version.run_id)


def withdraw_unfinished(name: str | None, experiment_id: str) -> list[str]:
    """Delete the versions of ``name`` whose training run, in the experiment, did not finish.

    A version registered by a run that then failed or was killed (a SIGKILL between
    registering and ending the run, closed since as KILLED) must not stay in the registry,
    where an alias could point at it. Versions of runs still RUNNING are left alone: their
    process may be about to finish them. Returns the version numbers deleted.
    """
    import mlflow

    if not name:
        return []
    client = mlflow.MlflowClient()
    versions = retried(lambda: client.search_model_versions(f"name = '{name}'"))
    by_run = {str(version.run_id): version for version in versions if version.run_id}
    if not by_run:
        return []
    listed = ", ".join(f"'{run_id}'" for run_id in by_run)
    # The store picks the runs that ended otherwise than FINISHED (MLflow's filters take no
    # list of statuses): reading every version's run would grow with the registry's history.
    ended_otherwise = retried(
        lambda: client.search_runs(
            [experiment_id],
            filter_string=(
                f"attributes.run_id IN ({listed}) AND attributes.status != 'FINISHED'"
                " AND attributes.status != 'RUNNING'"
            ),
        )
    )
    withdrawn = []
    for run in ended_otherwise:
        if run.info.status in ("FAILED", "KILLED"):
            version = by_run[run.info.run_id]
            retried(lambda v=version: client.delete_model_version(v.name, v.version))
            withdrawn.append(str(version.version))
    return withdrawn


def link_model_card(version: ModelVersion, run_id: str) -> None:
    """Point a version's description at the model card of its latest promotion decision."""
    import mlflow

    client = mlflow.MlflowClient()
    current = retried(lambda: client.get_model_version(version.name, str(version.version)))
    kept = [
        line for line in (current.description or "").splitlines() if not line.startswith(CARD_LINE)
    ]
    description = "\n".join([*kept, f"{CARD_LINE} runs:/{run_id}/{MODEL_CARD}"])
    retried(
        lambda: client.update_model_version(
            version.name, str(version.version), description=description
        )
    )
