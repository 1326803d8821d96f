"""Raw images (a path, PIL image, uint8 array or encoded bytes) to the sequence a row-scan model reads."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch import Tensor

from lightning_seq.data.preprocessing.described import rebuild
from lightning_seq.data.preprocessing.inputs import IMAGE_KIND
from lightning_seq.data.readers.images import RowScan, load_image


def decode_image_bytes(data: bytes, position: int) -> Image.Image:
    """An encoded image (PNG, JPEG, ...) from memory; undecodable bytes raise an error naming ``position``."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            return image.copy()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise ValueError(f"input {position}: cannot decode the image bytes: {err}") from None


def array_image(array: Any, position: int) -> Image.Image:
    """A ``uint8`` array ``(H, W)``, ``(H, W, 3)`` or ``(H, W, 4)`` (NumPy or torch) as a PIL image."""
    values = array.numpy() if isinstance(array, Tensor) else np.asarray(array)
    if values.dtype != np.uint8:
        raise TypeError(f"input {position}: an image array must hold uint8 pixels, got {values.dtype}")
    if values.ndim not in (2, 3) or (values.ndim == 3 and values.shape[2] not in (1, 3, 4)) or 0 in values.shape:
        raise ValueError(f"input {position}: an image array must be (H, W) or (H, W, 1|3|4), got {values.shape}")
    return Image.fromarray(values[..., 0] if values.ndim == 3 and values.shape[2] == 1 else values)


class ImageInputs:
    """Images to ``(T, F)`` features with the ``RowScan`` the model was trained with (resize, scan, normalise).

    Accepts a path (``str`` or ``Path``), a PIL image, a ``uint8`` array (NumPy or torch; gray ``(H, W)`` or colour
    ``(H, W, C)``) or the bytes of an encoded image file.

    Args:
        transform: the training data module's ``RowScan``.
    """

    kind = IMAGE_KIND

    def __init__(self, transform: RowScan) -> None:
        self.transform = transform

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> ImageInputs:
        """Rebuild from ``image_inputs_spec``'s dict."""
        return cls(rebuild(spec["transform"]))

    def image(self, value: Any, position: int) -> Image.Image:
        """``value`` as a PIL image; a missing or corrupt file, bad bytes or a wrong type name ``position``."""
        if isinstance(value, Image.Image):
            return value
        if isinstance(value, str | Path):
            try:
                return load_image(value)
            except (FileNotFoundError, ValueError) as err:
                raise type(err)(f"input {position}: {err}") from None
        if isinstance(value, bytes | bytearray):
            return decode_image_bytes(bytes(value), position)
        if isinstance(value, np.ndarray | Tensor):
            return array_image(value, position)
        raise TypeError(
            f"input {position}: expected an image (path, PIL image, uint8 array or encoded bytes), got "
            f"{type(value).__name__}"
        )

    def encode(self, value: Any, position: int) -> Tensor:
        """One image to ``(T, F)`` features."""
        features = self.transform(self.image(value, position))
        if features.size(0) < 1:
            raise ValueError(f"input {position}: the image gives no time steps")
        return features.to(torch.float32)

    def describe_input(self, value: Any) -> str:
        """A path as given; in-memory images as an empty string."""
        return str(value) if isinstance(value, str | Path) else ""
