"""PNG renderings of results (Pillow only): confusion matrices and OCR contact sheets."""

from lightning_seq.plots.attention_map import render_attention
from lightning_seq.plots.confusion import render_confusion_matrix
from lightning_seq.plots.contact_sheet import render_contact_sheet

__all__ = ["render_attention", "render_confusion_matrix", "render_contact_sheet"]
