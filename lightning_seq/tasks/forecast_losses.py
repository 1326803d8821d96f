"""What a forecaster outputs per target and step, and the loss it trains with: a point loss, a likelihood or quantiles.

Each ``ForecastLoss`` says how many outputs it needs per target and forecast step (``outputs_per_target``), turns
the model's raw outputs ``(B, H, K, P)`` into a point forecast (and, when probabilistic, quantiles), and scores them
against normalised targets, skipping the targets that were not read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

from lightning_seq.tasks.plain_settings import PlainSettings


class ForecastLoss(PlainSettings):
    """Base: a point loss or a predictive distribution over each target of each forecast step.

    A plain settings object (its attributes are its ``__init__`` arguments), so a checkpoint keeps it as
    ``{"class_path", "init_args"}`` and loads weights-only. Subclasses set ``probabilistic``, say how many outputs
    they need (``outputs_per_target``) and implement ``elementwise`` and ``point`` (probabilistic ones also
    ``quantiles``).
    """

    probabilistic: bool = False

    @property
    def outputs_per_target(self) -> int:
        """Outputs per target and forecast step ``P``."""
        return 1

    def elementwise(self, outputs: Tensor, targets: Tensor) -> Tensor:
        """The loss of each target: ``outputs (B, H, K, P)``, ``targets (B, H, K)`` -> ``(B, H, K)``."""
        raise NotImplementedError

    def point(self, outputs: Tensor) -> Tensor:
        """The point forecast ``(B, H, K)`` of ``outputs (B, H, K, P)``."""
        raise NotImplementedError

    def quantiles(self, outputs: Tensor, levels: Sequence[float]) -> Tensor:
        """Quantiles ``(B, H, K, Q)`` at ``levels`` (probabilistic losses only)."""
        raise TypeError(f"{type(self).__name__} forecasts points: it has no quantiles (use a likelihood or quantiles)")

    def __call__(self, outputs: Tensor, targets: Tensor, observed: Tensor) -> tuple[Tensor, Tensor]:
        """The mean loss over the read targets, and their count.

        ``outputs (B, H, K, P)``, ``targets`` and ``observed (B, H, K)`` -> ``(loss (), count ())``; a batch without
        a read target gives loss 0.
        """
        losses = self.elementwise(outputs.float(), targets.float())  # (B, H, K)
        count = observed.sum().float()
        return torch.where(observed, losses, 0.0).sum() / count.clamp(min=1.0), count


class PointLoss(ForecastLoss):
    """One value per target and step, trained by squared, absolute or Huber error.

    Args:
        kind: ``mse`` (forecasts the mean), ``mae`` (the median) or ``huber``.
        delta: where the Huber loss turns from squared to linear, in normalised units.
    """

    def __init__(self, kind: Literal["mse", "mae", "huber"] = "mse", delta: float = 1.0) -> None:
        if kind not in ("mse", "mae", "huber"):
            raise ValueError(f"kind must be 'mse', 'mae' or 'huber', got {kind!r}")
        if delta <= 0:
            raise ValueError(f"delta must be > 0, got {delta!r}")
        self.kind, self.delta = kind, delta

    def elementwise(self, outputs: Tensor, targets: Tensor) -> Tensor:  # noqa: D102
        if self.kind == "mse":
            return (outputs[..., 0] - targets) ** 2
        if self.kind == "mae":
            return (outputs[..., 0] - targets).abs()
        return F.huber_loss(outputs[..., 0], targets, reduction="none", delta=self.delta)

    def point(self, outputs: Tensor) -> Tensor:  # noqa: D102
        return outputs[..., 0]


class GaussianLikelihood(ForecastLoss):
    """A normal distribution per target and step (mean and a softplus scale), trained by negative log-likelihood.

    Args:
        min_scale: the smallest standard deviation, in normalised units (keeps the likelihood finite).
    """

    probabilistic = True

    def __init__(self, min_scale: float = 1e-3) -> None:
        if min_scale <= 0:
            raise ValueError(f"min_scale must be > 0, got {min_scale!r}")
        self.min_scale = min_scale

    @property
    def outputs_per_target(self) -> int:  # noqa: D102
        return 2

    def _normal(self, outputs: Tensor) -> torch.distributions.Normal:
        return torch.distributions.Normal(outputs[..., 0], F.softplus(outputs[..., 1]) + self.min_scale)

    def elementwise(self, outputs: Tensor, targets: Tensor) -> Tensor:  # noqa: D102
        return -self._normal(outputs).log_prob(targets)

    def point(self, outputs: Tensor) -> Tensor:  # noqa: D102
        return outputs[..., 0]

    def quantiles(self, outputs: Tensor, levels: Sequence[float]) -> Tensor:  # noqa: D102
        normal = self._normal(outputs.float())
        q = torch.tensor(list(levels), dtype=torch.float32, device=outputs.device)  # (Q,)
        return normal.loc.unsqueeze(-1) + normal.scale.unsqueeze(-1) * torch.special.ndtri(q)  # (B, H, K, Q)


class QuantileLoss(ForecastLoss):
    """Quantiles per target and step, trained by the pinball loss (the median, or the middle level, is the point).

    Args:
        levels: the quantile levels, each in (0, 1), e.g. ``[0.1, 0.5, 0.9]``.
    """

    probabilistic = True

    def __init__(self, levels: Sequence[float] = (0.1, 0.5, 0.9)) -> None:
        levels = [float(q) for q in levels]
        if not levels or any(not 0.0 < q < 1.0 for q in levels) or sorted(set(levels)) != levels:
            raise ValueError(f"levels must be distinct, increasing and inside (0, 1), got {list(levels)}")
        self.levels = levels

    @property
    def outputs_per_target(self) -> int:  # noqa: D102
        return len(self.levels)

    def _sorted(self, outputs: Tensor) -> Tensor:
        return outputs.sort(dim=-1).values  # quantiles never cross

    def elementwise(self, outputs: Tensor, targets: Tensor) -> Tensor:  # noqa: D102
        error = targets.unsqueeze(-1) - self._sorted(outputs)  # (B, H, K, Q)
        levels = torch.tensor(self.levels, dtype=error.dtype, device=error.device)  # (Q,)
        return torch.maximum(levels * error, (levels - 1) * error).mean(dim=-1)

    def point(self, outputs: Tensor) -> Tensor:  # noqa: D102
        middle = min(range(len(self.levels)), key=lambda i: abs(self.levels[i] - 0.5))
        return self._sorted(outputs)[..., middle]

    def quantiles(self, outputs: Tensor, levels: Sequence[float]) -> Tensor:
        """Quantiles at ``levels``, interpolated linearly between the trained ones (clamped at the outermost)."""
        held = self._sorted(outputs.float())  # (B, H, K, Q)
        if len(self.levels) == 1:
            return held[..., :1].expand(*held.shape[:-1], len(levels))
        out = []
        for level in levels:
            right = min(max(1, sum(q < level for q in self.levels)), len(self.levels) - 1)
            lo, hi = self.levels[right - 1], self.levels[right]
            weight = min(max((level - lo) / (hi - lo), 0.0), 1.0)
            out.append(held[..., right - 1] + weight * (held[..., right] - held[..., right - 1]))
        return torch.stack(out, dim=-1)
