"""Forecast errors in original units, summed over batches and ranks: MAE, RMSE, MASE, sMAPE and interval coverage."""

from __future__ import annotations

import torch
from torch import Tensor
from torchmetrics import Metric


class ForecastErrors(Metric):
    """Errors of forecasts in original units over the targets that were read.

    * ``mae`` and ``rmse``: mean absolute and root mean squared error;
    * ``mase``: absolute error divided by the series' seasonal-naive error on its training span, averaged (below 1
      beats predicting each value by the one a season earlier, in-sample);
    * ``smape``: ``200 · |y - ŷ| / (|y| + |ŷ|)`` in percent (0 where both are 0);
    * ``coverage`` (when intervals are given): the share of targets inside their interval.
    """

    full_state_update = False

    def __init__(self) -> None:
        super().__init__()
        for name in ("absolute", "squared", "scaled", "smape", "count", "covered", "intervals"):
            self.add_state(name, default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")

    def update(  # type: ignore[override]
        self,
        forecast: Tensor,
        target: Tensor,
        observed: Tensor,
        naive_error: Tensor,
        lower: Tensor | None = None,
        upper: Tensor | None = None,
    ) -> None:
        """Add a batch.

        ``forecast``, ``target``, ``observed`` are ``(B, H, K)``, ``naive_error (B, K)``; the optional interval
        bounds ``(B, H, K)``.
        """
        keep = observed.bool()
        error = (forecast - target).double()
        absolute = torch.where(keep, error.abs(), 0.0)
        self.absolute += absolute.sum()
        self.squared += torch.where(keep, error**2, 0.0).sum()
        self.scaled += (absolute / naive_error.double().unsqueeze(1)).sum()
        denominator = forecast.double().abs() + target.double().abs()
        ratio = torch.where(denominator > 0, 200.0 * error.abs() / denominator.clamp(min=1e-12), 0.0)
        self.smape += torch.where(keep, ratio, 0.0).sum()
        self.count += keep.sum()
        if lower is not None and upper is not None:
            inside = (target >= lower) & (target <= upper) & keep
            self.covered += inside.sum()
            self.intervals += keep.sum()

    def compute(self) -> dict[str, Tensor]:
        """The metrics (``coverage`` only when intervals were given); NaN before any read target."""
        n = self.count if self.count > 0 else torch.tensor(float("nan"), dtype=torch.float64)
        values = {
            "mae": self.absolute / n,
            "rmse": torch.sqrt(self.squared / n),
            "mase": self.scaled / n,
            "smape": self.smape / n,
        }
        if self.intervals > 0:
            values["coverage"] = self.covered / self.intervals
        return {name: value.float() for name, value in values.items()}
