import numpy as np
import pytest
import torch

from lightning_seq.data import RowScan, RowScanImageDataModule, SklearnDigits


def test_a_stratified_seeded_split_of_the_1797_real_digits():
    train, test = SklearnDigits(".", train=True), SklearnDigits(".", train=False)
    assert (len(train), len(test)) == (1438, 359)
    pairs = {(bytes(im.tobytes()), t) for im, t in (train[i] for i in range(len(train)))}
    assert not any((bytes(im.tobytes()), t) in pairs for im, t in (test[i] for i in range(len(test))))
    counts = torch.bincount(torch.tensor(test.targets), minlength=10)
    assert counts.min() >= 35 and counts.max() <= 37  # a fifth of each digit (174-183 images per digit)
    image, target = train[0]
    assert image.size == (8, 8) and image.mode == "L" and 0 <= target <= 9
    assert max(int(np.asarray(im).max()) for im in train.images) == 255  # counts 0-16 scaled to 0-255
    again = SklearnDigits(".", train=False)
    assert again.targets == test.targets and SklearnDigits(".", train=False, seed=1).targets != test.targets
    with pytest.raises(ValueError, match=r"test_fraction must lie in \(0, 1\), got 1.0"):
        SklearnDigits(".", test_fraction=1.0)


def test_the_row_scan_module_reads_them_as_8_steps_of_8_pixels():
    data = RowScanImageDataModule(root=".", dataset_class=SklearnDigits, transform=RowScan("rows", size=(8, 8)),
                                  batch_size=32)
    assert data.num_classes == 10 and data.label_names == [str(d) for d in range(10)] and data.feature_size == 8
    data.setup("fit")
    data.setup("test")
    assert (len(data.dataset("train")), len(data.dataset("val")), len(data.dataset("test"))) == (1294, 144, 359)
    batch = next(iter(data.test_dataloader()))
    assert batch.inputs.shape[1:] == (8, 8) and len(batch.inputs) <= 32 and set(batch.lengths.tolist()) == {8}
