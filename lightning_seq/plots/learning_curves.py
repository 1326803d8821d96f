"""Learning curves: losses and the monitored metric per epoch, the best epoch marked."""

from __future__ import annotations

import math
from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from lightning_seq.plots.figure import new_figure


def _plot(axes: Axes, series: dict[str, Sequence[float | None]], best: int | None, log_scale: bool) -> None:
    """One line per series over epochs 1..N (gaps where a value is missing); log scale where all values are > 0."""
    values = [v for ys in series.values() for v in ys if v is not None and math.isfinite(v)]
    for name, ys in series.items():
        points = [(epoch + 1, v) for epoch, v in enumerate(ys) if v is not None and math.isfinite(v)]
        if points:
            axes.plot(*zip(*points, strict=True), marker="o", markersize=3, label=name)
    if best is not None:
        axes.axvline(best + 1, color="grey", linestyle="--", linewidth=1, label=f"best epoch ({best + 1})")
    if log_scale and values and min(values) > 0:
        axes.set_yscale("log")
        plain = FuncFormatter(lambda value, _: f"{value:.4g}")  # 0.001, 2.305: no 10^x within a decade
        axes.yaxis.set_major_formatter(plain)
        axes.yaxis.set_minor_formatter(plain if max(values) / min(values) < 10 else FuncFormatter(lambda *_: ""))
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("epoch")
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(loc="upper left", bbox_to_anchor=(0.0, -0.18), ncols=2, frameon=False, fontsize="small")


def render_learning_curves(
    losses: dict[str, Sequence[float | None]],
    metric_name: str,
    metric: Sequence[float | None],
    best_epoch: int | None,
    metric_log_scale: bool,
) -> Figure:
    """Two panels over the epochs: the losses (log axis) and the monitored metric, the best epoch dashed.

    Losses are drawn on a log axis, so a loss falling from 5 to 0.001 shows every epoch; the metric too when
    ``metric_log_scale`` (losses, perplexity, error rates), linearly otherwise (accuracy). Legends sit below the
    axes, never on the data.

    Args:
        losses: loss name -> one value per epoch (None where not logged).
        metric_name: the monitored metric's name, for the title.
        metric: its value per epoch.
        best_epoch: the epoch to mark (0-based), or None.
        metric_log_scale: draw the metric on a log axis (where all its values are positive).

    Returns:
        The figure (two axes).
    """
    figure = new_figure(10.0, 4.2)
    loss_axes, metric_axes = figure.subplots(1, 2)
    _plot(loss_axes, losses, best_epoch, log_scale=True)
    loss_axes.set_ylabel("loss")
    loss_axes.set_title("losses")
    _plot(metric_axes, {metric_name: metric}, best_epoch, log_scale=metric_log_scale)
    metric_axes.set_ylabel(metric_name)
    metric_axes.set_title(metric_name)
    return figure
