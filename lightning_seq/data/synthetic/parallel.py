"""An embedded seq2seq task in which attention clearly matters: reverse a letter sequence and shift each letter.

``"a c f"`` becomes ``"g d b"``: the i-th output depends on the (n-i)-th input, so a fixed-size summary of the
source must hold the whole sequence, while attention can look the right letter up.
"""

from __future__ import annotations

import random

ALPHABET = "abcdefghijklmnopqrst"


def transform(source: str) -> str:
    """The target of a source: reversed, every letter replaced by the next one (wrapping around)."""
    return " ".join(ALPHABET[(ALPHABET.index(ch) + 1) % len(ALPHABET)] for ch in reversed(source.split()))


def generate_parallel_corpus(num_samples: int, seed: int, min_len: int = 3, max_len: int = 10) -> list[tuple[str, str]]:
    """``num_samples`` ``(source, target)`` pairs, reproducible from ``seed``."""
    if num_samples < 1:
        raise ValueError(f"num_samples must be >= 1, got {num_samples!r}")
    if not 1 <= min_len <= max_len:
        raise ValueError(f"need 1 <= min_len <= max_len, got {min_len!r} and {max_len!r}")
    rng = random.Random(seed)
    pairs = []
    for _ in range(num_samples):
        source = " ".join(rng.choice(ALPHABET) for _ in range(rng.randint(min_len, max_len)))
        pairs.append((source, transform(source)))
    return pairs
