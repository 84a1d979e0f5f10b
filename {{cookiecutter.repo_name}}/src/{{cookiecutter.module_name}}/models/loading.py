"""Load any model this project logged, whichever :class:`~.base.Model` class wrote it.

Nothing is unpickled unless the caller opted in (``trust_pickle``): a pickle runs whatever
code it holds when it is loaded. scikit-learn models are stored in the skops format and
load safely (see :meth:`.sklearn.SklearnModel.load`); models of your own ``Model`` classes
are pickled and need the opt-in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..safety import UntrustedModelError, allowed_pickle, pickle_refusal

if TYPE_CHECKING:
    from .base import Model


def load_model(model_uri: str, *, trust_pickle: bool = False) -> Model:
    """Load a logged or registered model as a :class:`~.base.Model`.

    Args:
        model_uri: E.g. ``models:/name@champion``, ``models:/name/3`` or ``runs:/<id>/model``.
        trust_pickle: Allow models stored as pickles (your own ``Model`` classes, or
            scikit-learn models skops could not store). Only for stores whose every writer
            you trust.

    Raises:
        UntrustedModelError: A pickled model without ``trust_pickle``, or a skops model
            holding types this project does not define.
    """
    from .sklearn import SklearnModel

    serialization = check_loadable(model_uri, trust_pickle=trust_pickle)
    if serialization == "skops":
        return SklearnModel.load(model_uri)
    if serialization is not None:
        return SklearnModel.load_pickled(model_uri)
    from .base import Model

    with allowed_pickle():
        return Model.load(model_uri)


def check_loadable(model_uri: str, *, trust_pickle: bool = False) -> str | None:
    """Refuse a pickled model unless trusted; return its scikit-learn serialization format.

    Returns ``skops``, ``cloudpickle`` or ``pickle`` for scikit-learn models, None for a
    ``pyfunc`` model of a project ``Model`` class (always pickled).

    Raises:
        UntrustedModelError: If loading the model would unpickle it and ``trust_pickle`` is
            false.
    """
    import mlflow

    flavors = mlflow.models.get_model_info(model_uri).flavors
    serialization = flavors.get("sklearn", {}).get("serialization_format")
    if serialization != "skops" and not trust_pickle:
        raise UntrustedModelError(pickle_refusal(model_uri, serialization))
    return serialization
