"""Progress for logs: one line per epoch (and every N steps on request), not one redrawn bar per step."""

from __future__ import annotations

import math
import time
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.callbacks.progress import ProgressBar


def _format(metrics: dict[str, Any]) -> str:
    parts = []
    for name, value in metrics.items():
        if name == "v_num":
            continue
        if isinstance(value, float | int) and not isinstance(value, bool):
            parts.append(f"{name} {value:.4g}")
        else:
            parts.append(f"{name} {value}")
    return ", ".join(parts)


class LineProgress(ProgressBar):
    """Progress printed as plain lines: what a file or a CI log wants instead of a redrawn bar.

    The ``lightning-seq`` command uses it in place of Lightning's bar when stderr is not a terminal (output
    redirected to a file, a batch job, CI); give it in ``trainer.callbacks`` to have it always. Each training epoch
    ends with one line: ``epoch 3/20: train/loss_epoch 0.412, val/loss 0.398, val/acc 0.902 (12.4 s)``; validation,
    test and prediction print nothing of their own (Lightning prints the test results). The line is printed when the
    next epoch starts or training ends, once Lightning has reduced the epoch's training metrics.

    Args:
        every_n_steps: also print a line every this many training steps (None: only at the end of each epoch).
    """

    def __init__(self, every_n_steps: int | None = None) -> None:
        super().__init__()
        if every_n_steps is not None and every_n_steps < 1:
            raise ValueError(f"every_n_steps must be >= 1 or None, got {every_n_steps!r}")
        self.every_n_steps = every_n_steps
        self._enabled = True
        self._started = 0.0
        self._finished: tuple[str, float] | None = None  # (epoch label, seconds) of an epoch not printed yet

    def disable(self) -> None:
        """Print nothing (Lightning calls this on every rank but the first)."""
        self._enabled = False

    def enable(self) -> None:
        """Print again."""
        self._enabled = True

    @property
    def is_enabled(self) -> bool:
        """Whether lines are printed."""
        return self._enabled

    def _epochs(self, trainer: pl.Trainer) -> str:
        epoch, total = trainer.current_epoch + 1, trainer.max_epochs
        return f"{epoch}/{total}" if total is not None and total >= 0 else str(epoch)

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Print the previous epoch's line and start this epoch's clock."""
        self._print_finished(trainer, pl_module)
        self._started = time.perf_counter()

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        """Every ``every_n_steps`` steps: the epoch, the step within it and the progress-bar metrics."""
        if not self._enabled or self.every_n_steps is None or (batch_idx + 1) % self.every_n_steps:
            return
        total = self.total_train_batches
        of = f"/{total}" if isinstance(total, int) or (isinstance(total, float) and math.isfinite(total)) else ""
        metrics = _format(self.get_metrics(trainer, pl_module))
        print(f"epoch {self._epochs(trainer)} step {batch_idx + 1}{of}: {metrics}", flush=True)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Note the finished epoch and its time; its line waits for the epoch's logged training metrics."""
        self._finished = (self._epochs(trainer), time.perf_counter() - self._started)

    def _print_finished(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """The finished epoch's line (Lightning reduces the epoch's training metrics after the epoch-end hooks)."""
        if self._finished is None:
            return
        (epoch, seconds), self._finished = self._finished, None
        if self._enabled:
            metrics = {k: v for k, v in self.get_metrics(trainer, pl_module).items() if not k.endswith("_step")}
            print(f"epoch {epoch}: {_format(metrics)} ({seconds:.1f} s)", flush=True)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """The last epoch's line."""
        self._print_finished(trainer, pl_module)
