"""Embedded digits rendered with handwriting-like variation, their fonts held out per split.

A digit is drawn in a font, then given a random slant, rotation, stroke weight (thinned or thickened), elastic
wobble, scale, position and pixel noise. The fonts are grouped into families and the families dealt to the splits,
so that test digits are drawn in glyph shapes never seen in training (as real test sets hold other writers).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw, ImageFilter

from lightning_seq.data.synthetic.images import add_pixel_noise, load_font, system_fonts

FontPath = str | None  # None: Pillow's built-in font


def font_families(fonts: Sequence[str]) -> dict[str, list[FontPath]]:
    """Font files grouped by family (file name before the first ``-``), with Pillow's built-in font its own."""
    families: dict[str, list[FontPath]] = {"pillow-default": [None]}
    for path in fonts:
        families.setdefault(Path(path).stem.split("-")[0], []).append(path)
    return dict(sorted(families.items()))


def split_fonts(fonts: Sequence[str]) -> dict[str, list[FontPath]]:
    """Deal the font families to the splits, so that val and test glyph shapes are never seen in training.

    The i-th family (sorted by name) goes to test when ``i % 3 == 1``, to val when ``i % 3 == 2``, else to train.
    With fewer than three families every split shares all fonts.
    """
    families = list(font_families(fonts).values())
    if len(families) < 3:
        shared = [font for family in families for font in family]
        return {"train": shared, "val": shared, "test": shared}
    dealt: dict[str, list[FontPath]] = {"train": [], "val": [], "test": []}
    for i, family in enumerate(families):
        dealt[("train", "test", "val")[i % 3]] += family
    return dealt


def _elastic(image: Image.Image, rng: random.Random, strength: float) -> Image.Image:
    """Displace pixels by a smooth random field (a 4×4 grid of offsets, upsampled), ``strength`` pixels at most."""
    size = image.size[0]
    coarse = torch.tensor([[rng.uniform(-1, 1) for _ in range(32)]]).view(1, 2, 4, 4)
    field = F.interpolate(coarse, size=(size, size), mode="bicubic", align_corners=True)  # (1, 2, H, W)
    grid_y, grid_x = torch.meshgrid(torch.linspace(-1, 1, size), torch.linspace(-1, 1, size), indexing="ij")
    grid = torch.stack([grid_x, grid_y], -1).unsqueeze(0) + field.permute(0, 2, 3, 1) * (2 * strength / size)
    pixels = torch.from_numpy(np.array(image, dtype=np.float32)).view(1, 1, size, size)
    warped = F.grid_sample(pixels, grid, mode="bilinear", padding_mode="zeros", align_corners=True)
    return Image.frombytes("L", image.size, warped.clamp(0, 255).round().to(torch.uint8).numpy().tobytes())


def render_handwritten_digit(rng: random.Random, digit: int, fonts: Sequence[FontPath], size: int = 28) -> Image.Image:
    """One digit, white on black, in one of ``fonts``, with handwriting-like variation."""
    canvas = Image.new("L", (size * 2, size * 2), 0)
    font = load_font(rng.choice(list(fonts)), rng.randint(int(size * 0.65), int(size * 0.95)))
    stroke = rng.choice((0, 0, 1, 1, 2))  # thickened by drawing an outline in the ink colour
    ImageDraw.Draw(canvas).text((size, size), str(digit), fill=255, font=font, anchor="mm", stroke_width=stroke,
                                stroke_fill=255)
    if stroke > 0 and rng.random() < 0.5:  # thinned by an erosion, never below the font's own strokes
        canvas = canvas.filter(ImageFilter.MinFilter(3))
    slant = rng.uniform(-0.35, 0.35)  # horizontal shear about the centre
    canvas = canvas.transform(canvas.size, Image.Transform.AFFINE, (1, slant, -slant * size, 0, 1, 0),
                              resample=Image.Resampling.BILINEAR)
    canvas = canvas.rotate(rng.uniform(-12, 12), resample=Image.Resampling.BILINEAR)
    shift = size // 6
    left, top = size // 2 + rng.randint(-shift, shift), size // 2 + rng.randint(-shift, shift)
    image = canvas.crop((left, top, left + size, top + size))
    image = _elastic(image, rng, rng.uniform(0.0, 2.5))
    if rng.random() < 0.3:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.9)))
    return add_pixel_noise(image, rng, rng.uniform(0.0, 0.5))


def generate_handwritten_digits(
    num_samples: int, seed: int, fonts: Sequence[FontPath], size: int = 28
) -> list[tuple[Image.Image, int]]:
    """``num_samples`` balanced ``(image, digit)`` pairs drawn in ``fonts``, reproducible from ``seed``."""
    if num_samples < 10:
        raise ValueError(f"num_samples must be >= 10, got {num_samples!r}")
    if not fonts:
        raise ValueError("fonts must hold at least one font (None: Pillow's built-in font)")
    rng = random.Random(seed)
    digits = [i % 10 for i in range(num_samples)]
    rng.shuffle(digits)
    return [(render_handwritten_digit(rng, d, fonts, size), d) for d in digits]


def digit_split_fonts() -> dict[str, list[FontPath]]:
    """The fonts of each embedded split on this machine (``split_fonts`` of the system fonts)."""
    return split_fonts(system_fonts())
