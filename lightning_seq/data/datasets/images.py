"""Images (in memory or as files) scanned into sequences on access, with their time lengths known up front."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError
from torch import Tensor
from torch.utils.data import Dataset

from lightning_seq.data.readers.images import RowScan, load_image

ImageSource = Image.Image | Path


def image_size(source: ImageSource) -> tuple[int, int]:
    """``(width, height)`` of an image, reading only the file header; errors name the file."""
    if isinstance(source, Image.Image):
        return source.size
    if not source.is_file():
        raise FileNotFoundError(f"image file not found: {source}")
    try:
        with Image.open(source) as image:
            return image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise ValueError(f"cannot read image {source}: {err}") from err


class ImageSequenceDataset(Dataset):
    """Images scanned by ``transform`` when accessed; ``lengths`` are computed from image sizes at construction.

    Args:
        sources: PIL images or image file paths.
        targets: one target per image (a class id, or a tensor of label ids for transcription).
        transform: the ``RowScan`` that turns an image into ``(T, F)`` features.
        augment: a random warp applied to the resized image before scanning (training only), or None. It must
            keep the image size, so that ``lengths`` stay true.
    """

    def __init__(
        self,
        sources: Sequence[ImageSource],
        targets: Sequence[Any],
        transform: RowScan,
        augment: Callable[[Image.Image], Image.Image] | None = None,
    ) -> None:
        if len(sources) != len(targets):
            raise ValueError(f"{len(sources)} images but {len(targets)} targets")
        self.sources = list(sources)
        self.targets = list(targets)
        self.transform = transform
        self.augment = augment
        self.lengths = [transform.steps_for(*image_size(source)) for source in self.sources]

    def image(self, index: int) -> Image.Image:
        """The original image of sample ``index``."""
        source = self.sources[index]
        return source if isinstance(source, Image.Image) else load_image(source)

    def __len__(self) -> int:
        return len(self.sources)

    def __getitem__(self, index: int) -> tuple[Tensor, Any, int]:
        image = self.image(index)
        if self.augment is not None:  # warped at the scanned size (an 8x8 source is too small to warp well)
            image = self.augment(self.transform.resize(image))
        return self.transform(image), self.targets[index], index
