"""Image classification as sequence classification: each image is scanned row by row (or column by column)."""

from __future__ import annotations

from pathlib import Path

from torchvision.datasets import VisionDataset

from lightning_seq.data.base import SequenceDataModule
from lightning_seq.data.image_augment import ImageAugment
from lightning_seq.data.image_datasets import ImageSequenceDataset, image_size
from lightning_seq.data.images import RowScan
from lightning_seq.data.splits import carve_validation, generated_splits
from lightning_seq.data.synthetic.digits import digit_split_fonts, generate_handwritten_digits

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


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
        batch_size: samples per batch (per rank under DDP).
        bucketing: group samples of similar length into batches.
        pool_batches: steps per sorting pool when bucketing.
        num_workers: DataLoader worker processes.
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
        super().__init__(batch_size, bucketing, pool_batches, num_workers, seed)
        if dataset_class is not None and root is None:
            raise ValueError("dataset_class needs a root folder to read (or download) the data set into")
        if generated_size < 10:
            raise ValueError(f"generated_size must be >= 10, got {generated_size!r}")
        self.root = root
        self.dataset_class = dataset_class
        self.download = download
        self.emnist_split = emnist_split
        self.transform = transform if transform is not None else RowScan("rows", size=(28, 28))
        self.augment = augment
        self.val_fraction = val_fraction
        self.generated_size = generated_size
        splits, self.label_names = self._read_splits()
        self.splits = splits
        self.num_classes = len(self.label_names)
        if self.num_classes < 2:
            raise ValueError(f"training data has a single class {self.label_names}: need at least two")
        self.feature_size = self._feature_size(splits["train"][0])  # the training sources

    def _read_splits(self) -> tuple[dict[str, tuple[list, list[int]]], list[str]]:
        if self.dataset_class is not None:
            return self._read_torchvision()
        if self.root is not None:
            return self._read_folders(Path(self.root))
        names = [str(d) for d in range(10)]
        splits = {}
        fonts = digit_split_fonts()
        for stage, size, seed in generated_splits(self.generated_size, self.seed, minimum=10):
            pairs = generate_handwritten_digits(size, seed, fonts[stage])
            splits[stage] = ([image for image, _ in pairs], [digit for _, digit in pairs])
        return splits, names

    def _read_torchvision(self) -> tuple[dict[str, tuple[list, list[int]]], list[str]]:
        options = {"split": self.emnist_split} if self.emnist_split is not None else {}
        splits = {}
        names: list[str] = []
        for stage, train in (("train", True), ("test", False)):
            data = self.dataset_class(self.root, train=train, download=self.download, **options)
            images, targets = zip(*((image, int(target)) for image, target in data), strict=True)
            splits[stage] = (list(images), list(targets))
            names = [str(c) for c in getattr(data, "classes", sorted(set(targets)))]
        train, val = carve_validation(list(zip(*splits["train"], strict=True)), self.val_fraction, self.seed)
        splits["train"] = ([i for i, _ in train], [t for _, t in train])
        splits["val"] = ([i for i, _ in val], [t for _, t in val])
        return splits, names

    def _read_folders(self, root: Path) -> tuple[dict[str, tuple[list, list[int]]], list[str]]:
        train_paths, train_labels = read_image_folder(root / "train")
        names = sorted(set(train_labels))
        index = {name: i for i, name in enumerate(names)}
        splits = {"train": (train_paths, [index[label] for label in train_labels])}
        if (root / "val").is_dir():
            stages = ["val"]
        else:
            train, val = carve_validation(list(zip(*splits["train"], strict=True)), self.val_fraction, self.seed)
            splits["train"] = ([p for p, _ in train], [t for _, t in train])
            splits["val"] = ([p for p, _ in val], [t for _, t in val])
            stages = []
        if (root / "test").is_dir():
            stages.append("test")
        for stage in stages:
            paths, labels = read_image_folder(root / stage)
            unseen = sorted(set(labels) - set(names))
            if unseen:
                raise ValueError(f"{root / stage}: classes not in training: {unseen}; known: {names}")
            splits[stage] = (paths, [index[label] for label in labels])
        return splits, names

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

    def setup(self, stage: str | None = None) -> None:
        """Wrap the splits the stage needs as data sets (images are scanned when accessed)."""
        wanted = {"fit": ["train", "val"], "validate": ["val"], "test": ["test"], "predict": ["test"]}
        for split in wanted.get(stage or "fit", ["train", "val"]):
            if split not in self.splits:
                raise ValueError(f"no {split} split: add a {split}/ folder under {self.root}")
            if split not in self.datasets:
                sources, targets = self.splits[split]
                augment = self.augment if split == "train" else None
                self.datasets[split] = ImageSequenceDataset(sources, targets, self.transform, augment)
        if stage == "predict":
            self.datasets["predict"] = self.datasets["test"]

    def prediction_ids(self) -> list[str]:
        """The image path of each prediction input (``<generated test>:row`` for the embedded digits)."""
        sources = self.splits["test"][0]
        return [str(s) if isinstance(s, Path) else f"<generated test>:{i + 1}" for i, s in enumerate(sources)]
