"""Confusion matrix: true classes down, predicted across, each cell shaded by its share of the true class."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure
from torch import Tensor

from lightning_seq.plots.figure import new_figure


def render_confusion_matrix(matrix: Tensor, names: Sequence[str]) -> Figure:
    """Draw a ``(C, C)`` count matrix with the class names on both axes, the counts in the cells and a colour bar.

    The figure grows with the number of classes (0.45 inch a class up to 10 classes, 0.25 inch for each one more);
    the predicted names are rotated so long names never run into each other; counts are written in the cells up to
    40 classes.

    Args:
        matrix: counts, ``matrix[true, predicted]``.
        names: the ``C`` class names.

    Returns:
        The figure (one axes and its colour bar).
    """
    classes = matrix.shape[0]
    if matrix.dim() != 2 or matrix.shape != (classes, classes) or len(names) != classes or classes == 0:
        raise ValueError(f"need a square matrix and one name per class, got {tuple(matrix.shape)} and {len(names)}")
    counts = matrix.detach().double().cpu()
    shares = (counts / counts.sum(dim=1, keepdim=True).clamp(min=1)).numpy()  # row shares in [0, 1]
    longest = max(len(str(name)) for name in names)
    cells = 0.45 * classes if classes <= 10 else 4.5 + 0.25 * (classes - 10)  # inches
    cell = cells / classes
    side = cells + 0.07 * min(longest, 30) + 2.0  # cells plus room for the names
    figure = new_figure(side + 1.0, side)
    axes = figure.add_subplot()
    shading = axes.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    figure.colorbar(shading, ax=axes, label="share of the true class", shrink=0.8)
    labels = [str(name) for name in names]
    axes.set_xticks(range(classes), labels, rotation=45, ha="right", rotation_mode="anchor")
    axes.set_yticks(range(classes), labels)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    total = int(counts.sum())
    axes.set_title(f"confusion matrix ({total} samples, accuracy {float(counts.trace()) / max(total, 1):.3f})")
    if classes <= 40:
        size = min(10.0, cell * 72 * 0.4)  # points: two or three digits fit a cell
        for true in range(classes):
            for predicted in range(classes):
                share = shares[true, predicted]
                axes.text(predicted, true, f"{int(counts[true, predicted])}", ha="center", va="center",
                          fontsize=size, color="white" if share > 0.5 else "black")
    return figure
