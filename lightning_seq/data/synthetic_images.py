"""Embedded image data rendered by the project: digits for classification, text lines for OCR.

Fonts are the TrueType files found under the usual system font folders plus Pillow's built-in font, so the data
is reproducible from the seed on one machine; machines with other fonts draw other (equally hard) glyphs.
"""

from __future__ import annotations

import random
import string
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "/Library/Fonts", "C:/Windows/Fonts")
OCR_CHARSET = string.digits + string.ascii_lowercase


@lru_cache(maxsize=1)
def system_fonts() -> tuple[str, ...]:
    """Paths of the plain-style TrueType fonts on this machine (sorted), possibly empty."""
    found = []
    for folder in FONT_DIRS:
        root = Path(folder)
        if root.is_dir():
            found += [str(p) for p in root.rglob("*.ttf") if "Extra" not in p.name]
    return tuple(sorted(found))


@lru_cache(maxsize=256)
def _font(path: str | None, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size=size)


def _pick_font(rng: random.Random, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    choices = [None, *system_fonts()]
    return _font(rng.choice(choices), size)


def _noisy(image: Image.Image, rng: random.Random, amount: float) -> Image.Image:
    """Blend uniform pixel noise drawn from ``rng`` (so the data set is reproducible from its seed)."""
    noise = Image.frombytes("L", image.size, rng.randbytes(image.width * image.height))
    return Image.blend(image, noise, alpha=0.35 * amount)


def render_digit(rng: random.Random, digit: int, size: int = 28) -> Image.Image:
    """One digit, white on black, varied font, scale, position, stroke, rotation and noise."""
    canvas = Image.new("L", (size * 2, size * 2), 0)
    font = _pick_font(rng, rng.randint(int(size * 0.7), int(size * 0.95)))
    draw = ImageDraw.Draw(canvas)
    draw.text(
        (size, size),
        str(digit),
        fill=255,
        font=font,
        anchor="mm",
        stroke_width=rng.choice((0, 0, 1, 2)),
        stroke_fill=255,
    )
    canvas = canvas.rotate(rng.uniform(-15, 15), resample=Image.Resampling.BILINEAR)
    shift = size // 5
    left, top = size // 2 + rng.randint(-shift, shift), size // 2 + rng.randint(-shift, shift)
    image = canvas.crop((left, top, left + size, top + size))
    return _noisy(image, rng, rng.uniform(0.0, 0.6))


def generate_digit_images(num_samples: int, seed: int, size: int = 28) -> list[tuple[Image.Image, int]]:
    """``num_samples`` balanced ``(image, digit)`` pairs, reproducible from ``seed`` on one machine."""
    if num_samples < 10:
        raise ValueError(f"num_samples must be >= 10, got {num_samples!r}")
    rng = random.Random(seed)
    digits = [i % 10 for i in range(num_samples)]
    rng.shuffle(digits)
    return [(render_digit(rng, d, size), d) for d in digits]


def render_text_line(rng: random.Random, text: str, height: int = 32) -> Image.Image:
    """A line of dark text on a light background: varied font, spacing, noise, blur and a slight rotation."""
    font = _pick_font(rng, rng.randint(int(height * 0.55), int(height * 0.75)))
    spacing = rng.randint(0, 3)
    widths = [max(1, round(font.getlength(ch))) for ch in text]
    width = sum(widths) + spacing * (len(text) - 1) + rng.randint(4, 12)
    image = Image.new("L", (width, height), rng.randint(190, 255))
    draw = ImageDraw.Draw(image)
    x = rng.randint(2, 6)
    ink = rng.randint(0, 70)
    for ch, w in zip(text, widths, strict=True):
        draw.text((x, height // 2 + rng.randint(-1, 1)), ch, fill=ink, font=font, anchor="lm")
        x += w + spacing
    image = image.rotate(rng.uniform(-2.0, 2.0), resample=Image.Resampling.BILINEAR, fillcolor=image.getpixel((0, 0)))
    if rng.random() < 0.5:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.2, 0.8)))
    return _noisy(image, rng, rng.uniform(0.0, 0.5))


def generate_text_lines(
    num_samples: int, seed: int, charset: str = OCR_CHARSET, min_chars: int = 3, max_chars: int = 8, height: int = 32
) -> list[tuple[Image.Image, str]]:
    """``num_samples`` ``(image, text)`` pairs of random strings over ``charset``, reproducible from ``seed``."""
    if num_samples < 1:
        raise ValueError(f"num_samples must be >= 1, got {num_samples!r}")
    if not 1 <= min_chars <= max_chars:
        raise ValueError(f"need 1 <= min_chars <= max_chars, got {min_chars!r} and {max_chars!r}")
    rng = random.Random(seed)
    pairs = []
    for _ in range(num_samples):
        text = "".join(rng.choice(charset) for _ in range(rng.randint(min_chars, max_chars)))
        pairs.append((render_text_line(rng, text, height), text))
    return pairs
