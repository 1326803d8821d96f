"""Figures of results (matplotlib): confusion matrices, contact sheets, attention and learning curves; publishing."""

from lightning_seq.plots.attention_map import render_attention
from lightning_seq.plots.confusion import render_confusion_matrix
from lightning_seq.plots.contact_sheet import render_contact_sheet
from lightning_seq.plots.learning_curves import render_learning_curves
from lightning_seq.plots.publish import publish_picture

__all__ = [
    "publish_picture",
    "render_attention",
    "render_confusion_matrix",
    "render_contact_sheet",
    "render_learning_curves",
]
