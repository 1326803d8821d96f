"""Embedded image data rendered by the project: fonts, and text lines for OCR (digits: ``synthetic.digits``).

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
def load_font(path: str | None, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The TrueType font at ``path`` in ``size`` pixels (None: Pillow's built-in font), cached."""
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size=size)


def _pick_font(rng: random.Random, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    choices = [None, *system_fonts()]
    return load_font(rng.choice(choices), size)


def add_pixel_noise(image: Image.Image, rng: random.Random, amount: float) -> Image.Image:
    """Blend uniform pixel noise drawn from ``rng`` (so the data set is reproducible from its seed)."""
    noise = Image.frombytes("L", image.size, rng.randbytes(image.width * image.height))
    return Image.blend(image, noise, alpha=0.35 * amount)


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
    return add_pixel_noise(image, rng, rng.uniform(0.0, 0.5))


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
