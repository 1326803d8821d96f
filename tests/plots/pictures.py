"""Checks on a written picture: its size, that it is not blank, and that it is the figure a renderer draws."""

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from PIL import Image


def pixels(source: Path | Figure) -> np.ndarray:
    """``(H, W, 3)`` uint8 pixels of a PNG file or of a figure drawn as its PNG would be."""
    if isinstance(source, Figure):
        source.canvas.draw()
        return np.asarray(source.canvas.buffer_rgba())[..., :3].copy()
    return np.asarray(Image.open(source).convert("RGB"))


def assert_drawn(path: Path, min_width: int, min_height: int) -> np.ndarray:
    """The PNG at ``path`` is at least that large and not blank: many colours, a real share of non-white pixels."""
    image = pixels(path)
    height, width, _ = image.shape
    assert width >= min_width and height >= min_height, (width, height)
    inked = (image < 250).any(axis=-1).mean()
    colours = len(np.unique(image.reshape(-1, 3), axis=0))
    assert inked > 0.02 and colours > 20, (inked, colours)
    return image


def texts(figure: Figure) -> list[str]:
    """Every non-empty text a figure draws: titles, axis labels, tick labels, legends, annotations."""
    figure.canvas.draw()  # tick labels exist once drawn
    return [t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_text")) if t.get_text()]
