"""The models a promotion compares: each loaded, verified, with its role and its version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

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
