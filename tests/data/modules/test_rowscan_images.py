import gzip
import struct

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image

from lightning_seq.data import RowScan, RowScanImageDataModule


def make_image_folder(root, splits=("train", "test"), per_class=4, size=(12, 10)):
    for split in splits:
        for label, value in (("cat", 40), ("dog", 200)):
            folder = root / split / label
            folder.mkdir(parents=True)
            for i in range(per_class):
                Image.new("L", size, value + i).save(folder / f"{i}.png")


def test_image_folder_layout_with_carved_validation(tmp_path):
    make_image_folder(tmp_path)
    dm = RowScanImageDataModule(root=str(tmp_path), transform=RowScan("rows"), val_fraction=0.25, batch_size=4)
    assert dm.label_names == ["cat", "dog"] and dm.num_classes == 2
    assert dm.feature_size == 12  # width of the images: one row per step
    dm.setup("fit")
    dm.setup("test")
    assert len(dm.dataset("train")) == 6 and len(dm.dataset("val")) == 2 and len(dm.dataset("test")) == 8
    batch = next(iter(dm.test_dataloader()))
    assert batch.inputs.shape == (4, 10, 12) and batch.lengths.tolist() == [10] * 4
    assert set(batch.targets.tolist()) <= {0, 1}
    assert not hasattr(dm, "vocab_size") and not hasattr(dm, "vocabulary")


def test_unequal_widths_without_resize_are_refused(tmp_path):
    make_image_folder(tmp_path, splits=("train",))
    Image.new("L", (13, 10)).save(tmp_path / "train" / "dog" / "wide.png")
    with pytest.raises(ValueError, match=r"images differ across the scan \(12 vs 13 pixels at .*wide.png\)"):
        RowScanImageDataModule(root=str(tmp_path), transform=RowScan("rows"))
    dm = RowScanImageDataModule(root=str(tmp_path), transform=RowScan("rows", size=(10, 12)))
    assert dm.feature_size == 12


def test_corrupt_image_names_the_file(tmp_path):
    make_image_folder(tmp_path, splits=("train",))
    (tmp_path / "train" / "cat" / "broken.png").write_bytes(b"garbage")
    dm = RowScanImageDataModule(root=str(tmp_path), transform=RowScan("rows", size=(10, 12)), val_fraction=0.1)
    with pytest.raises(ValueError, match=r"cannot read image .*broken.png"):
        dm.setup("fit")


def test_unknown_test_class_and_missing_folder(tmp_path):
    make_image_folder(tmp_path)
    (tmp_path / "test" / "bird").mkdir()
    Image.new("L", (12, 10)).save(tmp_path / "test" / "bird" / "0.png")
    with pytest.raises(ValueError, match=r"classes not in training: \['bird'\]"):
        RowScanImageDataModule(root=str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"image folder not found: .*nowhere/train"):
        RowScanImageDataModule(root=str(tmp_path / "nowhere"))


def write_idx(path, array, magic):
    with gzip.open(path, "wb") as handle:
        handle.write(struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in array.shape) + array.tobytes())


def test_torchvision_mnist_class_on_files_in_place(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, count in (("train", 20), ("t10k", 5)):
        write_idx(raw / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 255, (count, 28, 28), dtype=np.uint8), 2051)
        write_idx(raw / f"{prefix}-labels-idx1-ubyte.gz", (np.arange(count) % 10).astype(np.uint8), 2049)
        with gzip.open(raw / f"{prefix}-images-idx3-ubyte.gz") as src:
            (raw / f"{prefix}-images-idx3-ubyte").write_bytes(src.read())
        with gzip.open(raw / f"{prefix}-labels-idx1-ubyte.gz") as src:
            (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(src.read())
    dm = RowScanImageDataModule(
        root=str(tmp_path), dataset_class=torchvision.datasets.MNIST, download=False, val_fraction=0.2
    )
    assert dm.num_classes == 10 and dm.label_names[0].startswith("0") and dm.feature_size == 28
    dm.setup("fit")
    dm.setup("test")
    assert (len(dm.dataset("train")), len(dm.dataset("val")), len(dm.dataset("test"))) == (16, 4, 5)
    seq, target, _ = dm.dataset("test")[3]
    assert seq.shape == (28, 28) and target == 3


def test_embedded_digits_are_seeded():
    dm = RowScanImageDataModule(generated_size=50, seed=1)
    again = RowScanImageDataModule(generated_size=50, seed=1)
    dm.setup("fit")
    again.setup("fit")
    torch.testing.assert_close(dm.dataset("train")[0][0], again.dataset("train")[0][0])
    assert dm.label_names == [str(d) for d in range(10)] and len(dm.dataset("val")) == 10
    with pytest.raises(ValueError, match="dataset_class needs a root folder"):
        RowScanImageDataModule(dataset_class=torchvision.datasets.MNIST)
