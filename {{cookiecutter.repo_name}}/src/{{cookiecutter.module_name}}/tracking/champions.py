"""The champion: its baseline, moving the alias to a challenger, and undoing a move cut short.

On promotion the challenger's metrics on the promotion rows are stored on its version as
its *baseline*, tags ``baseline.<metric>`` (and a classifier's training labels,
``baseline_labels``), which ``monitor`` compares new data against; then
the ``champion`` alias moves to it. If the promotion is interrupted on the way, what had
changed is put back (:func:`promotion`).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from .. import interrupts
from .registry import CHAMPION_ALIAS, get_version
from .retries import cleanup_wait_seconds, retried

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from .registry import ModelVersion

logger = logging.getLogger(__name__)


BASELINE_PREFIX = "baseline."
BASELINE_DIGEST_TAG = "baseline_rows_digest"
BASELINE_RUN_TAG = "baseline_run_id"
BASELINE_LABELS_TAG = "baseline_labels"  # a JSON list: the labels the champion trained on


def record_baseline(
    version: ModelVersion,
    metrics: Mapping[str, float],
    rows_digest: str,
    run_id: str,
    labels: Sequence[str] | None = None,
) -> None:
    """Store a version's metrics on given rows (and a classifier's training labels) as tags.

    ``monitor`` compares new data against them.
    """
    import mlflow

    client = mlflow.MlflowClient()
    tags = {f"{BASELINE_PREFIX}{name}": repr(float(value)) for name, value in metrics.items()}
    tags |= {BASELINE_DIGEST_TAG: rows_digest, BASELINE_RUN_TAG: run_id}
    if labels is not None:
        tags[BASELINE_LABELS_TAG] = json.dumps(list(labels))
    name, number = version.name, version.version
    for key, value in tags.items():
        retried(lambda k=key, v=value: client.set_model_version_tag(name, number, k, v))


@contextmanager
def promotion(
    name: str, challenger: ModelVersion, champion: ModelVersion | None
) -> Iterator[None]:
    """Undo a promotion interrupted on the way: put back the champion and the baseline tags.

    Inside the block the challenger gets its baseline tags and the ``champion`` alias; if
    the block does not complete (an error, Ctrl-C, SIGTERM, or a signal swallowed on the
    way), the alias goes back to the previous champion (or is removed) and the challenger's
    baseline tags are what they were, so that nothing changed.
    """
    import mlflow

    client = mlflow.MlflowClient()
    number = str(challenger.version)
    before = {key: value for key, value in (challenger.tags or {}).items() if _baseline_tag(key)}
    try:
        yield
        if interrupts.received() is not None:
            raise interrupts.Interrupted(interrupts.received())
    except BaseException:
        try:
            _undo_promotion(client, name, number, champion, before)
        except Exception as error:  # the store stopped answering: say so, keep the cause
            logger.warning(
                "Promotion stopped, and the registry could not be put back (%s): the next "
                "command, or close-stale, records on the run what it did",
                error,
            )
        else:
            kept = f"version {champion.version}" if champion is not None else "no version"
            logger.warning("Promotion interrupted: nothing changed, %s is the champion", kept)
        raise


def _undo_promotion(
    client: MlflowClient,
    name: str,
    number: str,
    champion: ModelVersion | None,
    before: dict[str, str],
) -> None:
    """Point ``champion`` back where it was and give the challenger its old baseline tags."""
    wait = cleanup_wait_seconds()
    if champion is not None:
        previous = str(champion.version)
        retried(
            lambda: client.set_registered_model_alias(name, CHAMPION_ALIAS, previous),
            max_wait=wait,
        )
    else:
        with contextlib.suppress(Exception):  # the alias may not have been set yet
            client.delete_registered_model_alias(name, CHAMPION_ALIAS)
    now = retried(lambda: client.get_model_version(name, number), max_wait=wait).tags or {}
    for key in [key for key in now if _baseline_tag(key) and key not in before]:
        retried(lambda k=key: client.delete_model_version_tag(name, number, k), max_wait=wait)
    for key, value in before.items():
        retried(
            lambda k=key, v=value: client.set_model_version_tag(name, number, k, v),
            max_wait=wait,
        )


def drop_baseline_of(name: str, number: str, run_id: str) -> None:
    """Delete a version's baseline tags if the promotion run ``run_id`` wrote them."""
    import mlflow

    client = mlflow.MlflowClient()
    version = get_version(name, number)
    tags = (version.tags or {}) if version is not None else {}
    if tags.get(BASELINE_RUN_TAG) != run_id:
        return
    for key in [key for key in tags if _baseline_tag(key)]:
        retried(lambda k=key: client.delete_model_version_tag(name, number, k))


def _baseline_tag(key: str) -> bool:
    return key.startswith(BASELINE_PREFIX) or key in (
        BASELINE_DIGEST_TAG,
        BASELINE_RUN_TAG,
        BASELINE_LABELS_TAG,
    )


def baseline(version: ModelVersion) -> dict[str, float]:
    """Return the baseline metrics stored on a version (empty if it was never promoted)."""
    return {
        key.removeprefix(BASELINE_PREFIX): float(value)
        for key, value in (version.tags or {}).items()
        if key.startswith(BASELINE_PREFIX)
    }


def baseline_labels(version: ModelVersion) -> list[str] | None:
    """Return the labels a champion trained on, recorded at promotion (None: not recorded)."""
    recorded = (version.tags or {}).get(BASELINE_LABELS_TAG)
    return None if recorded is None else [str(label) for label in json.loads(recorded)]
