"""Predict: score a CSV or Parquet file with a registered model, in chunks, as a tracked run.

The input is checked against the model's signature before any row is scored; the output is
written to a temporary file and moved into place at the end, and an existing output is only
replaced when asked. Chunks keep memory flat however large the file is.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import naming, tables
from ..paths import DATA_DIR
from ..tracking import decision_records, model_inputs, model_store, recording, registry, runs
from . import steps

if TYPE_CHECKING:
    import pandas as pd

    from ..config import ExperimentConfig
    from ..evaluation import Predictions
    from ..tracking.model_store import StoredModel

logger = logging.getLogger(__name__)

CHUNK_ROWS = 50_000
HEAD_ROWS = 1_000
PREDICTIONS_DIR = DATA_DIR / "predictions"


@dataclass(frozen=True)
class PredictionSummary:
    """Where the predictions went and the run that recorded them."""

    output: Path
    rows: int
    model_uri: str
    run: steps.RunSummary


def default_output(input_path: Path) -> Path:
    """Return where predictions of a file go by default: ``data/predictions/<name>``."""
    return PREDICTIONS_DIR / f"{input_path.stem}.predictions{input_path.suffix}"


def predict(
    config: ExperimentConfig,
    input_path: Path,
    *,
    model_uri: str | None = None,
    output: Path | None = None,
    keep: Sequence[str] = (),
    overwrite: bool = False,
    chunk_rows: int = CHUNK_ROWS,
) -> PredictionSummary:
    """Score every row of ``input_path`` and write the predictions (and scores) to a file.

    Args:
        config: Names the experiment the run goes to and the registered model.
        input_path: A CSV or Parquet file with the model's input columns.
        model_uri: The model; defaults to ``models:/<registered_model>@champion``.
        output: The predictions file (CSV or Parquet); see :func:`default_output`.
        keep: Input columns copied to the output next to the predictions, e.g. an id.
        overwrite: Replace an existing output file.
        chunk_rows: Rows read and scored at a time.

    Raises:
        steps.RefusedError: A missing input, an input that does not match the model's signature,
            or an existing output without ``overwrite``.
    """
    if model_uri is None:
        model_uri = registry.alias_uri(steps.registered_name(config), registry.CHAMPION_ALIAS)
    output = output or default_output(input_path)
    _check_paths(input_path, output, overwrite)
    progress = steps.Progress(3, logger)
    uri, experiment_id = steps.open_experiment(config)
    progress.step("Loading %s; checking %s against its signature", model_uri, input_path.name)
    stored = model_store.load(model_uri, trust_unsigned=config.trust_pickle)
    _check_columns(tables.columns(input_path), stored.input_names, keep)
    head = tables.head(input_path, HEAD_ROWS)  # the first rows are checked before any work
    if head.empty:
        raise steps.RefusedError(f"{input_path} has no rows to score")
    _scored(stored, _features(head, stored, keep, first_row=1), first_row=1)
    digest, total = tables.digest_and_rows(input_path)
    job = ScoringJob(stored, input_path, output, tuple(keep), overwrite, chunk_rows, total)

    run_name = f"predict {input_path.name} with {naming.model_label(model_uri)}"
    with runs.tracked_run(experiment_id, "predict", run_name=run_name) as run:
        recording.log_inputs(inference=recording.file_input(input_path, digest, total))
        recording.log_model_trust(stored.uri, stored.signer)
        progress.step("Scoring %d rows in chunks of %d", total, chunk_rows)
        started = time.perf_counter()
        rows = _score_file(job)
        seconds = time.perf_counter() - started
        progress.step("Wrote %d predictions to %s", rows, output)
        decision_records.record_prediction(
            model_uri, stored.version, input_path, digest, output, keep, rows, seconds
        )
    summary = steps.RunSummary(
        run_id=run.info.run_id,
        experiment_id=experiment_id,
        tracking_uri=uri,
        metrics={"rows": rows},
        model_uri=model_uri,
    )
    return PredictionSummary(output=output, rows=rows, model_uri=model_uri, run=summary)


@dataclass(frozen=True)
class ScoringJob:
    """What scoring a file needs: the model, where rows come from and go, how many at once.

    Attributes:
        stored: The loaded, verified model and its input columns.
        input_path: The file to score.
        output: Where the predictions go.
        keep: Input columns copied next to the predictions.
        overwrite: Whether an existing output may be replaced.
        chunk_rows: Rows read and scored at a time.
        total: The file's rows, for the progress bar.
    """

    stored: StoredModel
    input_path: Path
    output: Path
    keep: tuple[str, ...]
    overwrite: bool
    chunk_rows: int
    total: int


def _check_paths(input_path: Path, output: Path, overwrite: bool) -> None:
    """Refuse a missing input, an output that is the input, or one that exists."""
    if not input_path.is_file():
        raise steps.RefusedError(f"No input file {input_path}")
    tables.check_suffix(input_path)
    tables.check_suffix(output)
    if output.resolve() == input_path.resolve():
        raise steps.RefusedError(
            f"--output {output} is the input file: predictions never replace their input, "
            "choose another --output"
        )
    if output.exists() and not overwrite:
        raise steps.RefusedError(f"{output} already exists: pass --overwrite to replace it")


def _score_file(job: ScoringJob) -> int:
    """Score the file chunk by chunk into its output; return the number of rows."""
    from tqdm import tqdm

    done = 0
    with (
        tables.atomic_writer(job.output, overwrite=job.overwrite) as writer,
        tqdm(total=job.total, unit=" rows", disable=None, leave=False) as progress,
    ):
        for chunk in tables.iter_chunks(job.input_path, job.chunk_rows):
            features = _features(chunk, job.stored, job.keep, first_row=done + 1)
            predictions = _scored(job.stored, features, first_row=done + 1)
            kept = chunk[list(job.keep)].reset_index(drop=True)
            writer.write(kept.join(predictions.to_frame().reset_index(drop=True)))
            done += len(chunk)
            progress.update(len(chunk))
    return done


def _features(
    rows: pd.DataFrame, stored: StoredModel, keep: Sequence[str], first_row: int
) -> pd.DataFrame:
    """The model's input columns of some rows, in its signature's order and types."""
    if stored.inputs is None:
        return rows.drop(columns=list(keep))
    return model_inputs.conform(rows[stored.input_names], stored.inputs, first_row)


def _scored(stored: StoredModel, features: pd.DataFrame, first_row: int) -> Predictions:
    """Score rows; a model that refuses them (missing values, say) is a refusal, with the rows."""
    try:
        return steps.score(stored.model, features)
    except ValueError as error:
        last_row = first_row + len(features) - 1
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise steps.RefusedError(
            f"The model cannot score rows {first_row}-{last_row}: {reason} Fix or drop those "
            "rows (missing values need imputing, or a model that accepts them)."
        ) from None


def _check_columns(
    columns: Sequence[str], expected: Sequence[str] | None, keep: Sequence[str]
) -> None:
    """Refuse, in one message, missing model inputs, unknown columns and unknown --keep."""
    problems = []
    unknown_keep = [name for name in keep if name not in columns]
    if unknown_keep:
        problems.append(f"--keep names column(s) the file does not have: {unknown_keep}")
    if expected is not None:
        missing = [name for name in expected if name not in columns]
        extra = [name for name in columns if name not in expected and name not in keep]
        if missing:
            problems.append(f"missing column(s) the model needs: {missing}")
        if extra:
            problems.append(
                f"column(s) the model does not take: {extra} (drop them, or pass them "
                "through with --keep)"
            )
    if problems:
        raise steps.RefusedError("The input does not match the model: " + "; ".join(problems))
