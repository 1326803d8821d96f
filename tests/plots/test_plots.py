import pytest
import torch
from PIL import Image

from lightning_seq.plots import render_confusion_matrix, render_contact_sheet
from lightning_seq.plots.contact_sheet import _marked


def test_confusion_matrix_image_size_and_validation():
    image = render_confusion_matrix(torch.tensor([[5, 1], [0, 4]]), ["cat", "dog"], cell=30)
    assert image.size == (30 * 3 + 2 * 30 + 4, 30 * 3 + 2 * 30 + 4)
    assert image.getpixel((30 * 3 + 15, 30 * 3 + 3)) != (255, 255, 255)  # the diagonal cell is shaded
    with pytest.raises(ValueError, match="need a square matrix and one name per class"):
        render_confusion_matrix(torch.zeros(2, 3), ["a", "b"])


def test_contact_sheet_marks_wrong_characters():
    assert _marked("hello", "hallo") == [("h", False), ("a", True), ("l", False), ("l", False), ("o", False)]
    images = [Image.new("L", (60, 20), 200), Image.new("L", (30, 10), 100), Image.new("L", (40, 20), 0)]
    sheet = render_contact_sheet(images, ["ab", "cd", "ef"], ["ab", "cx", ""], columns=2)
    assert sheet.size[1] == 2 * (48 + 48)
    red = sum(1 for px in sheet.getdata() if px[0] > 200 and px[1] < 80 and px[2] < 80)
    assert red > 0  # the wrong 'x' and the missing-character count are drawn in red
    with pytest.raises(ValueError, match="need the same positive number"):
        render_contact_sheet(images, ["a"], ["a"])
