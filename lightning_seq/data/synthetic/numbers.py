"""Embedded conditional data: numbers 0-999 as a class, a digit vector or a rendered image -> their English words.

The condition decides the structure of the target (``seven``, ``forty two``, ``three hundred and five``). For
vectors and images the numbers of the val and test splits never occur in training, so exact match measures
generalisation, not memory; class conditions use 100 classes (0-99) seen in every split.
"""

from __future__ import annotations

import random

import torch
from PIL import Image
from torch import Tensor

from lightning_seq.data.synthetic.images import render_text_line

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
LABEL_CLASSES = 100


def number_words(number: int) -> str:
    """``342`` -> ``three hundred and forty two`` (0-999)."""
    if not 0 <= number <= 999:
        raise ValueError(f"number must lie in [0, 999], got {number!r}")
    hundreds, rest = divmod(number, 100)
    words = [_ONES[hundreds], "hundred"] if hundreds else []
    if rest or not hundreds:
        if hundreds:
            words.append("and")
        tens, ones = divmod(rest, 10)
        if rest < 20:
            words.append(_ONES[rest])
        else:
            words += [_TENS[tens]] + ([_ONES[ones]] if ones else [])
    return " ".join(words)


def digit_vector(number: int) -> Tensor:
    """One-hot hundreds, tens and ones digits ``(30,)``."""
    vector = torch.zeros(30)
    for place, digit in enumerate(f"{number:03d}"):
        vector[place * 10 + int(digit)] = 1.0
    return vector


def _held_out_numbers(seed: int) -> dict[str, list[int]]:
    numbers = list(range(1000))
    random.Random(seed).shuffle(numbers)
    return {"train": numbers[:800], "val": numbers[800:900], "test": numbers[900:]}


def generate_numbers(split: str, size: int, kind: str, seed: int) -> list[tuple[int | Tensor | Image.Image, str]]:
    """``size`` ``(condition, words)`` pairs of ``split`` for condition ``kind`` (label, vector or image)."""
    if kind not in ("label", "vector", "image"):
        raise ValueError(f"embedded numbers exist for label, vector and image conditions, not {kind!r}")
    rng = random.Random(seed * 1000 + ("train", "val", "test").index(split))
    pool = list(range(LABEL_CLASSES)) if kind == "label" else _held_out_numbers(seed)[split]
    condition = {"label": lambda n: n, "vector": digit_vector, "image": lambda n: render_text_line(rng, str(n))}[kind]
    numbers = [rng.choice(pool) for _ in range(size)]
    return [(condition(number), number_words(number)) for number in numbers]
