"""What the data modules share about records: the validation hold-out, generated split sizes, label order."""

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


def generated_splits(size: int, seed: int, minimum: int = 1) -> list[tuple[str, int, int]]:
    """Plan of an embedded data set: ``(split, samples, seed)`` for train (``size``), val and test (a tenth each).

    Each split has its own seed (``seed * 1000 + 0, 1, 2``), so the splits never share generated samples by design
    and every split is reproducible on its own.
    """
    plan = (("train", size), ("val", size // 10), ("test", size // 10))
    return [(split, max(count, minimum), seed * 1000 + offset) for offset, (split, count) in enumerate(plan)]


def sort_label_names(labels: set[str]) -> list[str]:
    """Label names in a stable order: numerically when all are integers, else alphabetically."""
    if all(label.lstrip("-").isdigit() for label in labels):
        return sorted(labels, key=int)
    return sorted(labels)


def class_ids(split: str, labels: Sequence[str], label_names: Sequence[str]) -> list[int]:
    """The class id of every label; a class training never saw is refused, naming the split and the known classes."""
    index = {name: i for i, name in enumerate(label_names)}
    unseen = sorted(set(labels) - set(index))
    if unseen:
        raise ValueError(f"{split}: classes not in training: {unseen}; known: {list(label_names)}")
    return [index[label] for label in labels]
