"""Confusion matrix as a PNG: rows are true classes, columns predicted, cells shaded by row share."""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont
from torch import Tensor


def render_confusion_matrix(matrix: Tensor, names: Sequence[str], cell: int = 36) -> Image.Image:
    """Draw a ``(C, C)`` count matrix with class names and counts.

    Args:
        matrix: counts, ``matrix[true, predicted]``.
        names: the ``C`` class names.
        cell: cell size in pixels.

    Returns:
        An RGB image.
    """
    classes = matrix.shape[0]
    if matrix.shape != (classes, classes) or len(names) != classes:
        raise ValueError(f"need a square matrix and one name per class, got {tuple(matrix.shape)} and {len(names)}")
    font = ImageFont.load_default(size=max(8, cell // 3))
    label_width = cell * 3
    image = Image.new("RGB", (label_width + classes * cell + 4, label_width + classes * cell + 4), "white")
    draw = ImageDraw.Draw(image)
    totals = matrix.sum(dim=1).clamp(min=1)
    for true in range(classes):
        draw.text((4, label_width + true * cell + cell // 2), str(names[true])[:10], fill="black", font=font,
                  anchor="lm")
        for pred in range(classes):
            share = float(matrix[true, pred]) / float(totals[true])
            shade = int(255 * (1 - share))
            color = (shade, shade, 255) if true == pred else (255, shade, shade)
            x, y = label_width + pred * cell, label_width + true * cell
            draw.rectangle((x, y, x + cell - 1, y + cell - 1), fill=color, outline="grey")
            draw.text((x + cell // 2, y + cell // 2), str(int(matrix[true, pred])),
                      fill="white" if share > 0.5 else "black", font=font, anchor="mm")
    for pred in range(classes):
        draw.text((label_width + pred * cell + cell // 2, label_width - 4), str(names[pred])[:10], fill="black",
                  font=font, anchor="md")
    draw.text((4, 4), "true \\ predicted", fill="black", font=font)
    return image
