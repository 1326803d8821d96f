import collections

import numpy as np
import pytest

from lightning_seq.data.synthetic.digits import font_families, generate_handwritten_digits, split_fonts

FONTS = [f"/fonts/{name}.ttf" for name in (
    "Alpha", "Alpha-Bold", "Beta", "Gamma-Italic", "Gamma", "Delta", "Epsilon", "Epsilon-Bold"
)]


def test_families_group_a_font_with_its_styles_and_the_builtin_font_stands_alone():
    families = font_families(FONTS)
    assert list(families) == ["Alpha", "Beta", "Delta", "Epsilon", "Gamma", "pillow-default"]
    assert families["Alpha"] == ["/fonts/Alpha.ttf", "/fonts/Alpha-Bold.ttf"] and families["pillow-default"] == [None]


@pytest.mark.parametrize("count", [3, 4, 5, 6, 7, 8])
def test_splits_never_share_a_family_once_there_are_three(count):
    fonts = [f"/fonts/F{i}-Regular.ttf" for i in range(count - 1)]  # + the built-in font: `count` families
    dealt = split_fonts(fonts)
    assert all(dealt[s] for s in ("train", "val", "test"))
    seen = collections.Counter(font for fonts_of_split in dealt.values() for font in fonts_of_split)
    assert set(seen.values()) == {1} and len(seen) == count


def test_too_few_families_are_shared_by_every_split():
    assert split_fonts([]) == {"train": [None], "val": [None], "test": [None]}
    assert all(set(fonts) == {None, "/f/A.ttf"} for fonts in split_fonts(["/f/A.ttf"]).values())


def test_digits_are_balanced_reproducible_and_drawn_white_on_black():
    images = generate_handwritten_digits(30, seed=2, fonts=[None])
    assert collections.Counter(d for _, d in images) == {d: 3 for d in range(10)}
    again = generate_handwritten_digits(30, seed=2, fonts=[None])
    assert [i.tobytes() for i, _ in images] == [i.tobytes() for i, _ in again]
    for image, _ in images:
        pixels = sorted(np.asarray(image).ravel().tolist())
        assert image.size == (28, 28) and image.mode == "L"
        assert pixels[len(pixels) // 2] < 100 < pixels[-1]  # a dark background, bright ink
    with pytest.raises(ValueError, match="fonts must hold at least one font"):
        generate_handwritten_digits(10, seed=0, fonts=[])
