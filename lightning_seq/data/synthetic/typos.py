"""One-letter typos, as the generated corpora of short posts write them."""

from __future__ import annotations

import random
from collections.abc import Callable

FourthEdit = Callable[[random.Random, str, int], str]
"""The corpus's own fourth kind of edit: ``edit(rng, word, position) -> word``."""


def edit_one_letter(rng: random.Random, word: str, fourth: FourthEdit) -> str:
    """``word`` (3 letters or more) with a dropped, doubled or swapped letter at a random inner position, or ``fourth``.

    The draws, in order: the position, the kind (four equally likely), then whatever ``fourth`` draws.
    """
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i] + word[i:]
    if kind == 2:
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    return fourth(rng, word, i)
