"""Loading a model must not run code nobody chose to trust.

A pickle runs whatever code it holds when it is loaded, and anyone who can write to the
model store can put one there. MLflow refuses to unpickle while
``MLFLOW_ALLOW_PICKLE_DESERIALIZATION`` is false, which the project makes its default
(:func:`..tracking.recording.prepare_environment`); :func:`allowed_pickle` lifts it only
around loads a command or config opted into.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

ALLOW_PICKLE = "MLFLOW_ALLOW_PICKLE_DESERIALIZATION"


class UntrustedModelError(ValueError):
    """A model that would run code of unknown origin to load, refused; the message says why."""


def pickle_refusal(model_uri: str, serialization: str | None) -> str:
    """Explain why a pickled model is not loaded, and how to opt in."""
    return (
        f"{model_uri} is stored with {serialization or 'cloudpickle'} (a pickle): loading it "
        "runs whatever code its author put in it, and anyone who can write to the model "
        "store could have put it there. It was not loaded. If you trust every writer of this "
        "store, opt in for one command with --trust-pickle, or in the config with "
        "`trust_pickle: true` (needed for models of your own Model classes, which are "
        "pickled; scikit-learn models use the safe skops format)."
    )


@contextmanager
def allowed_pickle() -> Iterator[None]:
    """Let MLflow unpickle inside the block (it refuses while the variable is false)."""
    previous = os.environ.get(ALLOW_PICKLE)
    os.environ[ALLOW_PICKLE] = "true"
    try:
        yield
    finally:
        if previous is None:
            del os.environ[ALLOW_PICKLE]
        else:
            os.environ[ALLOW_PICKLE] = previous
