"""Forecasting baselines: persistence, seasonal naive and ridge regression on lags (the linear model to beat).

The naive forecasts read a series' own readings in original units; the ridge reads exactly what the recurrent
forecaster reads (the flattened context and the known inputs of the forecast steps, normalised) and predicts all
steps at once, its L2 strength chosen on validation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def persistence(values: np.ndarray, observed: np.ndarray, end: int, horizon: int) -> np.ndarray:
    """``(H, K)``: each target's last reading before step ``end``, held for ``horizon`` steps (NaN if none).

    Args:
        values: ``(T, K)`` one series' target readings, original units.
        observed: ``(T, K)`` which were read.
        end: the first forecast step.
        horizon: forecast steps ``H``.
    """
    out = np.full((horizon, values.shape[1]), np.nan)
    for k in range(values.shape[1]):
        seen = np.flatnonzero(observed[:end, k])
        if seen.size:
            out[:, k] = values[seen[-1], k]
    return out


def seasonal_naive(values: np.ndarray, observed: np.ndarray, end: int, horizon: int, season: int) -> np.ndarray:
    """``(H, K)``: each forecast step by the reading one (or more) seasons earlier, before ``end``.

    Where that reading is missing, by persistence.

    Args:
        values: ``(T, K)`` one series' target readings, original units.
        observed: ``(T, K)`` which were read.
        end: the first forecast step.
        horizon: forecast steps ``H``.
        season: steps per season (24 for hourly readings with a daily cycle).
    """
    if season < 1:
        raise ValueError(f"season must be >= 1, got {season!r}")
    fallback = persistence(values, observed, end, horizon)
    out = fallback.copy()
    for h in range(horizon):
        source = end + h - season * (h // season + 1)
        if source >= 0:
            read = observed[source]
            out[h] = np.where(read, values[source], fallback[h])
    return out


class RidgeForecast:
    """Ridge regression from flattened inputs ``X (N, D)`` to all forecast values ``Y (N, H·K)`` at once.

    Args:
        alphas: the L2 strengths tried; ``fit_select`` keeps the one with the least validation squared error.
    """

    def __init__(self, alphas: Sequence[float] = (0.1, 1.0, 10.0, 100.0, 1000.0)) -> None:
        if not alphas or min(alphas) <= 0:
            raise ValueError(f"alphas must be positive, got {list(alphas)}")
        self.alphas = list(alphas)
        self.alpha: float | None = None
        self.weights: np.ndarray | None = None

    @staticmethod
    def _design(x: np.ndarray) -> np.ndarray:
        return np.concatenate([x, np.ones((len(x), 1))], axis=1)

    def fit(self, x: np.ndarray, y: np.ndarray, alpha: float) -> RidgeForecast:
        """Solve ``(XᵀX + αI) W = XᵀY`` (the intercept unpenalised)."""
        design = self._design(x.astype(np.float64))
        gram = design.T @ design
        penalty = alpha * np.eye(len(gram))
        penalty[-1, -1] = 0.0
        self.weights = np.linalg.solve(gram + penalty, design.T @ y.astype(np.float64))
        self.alpha = alpha
        return self

    def fit_select(self, x: np.ndarray, y: np.ndarray, x_val: np.ndarray, y_val: np.ndarray,
                   val_weight: np.ndarray | None = None) -> RidgeForecast:
        """Fit every alpha on the training rows; keep the one with the least (weighted) validation squared error."""
        weight = np.ones_like(y_val) if val_weight is None else val_weight
        errors = [float((weight * (self.fit(x, y, a).predict(x_val) - y_val) ** 2).sum()) for a in self.alphas]
        return self.fit(x, y, self.alphas[int(np.argmin(errors))])

    def predict(self, x: np.ndarray) -> np.ndarray:
        """``(N, H·K)`` forecasts of ``x (N, D)``."""
        if self.weights is None:
            raise RuntimeError("fit the ridge first")
        return self._design(x.astype(np.float64)) @ self.weights
