"""Calendar features of timestamps (known in advance, so they are inputs of the forecast steps too)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from lightning_seq.data.series.regular import Frequency

CalendarFeature = Literal["hour_of_day", "day_of_week", "day_of_year", "month_of_year"]
CALENDAR_FEATURES: tuple[str, ...] = ("hour_of_day", "day_of_week", "day_of_year", "month_of_year")


def default_calendar(frequency: Frequency) -> list[str]:
    """The cycles a grid of ``frequency`` can see.

    Hour, weekday and season below a day; weekday and season for days; the season for weeks; the month of the year
    for months.
    """
    if frequency.unit == "M":
        return ["month_of_year"]
    if frequency.seconds < 86400:
        return ["hour_of_day", "day_of_week", "day_of_year"]
    if frequency.seconds < 604800:
        return ["day_of_week", "day_of_year"]
    return ["day_of_year"]


def _phase(times: np.ndarray, feature: str) -> np.ndarray:
    """Where each time lies in the feature's cycle, in [0, 1)."""
    seconds = times.astype("datetime64[s]").astype(np.int64)
    days = times.astype("datetime64[D]")
    if feature == "hour_of_day":
        return (seconds % 86400) / 86400
    if feature == "day_of_week":  # 1970-01-01 was a Thursday: Monday is phase 0
        return ((days.astype(np.int64) + 3) % 7) / 7
    if feature == "day_of_year":
        return (days - days.astype("datetime64[Y]")).astype(np.int64) / 365.25
    if feature == "month_of_year":
        months = times.astype("datetime64[M]").astype(np.int64)
        return (months % 12) / 12
    raise ValueError(f"calendar features are {list(CALENDAR_FEATURES)}; got {feature!r}")


def calendar_features(times: np.ndarray, features: Sequence[str]) -> np.ndarray:
    """``(T, 2·n)`` float32: the sine and cosine of each feature's phase at each of ``times (T,)``."""
    columns = []
    for feature in features:
        angle = 2 * np.pi * _phase(times, feature)
        columns += [np.sin(angle), np.cos(angle)]
    return np.stack(columns, axis=1).astype(np.float32) if columns else np.zeros((len(times), 0), np.float32)
