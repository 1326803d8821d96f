"""The 1,797 real handwritten 8x8 digits that scikit-learn ships, as a torchvision-style data set (no download).

They are the UCI "optical recognition of handwritten digits" test set: 8x8 blocks of 4x4 pixel counts (0-16) from
scans of forms filled in by 43 people. scikit-learn has no writer ids, so the split here is stratified by class and
seeded, not by writer: ``test_fraction`` of each digit is the test split.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image
from torchvision.datasets import VisionDataset


class SklearnDigits(VisionDataset):
    """scikit-learn's handwritten digits with the MNIST signature, for ``RowScanImageDataModule(dataset_class=...)``.

    ``--data.dataset_class=lightning_seq.data.SklearnDigits --data.root=.`` (``root`` is not read: the images ship
    inside scikit-learn). Each item is an 8x8 gray PIL image (counts 0-16 scaled to 0-255) and its digit.

    Args:
        root: unused; kept for the MNIST signature.
        train: the training split (else the test split).
        download: unused (nothing to download).
        test_fraction: share of each digit's images in the test split.
        seed: seed of the stratified split.
    """

    classes = [str(d) for d in range(10)]

    def __init__(
        self, root: str, train: bool = True, download: bool = False, test_fraction: float = 0.2, seed: int = 0
    ) -> None:
        super().__init__(root)
        if not 0.0 < test_fraction < 1.0:
            raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction!r}")
        try:
            from sklearn.datasets import load_digits
        except ImportError as err:  # an optional dependency
            raise ImportError(
                "SklearnDigits needs scikit-learn: pip install -c constraints.txt -e '.[sklearn]'"
            ) from err
        digits = load_digits()
        images = np.clip(digits.images * (255.0 / 16.0), 0, 255).astype(np.uint8)  # (1797, 8, 8)
        targets = digits.target.astype(int)
        generator = np.random.default_rng(seed)
        chosen = []
        for digit in range(10):
            rows = np.flatnonzero(targets == digit)
            generator.shuffle(rows)
            held_out = int(round(len(rows) * test_fraction))
            chosen.extend(rows[held_out:] if train else rows[:held_out])
        order = np.sort(np.asarray(chosen))
        self.images = [Image.fromarray(images[i]) for i in order]  # 2-D uint8: gray ("L")
        self.targets = [int(targets[i]) for i in order]

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[Any, int]:
        return self.images[index], self.targets[index]
