"""Image classification as sequence classification: each image is scanned row by row (or column by column)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from torchvision.datasets import VisionDataset

from lightning_seq.data.augment.images import ImageAugment
from lightning_seq.data.datasets.images import ImageSequenceDataset, image_size
from lightning_seq.data.modules.base import LOADER_ARGS, SequenceDataModule
from lightning_seq.data.modules.records import class_ids
from lightning_seq.data.preprocessing.inputs import image_inputs_spec
from lightning_seq.data.readers.images import RowScan
from lightning_seq.data.synthetic.digits import digit_split_fonts, generate_handwritten_digits
from lightning_seq.docstrings import append_args

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


class ImageRecord(NamedTuple):
    """One image (a path or a PIL image), its class name and where it came from."""

    source: Any
    label: str
    where: str


def read_image_folder(split_dir: Path) -> tuple[list[Path], list[str]]:
    """Files of an ImageFolder split (``<split>/<class>/*.png|jpg|...``) and their class names, in sorted order."""
    if not split_dir.is_dir():
        raise FileNotFoundError(f"image folder not found: {split_dir}")
    paths, labels = [], []
    for class_dir in sorted(d for d in split_dir.iterdir() if d.is_dir()):
        for file in sorted(class_dir.iterdir()):
            if file.suffix.lower() in IMAGE_SUFFIXES:
                paths.append(file)
                labels.append(class_dir.name)
    if not paths:
        raise ValueError(f"{split_dir}: no images found in <class>/ folders (suffixes {list(IMAGE_SUFFIXES)})")
    return paths, labels


@append_args(LOADER_ARGS)
class RowScanImageDataModule(SequenceDataModule):
    """Classify images read as sequences (sequential-MNIST style): rows or columns are the time steps.

    Sources, in order of precedence:

    * ``dataset_class``: a torchvision data set with the MNIST signature (``MNIST``, ``FashionMNIST``, ``KMNIST``,
      or ``EMNIST`` with ``emnist_split``), built with ``root``, ``train`` and ``download``;
    * ``root``: an ImageFolder layout ``<root>/train/<class>/*.png`` with optional ``val/`` and ``test/`` splits;
    * neither: the embedded digits, drawn with handwriting-like variation in the machine's fonts, the font
      families dealt to the splits so that test digits come in glyph shapes training never saw (no download).

    Args:
        root: data folder (ImageFolder layout, or where the torchvision data set lives / is downloaded to).
        dataset_class: torchvision data set class by import path, e.g. ``torchvision.datasets.MNIST``.
        download: let the torchvision data set download its files.
        emnist_split: the ``split`` argument of ``torchvision.datasets.EMNIST`` (e.g. ``digits``, ``letters``).
        transform: how images become sequences (default: rows of a 28×28 gray image, normalised).
        augment: random warps of the training images (``ImageAugment``), or None. Validation and test images are
            never augmented.
        val_fraction: share of training images held out for validation when there is no ``val`` split.
        generated_size: training images of the embedded digits (val and test get a tenth each).
        seed: seed of the generated images, the val split and the shuffling order.
    """

    def __init__(
        self,
        root: str | None = None,
        dataset_class: type[VisionDataset] | None = None,
        download: bool = False,
        emnist_split: str | None = None,
        transform: RowScan | None = None,
        augment: ImageAugment | None = None,
        val_fraction: float = 0.1,
        generated_size: int = 6000,
        batch_size: int = 64,
        bucketing: bool = True,
        pool_batches: int = 16,
        num_workers: int = 0,
        seed: int = 0,
    ) -> None:
        super().__init__(
            batch_size=batch_size, bucketing=bucketing, pool_batches=pool_batches, num_workers=num_workers, seed=seed
        )
        if dataset_class is not None and root is None:
            raise ValueError("dataset_class needs a root folder to read (or download) the data set into")
        self.root = root
        self.dataset_class = dataset_class
        self.download = download
        self.emnist_split = emnist_split
        self.transform = transform if transform is not None else RowScan("rows", size=(28, 28))
        self.augment = augment
        self.label_names: list[str] = []  # a torchvision data set names its classes while it is read
        self.load_splits(generated_size=generated_size, val_fraction=val_fraction, minimum=10)
        if not self.label_names:
            self.label_names = sorted({record.label for record in self.records["train"]})
        self.num_classes = len(self.label_names)
        if self.num_classes < 2:
            raise ValueError(f"training data has a single class {self.label_names}: need at least two")
        for split, records in self.records.items():
            self.class_ids(split, records)  # unknown classes of val / test folders are named now, not at setup
        self.feature_size = self._feature_size([record.source for record in self.records["train"]])

    def generates(self) -> bool:
        """The embedded digits when neither a torchvision data set nor a root folder is given."""
        return self.dataset_class is None and self.root is None

    def generate(self, split: str, size: int, seed: int) -> list[ImageRecord]:
        """``size`` handwriting-like digits in the fonts dealt to ``split``."""
        pairs = generate_handwritten_digits(size, seed, digit_split_fonts()[split])
        return [ImageRecord(im, str(digit), f"<generated {split}>:{i + 1}") for i, (im, digit) in enumerate(pairs)]

    def read_sources(self) -> dict[str, list[ImageRecord]]:
        """The torchvision data set's train and test parts, or the ``train``/``val``/``test`` folders under root."""
        if self.dataset_class is not None:
            return self._read_torchvision()
        root = Path(str(self.root))
        splits = {}
        for split in ("train", "val", "test"):
            if split == "train" or (root / split).is_dir():
                paths, labels = read_image_folder(root / split)
                splits[split] = [ImageRecord(p, label, str(p)) for p, label in zip(paths, labels, strict=True)]
        return splits

    def _read_torchvision(self) -> dict[str, list[ImageRecord]]:
        options = {"split": self.emnist_split} if self.emnist_split is not None else {}
        splits = {}
        for split, train in (("train", True), ("test", False)):
            data = self.dataset_class(self.root, train=train, download=self.download, **options)
            pairs = [(image, int(target)) for image, target in data]  # one pass: every access decodes an image
            if split == "train":  # class ids index the training set's class names
                self.label_names = [str(c) for c in getattr(data, "classes", sorted({t for _, t in pairs}))]
            splits[split] = [
                ImageRecord(image, self.label_names[target], f"{type(data).__name__} {split}:{i + 1}")
                for i, (image, target) in enumerate(pairs)
            ]
        return splits

    def source_hint(self, split: str) -> str:
        """Image splits are folders under root."""
        return f"a {split}/ folder under {self.root}"

    def _feature_size(self, sources: list) -> int:
        fixed = self.transform.feature_size()
        if fixed is not None:
            return fixed
        sizes = [self.transform.scaled_size(*image_size(s)) for s in sources]
        across = [size[0] if self.transform.scan == "rows" else size[1] for size in sizes]
        for source, value in zip(sources, across, strict=True):
            if value != across[0]:
                raise ValueError(
                    f"images differ across the scan ({across[0]} vs {value} pixels at {source}): give the transform "
                    f"a fixed size, or a height when scanning columns"
                )
        return self.transform.channels * across[0]

    def inference_inputs(self) -> dict[str, Any]:
        """The ``transform`` (resize, scan direction, colour, normalisation): an image becomes what training read."""
        return image_inputs_spec(self.transform)

    def to_dataset(self, split: str, records: list[ImageRecord]) -> ImageSequenceDataset:
        """Images scanned when accessed, with class ids; training images augmented (``augment``)."""
        augment = self.augment if split == "train" else None
        targets = self.class_ids(split, records)
        return ImageSequenceDataset([record.source for record in records], targets, self.transform, augment)

    def class_ids(self, split: str, records: list[ImageRecord]) -> list[int]:
        """The class id of every record; a class not seen in training is refused, naming the split."""
        return class_ids(split, [record.label for record in records], self.label_names)

    def record_id(self, record: ImageRecord) -> str:
        """The image path (``<generated test>:row`` for the embedded digits)."""
        return str(record.source) if isinstance(record.source, Path) else record.where
