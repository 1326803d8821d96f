"""A matplotlib figure of a given size, drawn off screen: no pyplot state, safe in any process or thread."""

from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

DPI = 100  # pixels per inch of the saved PNG and of the TensorBoard image


def new_figure(width: float, height: float) -> Figure:
    """An empty figure of ``width`` × ``height`` inches with constrained layout and its own Agg canvas.

    Constrained layout keeps tick labels, colour bars and legends outside a figure's edge inside it, so the same
    figure is complete as a PNG and as a TensorBoard image.
    """
    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure
