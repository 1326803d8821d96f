"""Images as sequences: load an image file safely and scan it row by row or column by column."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import torch
from PIL import Image, UnidentifiedImageError
from torch import Tensor

Scan = Literal["rows", "columns"]
ColorMode = Literal["gray", "rgb"]


def load_image(path: str | Path) -> Image.Image:
    """Open and fully decode an image; a missing, unreadable or corrupt file raises an error naming it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"image file not found: {path}")
    try:
        with Image.open(path) as image:
            image.load()
            return image.copy()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise ValueError(f"cannot read image {path}: {err}") from err


class RowScan:
    """Turn an image into a sequence: rows (or columns) are time steps, their pixels × channels the features.

    A 28×28 gray digit scanned by rows is 28 steps of 28 features. Per time step the features are laid out channel
    by channel: ``(C, W)`` flattened for rows, ``(C, H)`` for columns. Images are never stretched along the time
    axis unless ``size`` asks for it: give ``height`` to scan columns of text lines of any width.

    Args:
        scan: ``rows`` (time runs top to bottom) or ``columns`` (left to right, for text lines).
        height: resize to this height keeping the aspect ratio (OCR); the width, and so the length, varies.
        size: resize to exactly ``(height, width)`` (classification).
        color: ``gray`` (1 channel) or ``rgb`` (3 channels).
        mean: subtracted from pixel values in ``[0, 1]``.
        std: pixel values are divided by it after the mean is subtracted.
    """

    def __init__(
        self,
        scan: Scan = "rows",
        height: int | None = None,
        size: tuple[int, int] | None = None,
        color: ColorMode = "gray",
        mean: float = 0.5,
        std: float = 0.5,
    ) -> None:
        if scan not in ("rows", "columns"):
            raise ValueError(f"scan must be 'rows' or 'columns', got {scan!r}")
        if color not in ("gray", "rgb"):
            raise ValueError(f"color must be 'gray' or 'rgb', got {color!r}")
        if height is not None and size is not None:
            raise ValueError("give either height (keep aspect ratio) or size (fixed), not both")
        if height is not None and height < 1:
            raise ValueError(f"height must be >= 1, got {height!r}")
        if size is not None and (len(size) != 2 or min(size) < 1):
            raise ValueError(f"size must be (height, width) with positive values, got {size!r}")
        if std <= 0:
            raise ValueError(f"std must be > 0, got {std!r}")
        self.scan = scan
        self.height = height
        self.size = tuple(size) if size is not None else None
        self.color = color
        self.mean = mean
        self.std = std

    @property
    def channels(self) -> int:
        """Number of colour channels ``C``."""
        return 1 if self.color == "gray" else 3

    def feature_size(self) -> int | None:
        """Features per step when fixed by the settings, else None (then it depends on the image)."""
        if self.size is not None:
            return self.channels * (self.size[1] if self.scan == "rows" else self.size[0])
        if self.height is not None and self.scan == "columns":
            return self.channels * self.height
        return None

    def scaled_size(self, width: int, height: int) -> tuple[int, int]:
        """``(width, height)`` after the configured resize of an image of the given size."""
        if self.size is not None:
            return self.size[1], self.size[0]
        if self.height is not None:
            return max(1, round(width * self.height / height)), self.height
        return width, height

    def steps_for(self, width: int, height: int) -> int:
        """Number of time steps ``T`` an image of this size gives, without scanning it."""
        scaled = self.scaled_size(width, height)
        return scaled[1] if self.scan == "rows" else scaled[0]

    def resize(self, image: Image.Image) -> Image.Image:
        """Apply the configured resize (and colour conversion)."""
        image = image.convert("L" if self.color == "gray" else "RGB")
        target = self.scaled_size(*image.size)
        return image if target == image.size else image.resize(target, Image.Resampling.BILINEAR)

    def __call__(self, image: Image.Image) -> Tensor:
        """Scan one image into ``(T, F)`` float features."""
        image = self.resize(image)
        pixels = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8)
        pixels = pixels.view(image.height, image.width, self.channels).permute(2, 0, 1).float() / 255.0  # (C, H, W)
        pixels = (pixels - self.mean) / self.std
        if self.scan == "rows":
            return pixels.permute(1, 0, 2).reshape(image.height, -1)  # (H, C*W)
        return pixels.permute(2, 0, 1).reshape(image.width, -1)  # (W, C*H)

    def __repr__(self) -> str:
        return f"RowScan(scan={self.scan!r}, height={self.height}, size={self.size}, color={self.color!r})"
