"""Chronological splits with a gap of one horizon between them, and the forecast windows inside each split."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np


class Window(NamedTuple):
    """One forecast window of a series: context steps ``[start, end)``, forecast steps ``[end, end + horizon)``."""

    series: int
    start: int
    end: int


def split_starts(
    first: np.datetime64,
    last: np.datetime64,
    val_fraction: float,
    test_fraction: float,
    val_start: str | None = None,
    test_start: str | None = None,
) -> tuple[np.datetime64, np.datetime64]:
    """When validation and test begin: given times, or fractions of the span ``[first, last]`` of all series.

    Args:
        first: the earliest reading of any series.
        last: the latest reading of any series.
        val_fraction: share of the span for validation (the part before the test span).
        test_fraction: share of the span for test (the end of the span).
        val_start: ISO time validation starts at (overrides ``val_fraction``).
        test_start: ISO time test starts at (overrides ``test_fraction``).
    """
    for name, value in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not 0.0 < value < 1.0:
            raise ValueError(f"{name} must lie in (0, 1), got {value!r}")
    if val_fraction + test_fraction >= 1.0:
        raise ValueError(f"val_fraction + test_fraction must be < 1 (training needs a span), got "
                         f"{val_fraction} + {test_fraction}")
    span = (last - first).astype(np.int64)
    starts = []
    for name, given, fraction in (("val_start", val_start, val_fraction + test_fraction),
                                  ("test_start", test_start, test_fraction)):
        if given is None:
            starts.append(first + np.timedelta64(int(span * (1.0 - fraction)), "s"))
            continue
        try:
            starts.append(np.datetime64(given, "s"))
        except ValueError:
            raise ValueError(f"{name} must be an ISO 8601 time such as '2024-06-01', got {given!r}") from None
    val, test = starts
    if not first < val < test <= last:
        raise ValueError(
            f"the splits must start in order inside the data ({first} .. {last}): val_start {val}, test_start {test}"
        )
    return val, test


def spans(times: np.ndarray, val: np.datetime64, test: np.datetime64, horizon: int) -> dict[str, tuple[int, int]]:
    """Each split's step range ``[a, b)`` in one series' grid ``times``.

    The ``horizon`` steps after each cut belong to no split: no window of a later split starts within a horizon of
    an earlier split's last target.
    """
    val_at, test_at = (int(np.searchsorted(times, cut)) for cut in (val, test))
    return {
        "train": (0, val_at),
        "val": (min(val_at + horizon, test_at), test_at),
        "test": (min(test_at + horizon, len(times)), len(times)),
    }


def windows_in(
    series: int, span: tuple[int, int], context_length: int, min_context: int, horizon: int, stride: int
) -> list[Window]:
    """The windows that lie wholly inside ``span``.

    Each has at least ``min_context`` context steps (at most ``context_length``), then ``horizon`` forecast steps;
    their forecast starts are ``stride`` steps apart.
    """
    a, b = span
    return [
        Window(series, max(a, end - context_length), end)
        for end in range(a + min_context, b - horizon + 1, stride)
    ]


def check_windows(windows: Sequence[Window], split: str, hint: str) -> None:
    """Refuse a split without any window, saying what it would need."""
    if not windows:
        raise ValueError(f"the {split} split holds no window: {hint}")
