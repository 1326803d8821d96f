import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from lightning_seq.data import ImageAugment, RowScan, RowScanImageDataModule


def bar(width: int = 28) -> Image.Image:
    image = Image.new("L", (width, width), 0)
    ImageDraw.Draw(image).rectangle((12, 4, 15, 23), fill=255)  # a vertical stroke
    return image


def test_warps_keep_size_and_mode_and_vary_per_call():
    torch.manual_seed(0)
    augment = ImageAugment()
    outs = [augment(bar()) for _ in range(5)]
    assert {(o.size, o.mode) for o in outs} == {((28, 28), "L")}
    assert len({o.tobytes() for o in outs}) == 5


def test_a_slant_only_warp_shears_a_vertical_stroke():
    torch.manual_seed(0)
    augment = ImageAugment(degrees=0.0, translate=0.0, scale=(1.0, 1.0), shear=30.0, elastic_alpha=0.0)
    columns = []
    for _ in range(20):
        pixels = torch.from_numpy(np.array(augment(bar()), dtype=np.float32))
        top, bottom = pixels[5], pixels[22]
        columns.append((top.argmax().item(), bottom.argmax().item()))
    assert any(abs(t - b) >= 3 for t, b in columns)  # slanted: the stroke's top and bottom sit in other columns
    untouched = ImageAugment(degrees=0.0, translate=0.0, scale=(1.0, 1.0), shear=0.0, elastic_alpha=0.0)
    assert untouched(bar()).tobytes() == bar().tobytes()


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match=r"translate must lie in \[0, 1\), got 1.0"):
        ImageAugment(translate=1.0)
    with pytest.raises(ValueError, match=r"scale must be \(low, high\) with 0 < low <= high, got \(1.2, 0.8\)"):
        ImageAugment(scale=(1.2, 0.8))
    with pytest.raises(ValueError, match=r"elastic_fraction must lie in \[0, 1\], got 2"):
        ImageAugment(elastic_fraction=2)
    with pytest.raises(ValueError, match=r"fill must lie in \[0, 255\], got 300"):
        ImageAugment(fill=300)
    with pytest.raises(ValueError, match="a 8x8 image is too small for elastic_sigma=4.0"):
        ImageAugment()(bar(8))


def test_only_training_images_are_augmented(tmp_path):
    dm = RowScanImageDataModule(generated_size=20, augment=ImageAugment(), transform=RowScan("rows", size=(28, 28)))
    dm.setup("fit")
    dm.setup("test")
    train, val, test = dm.dataset("train"), dm.dataset("val"), dm.dataset("test")
    assert not torch.equal(train[0][0], train[0][0])  # drawn anew on every access
    assert torch.equal(val[0][0], val[0][0]) and torch.equal(test[0][0], test[0][0])
    assert train[0][0].shape == val[0][0].shape == (28, 28)
