"""What an input may claim before anything is allocated for it: time steps, pixels, audio channels and frames.

Every input encoder computes the size an input will have from what it claims (a text's tokens, an image header's
width and height, an audio header's frames and rate) and refuses it with ``InputTooLong`` or a ``ValueError``
*before* decoding pixels, reading samples or resampling, so a request of a few bytes cannot make the server
allocate gigabytes.
"""

from __future__ import annotations

import re

MAX_IMAGE_PIXELS = 40_000_000
"""The most pixels an image may have, as decoded and as scaled for the model (Pillow's own limit is 89 M)."""

MAX_AUDIO_CHANNELS = 32
"""The most channels a recording may have (they are mixed to mono)."""

ADDRESS = re.compile(r"<[^<>]*? at 0x[0-9a-fA-F]+>")


class InputTooLong(ValueError):
    """An input that would have more time steps once encoded than the limit allows (refused, never truncated).

    Args:
        position: the input's position in its request or call.
        steps: the time steps it would have.
        limit: the most allowed.
    """

    def __init__(self, position: int, steps: int, limit: int) -> None:
        super().__init__(f"input {position}: {steps} time steps once encoded, over the limit of {limit}")
        self.position, self.steps, self.limit = position, steps, limit


def check_steps(steps: int, limit: int | None, position: int) -> None:
    """Raise ``InputTooLong`` when ``steps`` is over ``limit`` (None: no limit)."""
    if limit is not None and steps > limit:
        raise InputTooLong(position, steps, limit)


def check_pixels(width: int, height: int, what: str, position: int) -> None:
    """Refuse an image of more than ``MAX_IMAGE_PIXELS`` pixels (``what``: as decoded, or as scaled)."""
    if width * height > MAX_IMAGE_PIXELS:
        raise ValueError(f"input {position}: the image is {width}x{height} pixels {what}, over the limit of "
                         f"{MAX_IMAGE_PIXELS} pixels")


def without_addresses(message: str) -> str:
    """``message`` without object reprs (``<_io.BytesIO object at 0x7f...>`` becomes ``the input``)."""
    return ADDRESS.sub("the input", message)


__all__ = ["MAX_AUDIO_CHANNELS", "MAX_IMAGE_PIXELS", "InputTooLong", "check_pixels", "check_steps",
           "without_addresses"]
