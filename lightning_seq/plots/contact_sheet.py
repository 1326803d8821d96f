"""OCR contact sheet: each image with its true and predicted text, wrong characters marked in red."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont


def _marked(truth: str, prediction: str) -> list[tuple[str, bool]]:
    """Characters of ``prediction`` with a flag: True where it disagrees with ``truth`` (by alignment)."""
    flags = [True] * len(prediction)
    for block in difflib.SequenceMatcher(a=truth, b=prediction, autojunk=False).get_matching_blocks():
        for offset in range(block.size):
            flags[block.b + offset] = False
    return list(zip(prediction, flags, strict=True))


def render_contact_sheet(
    images: Sequence[Image.Image], truths: Sequence[str], predictions: Sequence[str], columns: int = 2
) -> Image.Image:
    """A grid of images, each above ``true: ...`` and ``pred: ...``; wrong predicted characters are red.

    Args:
        images: the input images (any size; scaled to a common height).
        truths: reference texts.
        predictions: decoded texts.
        columns: images per row of the grid.

    Returns:
        An RGB image.
    """
    if not len(images) == len(truths) == len(predictions) or not images:
        raise ValueError("need the same positive number of images, truths and predictions")
    height = 48
    scaled = [im.convert("RGB").resize((max(1, round(im.width * height / im.height)), height)) for im in images]
    font = ImageFont.load_default(size=16)
    cell_w = max(max(im.width for im in scaled), 220) + 16
    cell_h = height + 48
    rows = (len(scaled) + columns - 1) // columns
    sheet = Image.new("RGB", (columns * cell_w, rows * cell_h), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (image, truth, pred) in enumerate(zip(scaled, truths, predictions, strict=True)):
        x, y = (i % columns) * cell_w + 8, (i // columns) * cell_h + 4
        sheet.paste(image, (x, y))
        draw.text((x, y + height + 2), f"true: {truth}", fill="black", font=font)
        cursor = x + draw.textlength("pred: ", font=font)
        draw.text((x, y + height + 22), "pred: ", fill="black", font=font)
        for char, wrong in _marked(truth, pred):
            draw.text((cursor, y + height + 22), char, fill="red" if wrong else "darkgreen", font=font)
            cursor += draw.textlength(char, font=font)
        if len(pred) < len(truth):
            draw.text((cursor + 4, y + height + 22), f"(-{len(truth) - len(pred)})", fill="red", font=font)
    return sheet
