"""Load any model this project logged, whichever :class:`~.base.Model` class wrote it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .base import Model


def load_model(model_uri: str) -> Model:
    """Load a logged or registered model as a :class:`~.base.Model`.

    Models stored with MLflow's ``sklearn`` flavor come back as
    :class:`~.sklearn.SklearnModel`; any other model of this project was stored through the
    ``pyfunc`` adapter of :meth:`Model.log <.base.Model.log>` and comes back as itself.

    Args:
        model_uri: E.g. ``models:/name@champion``, ``models:/name/3`` or ``runs:/<id>/model``.
    """
    import mlflow

    flavors = mlflow.models.get_model_info(model_uri).flavors
    if "sklearn" in flavors:
        from .sklearn import SklearnModel

        return SklearnModel.load(model_uri)
    from .base import Model

    return Model.load(model_uri)
