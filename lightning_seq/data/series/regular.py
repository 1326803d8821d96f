"""Readings onto a regular time grid, and the explicit policy for missing readings (never dropped or interpolated)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal, NamedTuple

import numpy as np

from lightning_seq.data.series.table import SeriesReadings

MissingPolicy = Literal["error", "ffill", "mask"]
"""``error``: a missing reading is an error naming the file, series, column and time; ``ffill``: the last reading
is carried forward (a series must start observed); ``mask``: the reading is marked unobserved, the model reads an
observed indicator and the loss and metrics skip it."""

_PATTERN = re.compile(r"^\s*(\d*)\s*(s|min|h|D|W|M)\s*$")


class Frequency(NamedTuple):
    """A regular step: ``count`` of ``unit`` (``s``, ``min``, ``h``, ``D``, ``W``, or ``M`` for calendar months)."""

    count: int
    unit: str

    @classmethod
    def parse(cls, text: str) -> Frequency:
        """``"1h"``, ``"15min"``, ``"D"``, ``"1M"`` (month starts) as a ``Frequency``; anything else is an error."""
        match = _PATTERN.match(text)
        if match is None or (match.group(1) and int(match.group(1)) < 1):
            raise ValueError(
                f"frequency must be a count and a unit of s, min, h, D, W or M (calendar months), e.g. '1h', '15min', "
                f"'1D', '1M'; got {text!r}"
            )
        return cls(int(match.group(1) or 1), match.group(2))

    def __str__(self) -> str:
        return f"{self.count}{self.unit}"

    @property
    def seconds(self) -> int:
        """The step in seconds (a month counts as 30.44 days: only for rates such as steps per day)."""
        return {"s": 1, "min": 60, "h": 3600, "D": 86400, "W": 604800, "M": 2629746}[self.unit] * self.count

    def positions(self, times: np.ndarray, origin: np.datetime64) -> np.ndarray:
        """Each time's position on the grid through ``origin`` (float; NaN or a fraction: off the grid).

        Monthly grids count calendar months and need month starts; the others count fixed steps from ``origin``.
        """
        if self.unit == "M":
            months = times.astype("datetime64[M]")
            exact = months.astype("datetime64[s]") == times
            steps = (months - np.datetime64(origin, "M")).astype(np.int64).astype(np.float64) / self.count
            return np.where(exact, steps, np.nan)
        return (times - origin).astype(np.int64).astype(np.float64) / self.seconds

    def times(self, origin: np.datetime64, first: int, count: int) -> np.ndarray:
        """``count`` grid times from grid position ``first`` of the grid through ``origin``, as ``datetime64[s]``."""
        offsets = (first + np.arange(count)) * self.count
        if self.unit == "M":
            return (np.datetime64(origin, "M") + offsets).astype("datetime64[s]")
        return origin + (offsets * (self.seconds // self.count)).astype("timedelta64[s]")

    @property
    def periods_per_day(self) -> float:
        """Steps per day (fractional for weeks and months)."""
        return 86400 / self.seconds


def infer_frequency(series: Sequence[SeriesReadings]) -> Frequency:
    """The most common step between consecutive readings over all series.

    Calendar months when the readings fall on month starts 28 to 31 days apart; an error when no series has two
    readings.
    """
    steps = np.concatenate([np.diff(s.timestamps).astype(np.int64) for s in series if len(s.timestamps) > 1] or [[]])
    if steps.size == 0:
        raise ValueError("cannot infer the frequency: no series has two readings (give frequency)")
    values, counts = np.unique(steps, return_counts=True)
    step = int(values[np.argmax(counts)])
    times = np.concatenate([s.timestamps for s in series])
    month_starts = times.astype("datetime64[M]").astype("datetime64[s]") == times
    if 28 * 86400 <= step <= 31 * 86400 and month_starts.mean() > 0.5:
        return Frequency(1, "M")
    for unit, seconds in (("W", 604800), ("D", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if step % seconds == 0:
            return Frequency(step // seconds, unit)
    raise AssertionError("a whole number of seconds is always a step")  # pragma: no cover


class RegularSeries(NamedTuple):
    """One series on a regular grid.

    Attributes:
        series_id: the series' name.
        times: ``(T,)`` ``datetime64[s]`` grid times from the first reading to the last.
        values: ``(T, C)`` float64, filled by the missing policy (0 where unobserved under ``mask``).
        observed: ``(T, C)`` bool, False where a reading was missing (all True under ``error`` and ``ffill``).
        columns: the value columns' names.
        where: the file (named in errors).
    """

    series_id: str
    times: np.ndarray
    values: np.ndarray
    observed: np.ndarray
    columns: tuple[str, ...]
    where: str


def to_grid(
    readings: SeriesReadings, frequency: Frequency, origin: np.datetime64
) -> tuple[np.ndarray, np.ndarray]:
    """One series' readings on the grid through ``origin``: ``times (T,)`` and ``values (T, C)``.

    The grid runs from the series' first reading to its last; ``origin`` is the earliest time of all series.

    A grid time without a row is a missing reading (NaN). A row off the grid is an error naming it, except a row
    with no value at all, which holds no reading and is left out (as a blank line would be).
    """
    has_value = ~np.isnan(readings.values).all(axis=1)
    positions = frequency.positions(readings.timestamps, origin)
    off = np.flatnonzero(has_value & (np.isnan(positions) | (positions != np.round(positions))))
    if off.size:
        raise ValueError(
            f"{readings.where}: series {readings.series_id!r} has a reading at {readings.timestamps[off[0]]}, off the "
            f"{frequency} grid ({off.size} such rows): give the frequency the readings were taken at, or resample them"
        )
    if not has_value.any():
        raise ValueError(f"{readings.where}: series {readings.series_id!r} has no reading at all")
    steps = positions[has_value].astype(np.int64)
    first = int(steps[0])
    values = np.full((int(steps[-1]) - first + 1, readings.values.shape[1]), np.nan)
    values[steps - first] = readings.values[has_value]
    return frequency.times(origin, first, len(values)), values


def apply_missing(
    readings: SeriesReadings, times: np.ndarray, values: np.ndarray, policy: MissingPolicy
) -> RegularSeries:
    """Apply ``policy`` to the grid ``values`` (NaN = missing) of one series; see ``MissingPolicy``."""
    missing = np.isnan(values)
    name = f"{readings.where}: series {readings.series_id!r}"
    if policy == "error" and missing.any():
        row, column = (int(i[0]) for i in np.nonzero(missing))
        raise ValueError(
            f"{name}: {readings.columns[column]} is missing at {times[row]} ({int(missing.sum())} missing readings in "
            f"all, gaps in the timestamps included): choose missing='ffill' or missing='mask'"
        )
    if policy == "ffill":
        filled = values.copy()
        for column in range(values.shape[1]):
            seen = np.flatnonzero(~missing[:, column])
            if seen.size == 0 or seen[0] > 0:
                start = times[seen[0]] if seen.size else "never"
                raise ValueError(
                    f"{name}: {readings.columns[column]} cannot be carried forward before its first reading "
                    f"({start}, the series starts at {times[0]}): choose missing='mask' or cut the series"
                )
            last = np.maximum.accumulate(np.where(missing[:, column], 0, np.arange(len(values))))
            filled[:, column] = values[last, column]
        return RegularSeries(readings.series_id, times, filled, np.ones_like(missing), readings.columns, readings.where)
    if policy not in ("error", "mask"):
        raise ValueError(f"missing must be 'error', 'ffill' or 'mask', got {policy!r}")
    return RegularSeries(
        readings.series_id, times, np.where(missing, 0.0, values), ~missing, readings.columns, readings.where
    )
