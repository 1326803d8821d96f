"""Attention heat map: target steps (rows) against source tokens (columns), darker = more weight."""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont
from torch import Tensor


def render_attention(weights: Tensor, source: Sequence[str], target: Sequence[str], cell: int = 24) -> Image.Image:
    """Draw ``weights (T, S)`` with the source tokens on top and the target tokens on the left."""
    steps, width = weights.shape
    if len(source) != width or len(target) != steps:
        raise ValueError(f"weights {tuple(weights.shape)} need {steps} target and {width} source tokens")
    font = ImageFont.load_default(size=max(8, cell // 2))
    margin = cell * 3
    image = Image.new("RGB", (margin + width * cell + 4, margin + steps * cell + 4), "white")
    draw = ImageDraw.Draw(image)
    for j, token in enumerate(source):
        draw.text((margin + j * cell + cell // 2, margin - 4), str(token)[:6], fill="black", font=font, anchor="md")
    for i, token in enumerate(target):
        draw.text((4, margin + i * cell + cell // 2), str(token)[:8], fill="black", font=font, anchor="lm")
        for j in range(width):
            shade = int(255 * (1 - float(weights[i, j])))
            x, y = margin + j * cell, margin + i * cell
            draw.rectangle((x, y, x + cell - 1, y + cell - 1), fill=(shade, shade, 255), outline="lightgrey")
    return image
