"""Normalisation per series and channel, fitted on the training span only; the seasonal-naive error MASE divides by."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Scaling(NamedTuple):
    """Location and scale of each channel of one series (``(C,)`` each): ``normalised = (value - loc) / scale``."""

    loc: np.ndarray
    scale: np.ndarray

    def to_state(self) -> dict[str, list[float]]:
        """Plain lists, for a checkpoint."""
        return {"loc": self.loc.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_state(cls, state: dict[str, list[float]]) -> Scaling:
        """The inverse of ``to_state``."""
        return cls(np.asarray(state["loc"], np.float64), np.asarray(state["scale"], np.float64))


def fit_scaling(values: np.ndarray, observed: np.ndarray, name: str) -> Scaling:
    """Mean and standard deviation of each channel's observed training values (a constant channel gets scale 1).

    Args:
        values: ``(T, C)`` the training span's values.
        observed: ``(T, C)`` which of them were read.
        name: the series, named when a channel has no training reading.
    """
    counts = observed.sum(axis=0)
    if (counts == 0).any():
        raise ValueError(f"{name}: channel {int(np.argmin(counts))} has no reading in the training span to "
                         f"normalise by")
    loc = np.where(observed, values, 0.0).sum(axis=0) / counts
    spread = np.sqrt(np.where(observed, (values - loc) ** 2, 0.0).sum(axis=0) / counts)
    return Scaling(loc, np.where(spread > 1e-8 * np.maximum(1.0, np.abs(loc)), spread, 1.0))


def seasonal_naive_error(values: np.ndarray, observed: np.ndarray, season: int) -> np.ndarray:
    """``(C,)`` mean absolute error of predicting each training value by the one ``season`` steps earlier.

    Only pairs where both were read count; 1 step when the span is too short for a season, and 1.0 when that error
    is zero or undefined (a constant channel), so MASE stays finite.
    """
    if len(values) <= season:
        season = 1
    if len(values) <= season:
        return np.ones(values.shape[1])
    both = observed[season:] & observed[:-season]
    errors = np.where(both, np.abs(values[season:] - values[:-season]), 0.0).sum(axis=0)
    pairs = both.sum(axis=0)
    mean = np.divide(errors, pairs, out=np.zeros_like(errors), where=pairs > 0)
    return np.where(mean > 0, mean, 1.0)
