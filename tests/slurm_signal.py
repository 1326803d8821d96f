"""A callback for the SLURM requeue test: the job signals itself as SLURM would before its time limit."""

import os
import signal

import pytorch_lightning as pl


class SignalAtStep(pl.Callback):
    """Send this process ``SIGUSR1`` after optimizer step ``step`` (once).

    Args:
        step: the global step after which the signal is sent.
    """

    def __init__(self, step: int) -> None:
        self.step = step
        self.sent = False

    def on_train_batch_end(self, trainer: pl.Trainer, *args: object) -> None:
        """Signal once ``trainer.global_step`` reaches ``step``."""
        if not self.sent and trainer.global_step == self.step:
            self.sent = True
            os.kill(os.getpid(), signal.SIGUSR1)
