import pytest
import torch
from PIL import Image

from lightning_seq.data import RowScan
from lightning_seq.data.batching.collate import pad_sequences
from lightning_seq.data.readers.images import load_image


def gradient_image(width=5, height=3, mode="RGB"):
    image = Image.new("RGB", (width, height))
    for x in range(width):
        for y in range(height):
            image.putpixel((x, y), (10 * x, 20 * y, 7))
    return image.convert(mode)


def test_rows_and_columns_of_rgb_image():
    image = gradient_image()
    rows = RowScan("rows", color="rgb", mean=0.0, std=1.0)(image)
    cols = RowScan("columns", color="rgb", mean=0.0, std=1.0)(image)
    assert rows.shape == (3, 15) and cols.shape == (5, 9)
    # features are channel-major: (C, W) per row, (C, H) per column
    torch.testing.assert_close(rows[1, :5] * 255, torch.tensor([0.0, 10, 20, 30, 40]))  # red of row 1
    torch.testing.assert_close(rows[1, 5:10] * 255, torch.full((5,), 20.0))  # green of row 1
    torch.testing.assert_close(cols[2] * 255, torch.tensor([20.0, 20, 20, 0, 20, 40, 7, 7, 7]))


def test_gray_normalisation_and_resizing():
    image = Image.new("L", (40, 10), 255)
    scan = RowScan("columns", height=20)
    seq = scan(image)
    assert seq.shape == (80, 20)  # aspect ratio kept: width doubles with the height, never stretched
    torch.testing.assert_close(seq, torch.ones(80, 20))  # (1 - 0.5) / 0.5
    assert scan.feature_size() == 20 and scan.steps_for(40, 10) == 80
    fixed = RowScan("rows", size=(28, 14))
    assert fixed(image).shape == (28, 14) and fixed.feature_size() == 14
    assert RowScan("rows").feature_size() is None


def test_variable_widths_pad_with_lengths():
    scan = RowScan("columns", height=8)
    seqs = [scan(Image.new("L", (w, 8))) for w in (5, 9, 2)]
    padded, lengths = pad_sequences(seqs)
    assert padded.shape == (3, 9, 8) and lengths.tolist() == [5, 9, 2]
    assert torch.count_nonzero(padded[2, 2:]) == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scan": "diagonal"}, "scan must be 'rows' or 'columns', got 'diagonal'"),
        ({"color": "cmyk"}, "color must be 'gray' or 'rgb', got 'cmyk'"),
        ({"height": 8, "size": (8, 8)}, "give either height"),
        ({"height": 0}, "height must be >= 1, got 0"),
        ({"std": 0.0}, "std must be > 0, got 0.0"),
    ],
)
def test_invalid_transform_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RowScan(**kwargs)


def test_corrupt_and_missing_images_name_the_file(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with pytest.raises(ValueError, match=r"cannot read image .*bad.png"):
        load_image(bad)
    with pytest.raises(FileNotFoundError, match=r"image file not found: .*nope.png"):
        load_image(tmp_path / "nope.png")
