"""What every task shares: optimizer and LR-scheduler injection from YAML."""

from __future__ import annotations

from typing import Any, Literal

import pytorch_lightning as pl
import torch
from pytorch_lightning.cli import LRSchedulerCallable, OptimizerCallable
from torch import Tensor
from torch.optim.lr_scheduler import ReduceLROnPlateau

from lightning_seq.nn.audio_features import AudioFeatures


class SequenceTask(pl.LightningModule):
    """Base LightningModule: injected optimizer and scheduler, and optional in-model input features.

    Audio framing can run inside the model (on its accelerator) when a data module links ``input_features``.

    Args:
        optimizer: ``params -> Optimizer``; in YAML a ``class_path`` with ``init_args`` (default AdamW, lr 1e-3).
        lr_scheduler: ``optimizer -> scheduler``, or None for a constant learning rate.
        scheduler_interval: step the scheduler every ``epoch`` or every ``step``.
        scheduler_monitor: metric a ``ReduceLROnPlateau`` scheduler watches.
        input_features: settings of ``AudioFeatures`` (linked from a data module with ``features_on_device``);
            inputs are then waveforms ``(B, N)`` and become frame features inside the model.
    """

    def __init__(
        self,
        optimizer: OptimizerCallable = torch.optim.AdamW,
        lr_scheduler: LRSchedulerCallable | None = None,
        scheduler_interval: Literal["epoch", "step"] = "epoch",
        scheduler_monitor: str = "val/loss",
        input_features: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        if scheduler_interval not in ("epoch", "step"):
            raise ValueError(f"scheduler_interval must be 'epoch' or 'step', got {scheduler_interval!r}")
        self.optimizer_factory = optimizer
        self.scheduler_factory = lr_scheduler
        self.scheduler_interval = scheduler_interval
        self.scheduler_monitor = scheduler_monitor
        self.featurizer = AudioFeatures.from_config(input_features) if input_features is not None else None

    def featurize(self, inputs: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """Waveforms ``(B, N)`` to features ``(B, T, F)`` and frame lengths when ``input_features`` is set."""
        if self.featurizer is None:
            return inputs, lengths
        return self.featurizer(inputs, lengths)

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
