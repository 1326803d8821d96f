"""Seeded hold-out of a validation split."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def carve_validation(items: Sequence[T], fraction: float, seed: int) -> tuple[list[T], list[T]]:
    """Shuffle ``items`` with ``seed`` and split off ``fraction`` of them (at least one) for validation.

    Returns:
        ``(train, val)``.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"val_fraction must lie in (0, 1), got {fraction!r}")
    rows = list(items)
    random.Random(seed).shuffle(rows)
    cut = max(1, round(len(rows) * fraction))
    if cut >= len(rows):
        raise ValueError(f"{len(rows)} training rows are too few to carve a validation split from")
    return rows[cut:], rows[:cut]
