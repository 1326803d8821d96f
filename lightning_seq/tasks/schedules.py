"""Teacher-forcing probability schedules for scheduled sampling, advanced by training step.

At step ``i`` the decoder is fed the ground-truth previous token with probability ``p(i)`` (drawn per time step,
not per sequence), else its own prediction.
"""

from __future__ import annotations

import math
from typing import Literal

ScheduleKind = Literal["constant", "linear", "exponential", "inverse_sigmoid"]


class TeacherForcingSchedule:
    """``p(i)`` for training step ``i``.

    Args:
        kind: ``constant`` ``p = start``; ``linear`` from ``start`` down to ``end`` over ``steps`` steps;
            ``exponential`` ``max(end, start · decay^i)``; ``inverse_sigmoid`` ``k / (k + exp(i / k))`` with
            ``k = decay`` (Bengio et al., 2015), floored at ``end``.
        start: probability at step 0 (1.0 = pure teacher forcing).
        end: lowest probability reached.
        steps: length of the linear ramp.
        decay: ``exponential``: factor per step in (0, 1]; ``inverse_sigmoid``: ``k >= 1``.
    """

    def __init__(
        self,
        kind: ScheduleKind = "constant",
        start: float = 1.0,
        end: float = 0.0,
        steps: int = 10000,
        decay: float = 0.999,
    ) -> None:
        if kind not in ("constant", "linear", "exponential", "inverse_sigmoid"):
            raise ValueError(f"kind must be constant, linear, exponential or inverse_sigmoid, got {kind!r}")
        if not 0.0 <= end <= start <= 1.0:
            raise ValueError(f"need 0 <= end <= start <= 1, got start={start!r}, end={end!r}")
        if steps < 1:
            raise ValueError(f"steps must be >= 1, got {steps!r}")
        if kind == "exponential" and not 0.0 < decay <= 1.0:
            raise ValueError(f"exponential decay must lie in (0, 1], got {decay!r}")
        if kind == "inverse_sigmoid" and decay < 1.0:
            raise ValueError(f"inverse_sigmoid decay (k) must be >= 1, got {decay!r}")
        self.kind, self.start, self.end, self.steps, self.decay = kind, start, end, steps, decay

    def __call__(self, step: int) -> float:
        """Teacher-forcing probability at training step ``step``."""
        if self.kind == "constant":
            return self.start
        if self.kind == "linear":
            return max(self.end, self.start - (self.start - self.end) * step / self.steps)
        if self.kind == "exponential":
            return max(self.end, self.start * self.decay**step)
        k = self.decay
        return max(self.end, self.start * k / (k + math.exp(min(step / k, 700.0))))
