"""What every task shares: optimizer and LR-scheduler injection from YAML."""

from __future__ import annotations

from typing import Any, Literal

import pytorch_lightning as pl
import torch
from pytorch_lightning.cli import LRSchedulerCallable, OptimizerCallable
from torch.optim.lr_scheduler import ReduceLROnPlateau


class SequenceTask(pl.LightningModule):
    """Base LightningModule: builds the optimizer and scheduler it is given as callables.

    Args:
        optimizer: ``params -> Optimizer``; in YAML a ``class_path`` with ``init_args`` (default AdamW, lr 1e-3).
        lr_scheduler: ``optimizer -> scheduler``, or None for a constant learning rate.
        scheduler_interval: step the scheduler every ``epoch`` or every ``step``.
        scheduler_monitor: metric a ``ReduceLROnPlateau`` scheduler watches.
    """

    def __init__(
        self,
        optimizer: OptimizerCallable = torch.optim.AdamW,
        lr_scheduler: LRSchedulerCallable | None = None,
        scheduler_interval: Literal["epoch", "step"] = "epoch",
        scheduler_monitor: str = "val/loss",
    ) -> None:
        super().__init__()
        if scheduler_interval not in ("epoch", "step"):
            raise ValueError(f"scheduler_interval must be 'epoch' or 'step', got {scheduler_interval!r}")
        self.optimizer_factory = optimizer
        self.scheduler_factory = lr_scheduler
        self.scheduler_interval = scheduler_interval
        self.scheduler_monitor = scheduler_monitor

    def configure_optimizers(self) -> Any:
        """Build the injected optimizer (and scheduler) over the trainable parameters."""
        optimizer = self.optimizer_factory(p for p in self.parameters() if p.requires_grad)
        if self.scheduler_factory is None:
            return optimizer
        scheduler = self.scheduler_factory(optimizer)
        config = {"scheduler": scheduler, "interval": self.scheduler_interval}
        if isinstance(scheduler, ReduceLROnPlateau):
            config["monitor"] = self.scheduler_monitor
        return {"optimizer": optimizer, "lr_scheduler": config}
