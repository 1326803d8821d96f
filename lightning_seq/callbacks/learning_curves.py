"""After ``fit``: learning curves as a PNG and one line saying how training went (overfitting, still improving)."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Literal

import pytorch_lightning as pl
from pytorch_lightning.callbacks import EarlyStopping

from lightning_seq.plots.learning_curves import render_learning_curves
from lightning_seq.plots.publish import publish_picture

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    """How a run's monitored metric went.

    Attributes:
        best_epoch: 0-based epoch of the best value.
        best: the best value.
        last: the value at the last epoch.
        warning: ``overfitting``, ``still improving`` or None.
        line: the one-line summary printed after ``fit``.
    """

    best_epoch: int
    best: float
    last: float
    warning: str | None
    line: str


def judge(values: list[float], name: str, mode: Literal["min", "max"], tolerance: float) -> Verdict:
    """The verdict on one metric's per-epoch ``values``.

    ``overfitting``: the last value is worse than the best by more than ``tolerance`` (relative to the best's
    size, at least 1e-8). ``still improving``: the best is the last epoch and it improved on the epoch before by
    more than ``tolerance``: more epochs would probably help.

    Args:
        values: the metric per epoch (finite values).
        name: the metric's name, for the line.
        mode: ``min`` (lower is better, losses) or ``max`` (accuracy).
        tolerance: relative change that counts.
    """
    if not values:
        raise ValueError(f"no values of {name!r} were logged: nothing to judge")
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
    sign = 1.0 if mode == "max" else -1.0
    best_epoch = max(range(len(values)), key=lambda e: (sign * values[e], -e))  # the first of equal bests
    best, last = values[best_epoch], values[-1]
    scale = max(abs(best), 1e-8)
    warning = None
    if sign * (best - last) > tolerance * scale:
        warning = "overfitting"
        detail = f"the last epoch's {last:.4g} is {abs(best - last):.3g} worse than the best: overfitting"
    elif best_epoch == len(values) - 1 and len(values) > 1 and sign * (last - values[-2]) > tolerance * scale:
        warning = "still improving"
        detail = "still improving at the last epoch: more epochs (max_epochs) would probably help"
    else:
        detail = f"last {last:.4g}"
    line = f"best epoch {best_epoch + 1} of {len(values)}: {name} {best:.4g}; {detail}"
    return Verdict(best_epoch, best, last, warning, line)


class LearningCurves(pl.Callback):
    """Write ``learning_curves.png`` into the log folder after ``fit`` and log a one-line verdict.

    The PNG shows the training and validation loss (log axis) and the monitored metric per epoch (log axis when
    ``mode`` is ``min``: losses, perplexity, error rates) with the best epoch marked;
    the line names the best epoch and value and warns when the last value fell well below the best (overfitting)
    or was still improving at the last epoch (undertrained).

    Args:
        monitor: the metric to judge (as logged, e.g. ``val/acc``).
        mode: ``max`` when higher is better, ``min`` when lower is.
        tolerance: relative change that counts as a fall or an improvement.
        filename: name of the PNG in the trainer's log folder.
    """

    def __init__(
        self,
        monitor: str = "val/loss",
        mode: Literal["min", "max"] = "min",
        tolerance: float = 0.02,
        filename: str = "learning_curves.png",
    ) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if not 0.0 <= tolerance < 1.0:
            raise ValueError(f"tolerance must lie in [0, 1), got {tolerance!r}")
        self.monitor, self.mode, self.tolerance, self.filename = monitor, mode, tolerance, filename
        self.history: dict[str, list[float | None]] = {}
        self.verdict: Verdict | None = None

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Start a fresh history."""
        self.history, self.verdict = {}, None

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Record the validation values (epoch metrics are final here, as for early stopping; no sanity check)."""
        if trainer.sanity_checking:
            return
        metrics = trainer.callback_metrics
        for name in dict.fromkeys(("val/loss", self.monitor)):
            value = metrics.get(name)
            self.history.setdefault(name, []).append(None if value is None else float(value))

    def _record_training_loss(self, trainer: pl.Trainer) -> None:
        value = trainer.callback_metrics.get("train/loss_epoch")
        self.history.setdefault("train/loss_epoch", []).append(None if value is None else float(value))

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Record the previous epoch's training loss (the task logs it after the callbacks' epoch-end hooks)."""
        if trainer.current_epoch > 0:
            self._record_training_loss(trainer)

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Judge the monitored metric, log the line and write the PNG (rank 0)."""
        self._record_training_loss(trainer)  # the last epoch's
        values = [v for v in self.history.get(self.monitor, []) if v is not None and math.isfinite(v)]
        log_dir = trainer.log_dir  # a collective under DDP: every rank asks
        if not values:
            log.warning("learning curves: %r was never logged, nothing to judge", self.monitor)
            return
        self.verdict = judge(values, self.monitor, self.mode, self.tolerance)
        if not trainer.is_global_zero:
            return
        stopped = [c.stopped_epoch for c in trainer.callbacks if isinstance(c, EarlyStopping) and c.stopped_epoch > 0]
        line = self.verdict.line
        if stopped:
            line += f" (early stopping ended the run at epoch {stopped[0] + 1}; the best checkpoint holds the best)"
        log.info(line)  # printed once: a warning record would reach the console a second time
        print(line)
        if log_dir:
            losses = {name: self.history.get(name, []) for name in ("train/loss_epoch", "val/loss")}
            figure = render_learning_curves(
                losses, self.monitor, self.history[self.monitor], self.verdict.best_epoch, self.mode == "min"
            )
            publish_picture(trainer, log_dir, figure, self.filename)
