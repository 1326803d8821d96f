"""Linear warmup then cosine decay of the learning rate, stepped per optimizer step."""

from __future__ import annotations

import math

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler


class WarmupCosineLR(LRScheduler):
    """Linear warmup, then cosine decay: the learning rate is ``base · f(step)``.

    ``f`` rises linearly from ``1 / warmup_steps`` to 1 over ``warmup_steps`` steps, then follows a half cosine down
    to ``min_factor`` at ``total_steps`` and stays there.

    Step it every optimizer step (``scheduler_interval: step``). When ``total_steps`` is None the tasks fill it in
    as training starts: ``decay_epochs`` × this run's optimizer steps per epoch, or the trainer's whole budget
    (``max_epochs`` × steps per epoch, or ``max_steps``) when that is shorter or ``decay_epochs`` is None. A recipe
    gives ``decay_epochs`` so that its ``max_epochs`` is only a ceiling: the rate decays over that many epochs of the
    data at hand, then holds its floor while early stopping decides when the run ends. A resumed run sizes it by its
    own trainer.

    Args:
        optimizer: the optimizer whose learning rates are scheduled.
        warmup_steps: steps of linear warmup (0: none).
        total_steps: steps to the end of the decay; None: set by the task before training (see above).
        decay_epochs: the decay's length in epochs of the training data (the task turns it into steps; a shorter
            trainer budget wins, so a run cut short still decays to the floor); None: the trainer's budget. Not with
            ``total_steps``.
        min_factor: the floor of ``f`` in ``[0, 1]``.
        last_epoch: index of the last step taken (``-1`` to start afresh).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        warmup_steps: int = 200,
        total_steps: int | None = None,
        min_factor: float = 0.05,
        decay_epochs: float | None = None,
        last_epoch: int = -1,
    ) -> None:
        if warmup_steps < 0:
            raise ValueError(f"warmup_steps must be >= 0, got {warmup_steps!r}")
        if total_steps is not None and total_steps < 1:
            raise ValueError(f"total_steps must be >= 1, got {total_steps!r}")
        if decay_epochs is not None and not decay_epochs > 0:
            raise ValueError(f"decay_epochs must be > 0, got {decay_epochs!r}")
        if decay_epochs is not None and total_steps is not None:
            raise ValueError("give total_steps or decay_epochs, not both")
        if not 0.0 <= min_factor <= 1.0:
            raise ValueError(f"min_factor must lie in [0, 1], got {min_factor!r}")
        self.warmup_steps, self.total_steps, self.min_factor = warmup_steps, total_steps, min_factor
        self.decay_epochs = decay_epochs
        self.total_given = total_steps is not None
        super().__init__(optimizer, last_epoch)

    def set_total_steps(self, total_steps: int) -> None:
        """Size the decay and apply the rate of the current step (the tasks call it when training starts).

        Called again on a resumed run, it replaces the length stored in the checkpoint with the current run's.
        """
        if total_steps < 1:
            raise ValueError(f"total_steps must be >= 1, got {total_steps!r}")
        self.total_steps = total_steps
        rates = self.get_lr()
        for group, rate in zip(self.optimizer.param_groups, rates, strict=True):
            group["lr"] = rate
        self._last_lr = rates

    def factor(self, step: int) -> float:
        """``f(step)``, the multiple of the base learning rate at optimizer step ``step`` (0-based)."""
        if step < self.warmup_steps:
            return (step + 1) / self.warmup_steps
        if self.total_steps is None:
            if step > self.warmup_steps:
                raise RuntimeError(
                    "WarmupCosineLR past its warmup without total_steps: give total_steps, or let a lightning_seq "
                    "task set it from the trainer"
                )
            return 1.0  # the first step after warmup: the top of the cosine, whatever its length
        span = max(1, self.total_steps - self.warmup_steps)
        progress = min(1.0, (step - self.warmup_steps) / span)
        return self.min_factor + (1.0 - self.min_factor) * 0.5 * (1.0 + math.cos(math.pi * progress))

    def get_lr(self) -> list[float]:
        """The learning rate of every parameter group at the current step."""
        scale = self.factor(self.last_epoch)
        return [base * scale for base in self.base_lrs]
