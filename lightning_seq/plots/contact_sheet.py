"""OCR contact sheet: each image with its true and predicted text, wrong characters marked in red."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from PIL import Image

from lightning_seq.plots.figure import new_figure

FONT_SIZE = 10.0  # points; DejaVu Sans Mono advances 0.602 em a character
ADVANCE = 0.602 * FONT_SIZE  # points per character


def _marked(truth: str, prediction: str) -> list[tuple[str, bool]]:
    """Characters of ``prediction`` with a flag: True where it disagrees with ``truth`` (by alignment)."""
    flags = [True] * len(prediction)
    for block in difflib.SequenceMatcher(a=truth, b=prediction, autojunk=False).get_matching_blocks():
        for offset in range(block.size):
            flags[block.b + offset] = False
    return list(zip(prediction, flags, strict=True))


def _caption(axes: Axes, truth: str, prediction: str) -> None:
    """``true: ...`` and ``pred: ...`` in the caption axes, one monospaced character at a time, wrong ones red."""
    axes.set_axis_off()
    style = {"xycoords": "axes fraction", "textcoords": "offset points", "fontsize": FONT_SIZE,
             "fontfamily": "DejaVu Sans Mono", "va": "top"}
    axes.annotate(f"true: {truth}", (0, 1), (0, -2), color="black", **style)
    axes.annotate("pred: ", (0, 1), (0, -16), color="black", **style)
    marks = _marked(truth, prediction)
    for i, (char, wrong) in enumerate(marks):
        axes.annotate(char, (0, 1), ((6 + i) * ADVANCE, -16), color="red" if wrong else "darkgreen", **style)
    if len(prediction) < len(truth):
        axes.annotate(f"(-{len(truth) - len(prediction)})", (0, 1), ((7 + len(marks)) * ADVANCE, -16), color="red",
                      **style)


def render_contact_sheet(
    images: Sequence[Image.Image], truths: Sequence[str], predictions: Sequence[str], columns: int = 2
) -> Figure:
    """A grid of images, each above ``true: ...`` and ``pred: ...``; wrong predicted characters are red.

    A missing tail is counted in red (``(-3)``: three characters short). Cells are wide enough for the longest
    text and the widest image.

    Args:
        images: the input images (any size; drawn at a common height).
        truths: reference texts.
        predictions: decoded texts.
        columns: images per row of the grid.

    Returns:
        The figure (one axes per image).
    """
    if not len(images) == len(truths) == len(predictions) or not images:
        raise ValueError("need the same positive number of images, truths and predictions")
    if columns < 1:
        raise ValueError(f"columns must be at least 1, got {columns}")
    columns = min(columns, len(images))
    rows = (len(images) + columns - 1) // columns
    height, caption = 0.6, 0.45  # inches of image and of its two lines of text
    longest = max(len(text) for text in [*truths, *predictions]) + 10
    widest = max(image.width / image.height for image in images) * height
    cell = max(widest, longest * ADVANCE / 72, 2.0) + 0.3
    figure = new_figure(columns * cell, rows * (height + caption) + 0.2)
    grid = figure.add_gridspec(2 * rows, columns, height_ratios=[height, caption] * rows)
    for i, (image, truth, prediction) in enumerate(zip(images, truths, predictions, strict=True)):
        row, column = 2 * (i // columns), i % columns
        axes = figure.add_subplot(grid[row, column])
        axes.imshow(np.asarray(image.convert("L")), cmap="gray", vmin=0, vmax=255)
        axes.set_anchor("SW")
        axes.set_axis_off()
        _caption(figure.add_subplot(grid[row + 1, column]), truth, prediction)
    return figure
