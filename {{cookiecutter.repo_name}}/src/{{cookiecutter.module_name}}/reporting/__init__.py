"""Documents written from records, never by hand: the model card and the promotion report.

:mod:`.evidence` holds what a promotion decided on, as plain values; :mod:`.model_card` and
:mod:`.promotion_report` render it as Markdown. No MLflow here: the experiment layer gathers
the evidence from its runs.
"""

from .evidence import ModelFacts, PromotionEvidence, TrainingFacts
from .model_card import render_model_card
from .promotion_report import render_promotion_report

__all__ = [
    "ModelFacts",
    "PromotionEvidence",
    "TrainingFacts",
    "render_model_card",
    "render_promotion_report",
]
