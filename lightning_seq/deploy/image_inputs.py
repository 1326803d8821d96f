"""Raw images (a path, PIL image, uint8 array or encoded bytes) to the sequence a row-scan model reads.

An image's size is read from its header and checked before its pixels are decoded: at most ``MAX_IMAGE_PIXELS`` as
decoded and as scaled for the model, and (against ``max_steps``) the time steps its scan would give.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch import Tensor

from lightning_seq.data.preprocessing.described import rebuild
from lightning_seq.data.preprocessing.inputs import IMAGE_KIND
from lightning_seq.data.readers.images import RowScan
from lightning_seq.deploy.limits import check_pixels, check_steps, without_addresses

UNREADABLE = (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
              Image.DecompressionBombWarning)


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

    def check_size(self, width: int, height: int, position: int, max_steps: int | None) -> None:
        """Refuse an image of this size before its pixels are decoded or scaled."""
        check_pixels(width, height, "as decoded", position)
        check_steps(self.transform.steps_for(width, height), max_steps, position)
        check_pixels(*self.transform.scaled_size(width, height), f"once scaled for the model (from {width}x{height})",
                     position)

    def opened(self, source: Any, failure: str, position: int, max_steps: int | None) -> Image.Image:
        """The image a file or bytes hold, its header's size checked before its pixels are decoded.

        Args:
            source: a path or a binary stream.
            failure: how an error says what could not be read (``cannot read image scan.png``).
            position: the input's position (errors name it).
            max_steps: the most time steps the image may give.
        """
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(source) as image:
                    self.check_size(*image.size, position, max_steps)
                    image.load()
                    return image.copy()
        except UNREADABLE as err:
            if str(err).startswith(f"input {position}"):
                raise
            raise ValueError(f"input {position}: {failure}: {without_addresses(str(err))}") from None

    def image(self, value: Any, position: int, max_steps: int | None = None) -> Image.Image:
        """``value`` as a PIL image, its size checked; errors (a missing or corrupt file, a wrong type) name it."""
        if isinstance(value, Image.Image):
            self.check_size(*value.size, position, max_steps)
            return value
        if isinstance(value, str | Path):
            if not Path(value).is_file():
                raise FileNotFoundError(f"input {position}: image file not found: {value}")
            return self.opened(Path(value), f"cannot read image {value}", position, max_steps)
        if isinstance(value, bytes | bytearray):
            return self.opened(io.BytesIO(bytes(value)), "cannot decode the image bytes", position, max_steps)
        if isinstance(value, np.ndarray | Tensor):
            image = array_image(value, position)
            self.check_size(*image.size, position, max_steps)
            return image
        raise TypeError(
            f"input {position}: expected an image (path, PIL image, uint8 array or encoded bytes), got "
            f"{type(value).__name__}"
        )

    def encode(self, value: Any, position: int, max_steps: int | None = None) -> Tensor:
        """One image to ``(T, F)`` features.

        Args:
            value: a path, PIL image, uint8 array or encoded bytes.
            position: the input's position (errors name it).
            max_steps: the most time steps (rows or columns once scaled) the image may give; a larger one raises
                ``InputTooLong`` before its pixels are decoded.
        """
        features = self.transform(self.image(value, position, max_steps))
        if features.size(0) < 1:
            raise ValueError(f"input {position}: the image gives no time steps")
        return features.to(torch.float32)

    def describe_input(self, value: Any) -> str:
        """A path as given; in-memory images as an empty string."""
        return str(value) if isinstance(value, str | Path) else ""
