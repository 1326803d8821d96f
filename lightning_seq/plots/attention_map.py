"""Attention heat map: target steps (rows) against source tokens (columns), with a colour bar."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure
from torch import Tensor

from lightning_seq.plots.figure import new_figure


def render_attention(weights: Tensor, source: Sequence[str], target: Sequence[str]) -> Figure:
    """Draw ``weights (T, S)`` with the source tokens along the bottom and the target tokens down the side.

    The figure grows with the number of tokens (about 0.3 inch a token each way); source tokens are rotated.

    Args:
        weights: ``(T, S)`` attention weights in [0, 1] (each row sums to 1).
        source: the ``S`` source tokens.
        target: the ``T`` target tokens.

    Returns:
        The figure (one axes and its colour bar).
    """
    if weights.dim() != 2:
        raise ValueError(f"weights must be (T, S), got shape {tuple(weights.shape)}")
    steps, width = weights.shape
    if len(source) != width or len(target) != steps:
        raise ValueError(f"weights {tuple(weights.shape)} need {steps} target and {width} source tokens")
    figure = new_figure(0.3 * width + 2.8, 0.3 * steps + 1.8)
    axes = figure.add_subplot()
    shading = axes.imshow(weights.detach().float().cpu().numpy(), cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    figure.colorbar(shading, ax=axes, label="attention weight")
    axes.set_xticks(range(width), [str(token) for token in source], rotation=90)
    axes.set_yticks(range(steps), [str(token) for token in target])
    axes.set_xlabel("source")
    axes.set_ylabel("output")
    return figure
