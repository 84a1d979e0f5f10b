"""The models a promotion compares: each loaded, verified, with its role and its version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import RefusedError
from ..tracking import model_store, registry

if TYPE_CHECKING:
    from ..config import ExperimentConfig
    from ..tracking.model_store import StoredModel
    from ..tracking.registry import ModelVersion


@dataclass(frozen=True)
class Contender:
    """A model in the comparison: its role, its registered version and the loaded model."""

    role: str
    version: ModelVersion
    stored: StoredModel

    @property
    def number(self) -> str:
        """Its version number."""
        return str(self.version.version)


def load_contender(role: str, version: ModelVersion, config: ExperimentConfig) -> Contender:
    """Load a version, verified (its signature) before anything of it is read."""
    stored = model_store.load(registry.version_uri(version), trust_unsigned=config.trust_pickle)
    return Contender(role, version, stored)


def versions_to_compare(
    name: str, version: str | None
) -> tuple[ModelVersion, ModelVersion | None]:
    """The challenger (``version``, else ``candidate``) and the champion, if there is one.

    Raises:
        RefusedError: No such challenger, or one of them was trained by a run that did not
            finish.
    """
    challenger = _challenger(name, version)
    champion = registry.version_by_alias(name, registry.CHAMPION_ALIAS)
    for role, each in (("challenger", challenger), ("champion", champion)):
        _require_finished_training(role, each)
    return challenger, champion


def promotion_run_name(contenders: list[Contender]) -> str:
    """``promote v4 vs v3``, or ``promote v1 vs no champion``."""
    against = f"v{contenders[1].number}" if len(contenders) > 1 else "no champion"
    return f"promote v{contenders[0].number} vs {against}"


def _challenger(name: str, version: str | None) -> ModelVersion:
    if version is not None and not version.isdigit():
        raise RefusedError(f"--version must be a version number, e.g. 3; got {version!r}")
    if version is not None:
        found = registry.get_version(name, version)
        if found is None:
            raise RefusedError(f"{name!r} has no version {version}")
        return found
    candidate = registry.version_by_alias(name, registry.CANDIDATE_ALIAS)
    if candidate is None:
        raise RefusedError(
            f"{name!r} has no {registry.CANDIDATE_ALIAS!r} version to promote: run `make train`"
        )
    return candidate


def _require_finished_training(role: str, version: ModelVersion | None) -> None:
    if version is None:
        return
    status = registry.training_run(version).info.status
    if status != "FINISHED":
        raise RefusedError(
            f"The {role}, version {version.version} of {version.name!r}, was trained by run "
            f"{version.run_id}, which is {status}, not FINISHED: only a finished training can "
            "be promoted"
        )
