"""PNG renderings of results (Pillow only): confusion matrices, OCR contact sheets, attention maps, learning curves."""

from lightning_seq.plots.attention_map import render_attention
from lightning_seq.plots.confusion import render_confusion_matrix
from lightning_seq.plots.contact_sheet import render_contact_sheet
from lightning_seq.plots.learning_curves import render_learning_curves

__all__ = ["render_attention", "render_confusion_matrix", "render_contact_sheet", "render_learning_curves"]
