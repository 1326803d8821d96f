"""The optimizer and learning-rate schedule a task is given in YAML, built over its parameters and sized by its run."""

from __future__ import annotations

import math
from typing import Any

from torch.optim.lr_scheduler import ReduceLROnPlateau

from lightning_seq.optim import WarmupCosineLR


class InjectedOptimization:
    """``configure_optimizers`` from the factories a task was given, and the sizing of a ``WarmupCosineLR``.

    A mixin of ``SequenceTask``: it reads the task's ``optimizer_factory``, ``scheduler_factory``,
    ``scheduler_interval`` and ``scheduler_monitor`` (its constructor arguments) and the LightningModule's trainer.
    A task that takes several optimizer steps per batch (truncated BPTT) says so in ``optimizer_steps_per_batch``.
    """

    def on_train_start(self) -> None:
        """Size a ``WarmupCosineLR`` without a length by this run's trainer.

        Here, not in ``configure_optimizers``: the training loader exists by now (estimating earlier builds it
        before a resumed run has restored its position) and a resumed scheduler has loaded its stored state.
        """
        if self.scheduler_factory is None:
            return
        schedulers = self.lr_schedulers()
        for scheduler in schedulers if isinstance(schedulers, list) else [schedulers]:
            if isinstance(scheduler, WarmupCosineLR) and not scheduler.total_given:
                if scheduler.decay_epochs is None:
                    scheduler.set_total_steps(self.estimated_optimizer_steps())
                    continue
                total = max(1, round(scheduler.decay_epochs * self.optimizer_steps_per_epoch()))
                if math.isfinite(self.trainer.estimated_stepping_batches):  # a run cut short still decays fully
                    total = min(total, self.estimated_optimizer_steps())
                scheduler.set_total_steps(total)

    def optimizer_steps_per_batch(self) -> int:
        """Optimizer steps one training batch takes (1; more where a task steps within a batch)."""
        return 1

    def estimated_optimizer_steps(self) -> int:
        """Optimizer steps the trainer will take at most (``max_epochs`` or ``max_steps``), to size LR decays."""
        steps = self.trainer.estimated_stepping_batches
        if not math.isfinite(steps):
            raise ValueError(
                "the trainer has no step limit (max_epochs=-1 and max_steps=-1), so a decay cannot be sized from it: "
                "set max_epochs or max_steps, or give the scheduler its total_steps or decay_epochs"
            )
        return int(steps) * self.optimizer_steps_per_batch()

    def optimizer_steps_per_epoch(self) -> int:
        """Optimizer steps in one epoch of this run's training loader (after ``limit_train_batches``)."""
        batches = self.trainer.num_training_batches
        if not math.isfinite(batches):
            raise ValueError("the training loader has no length, so decay_epochs cannot be turned into steps")
        return math.ceil(batches / self.trainer.accumulate_grad_batches) * self.optimizer_steps_per_batch()

    def parameter_groups(self) -> list[dict[str, Any]]:
        """The optimizer's parameter groups: one of every trainable parameter, unless a task parts them.

        A group may carry ``lr_scale``: its learning rate is the optimizer's times that (a part with its own pace,
        such as a pre-fitted linear path or the lower layers of a transferred encoder).
        """
        return [{"params": [p for p in self.parameters() if p.requires_grad]}]

    def configure_optimizers(self) -> Any:
        """Build the injected optimizer (and scheduler) over the trainable parameters, in ``parameter_groups()``."""
        groups = [group for group in self.parameter_groups() if group["params"]]
        if not groups:  # nothing trains (a fixed, pre-fitted model): Lightning runs the epochs without an optimizer
            return None
        optimizer = self.optimizer_factory(groups)
        for group in optimizer.param_groups:
            group["lr"] = group["lr"] * group.pop("lr_scale", 1.0)
        if self.scheduler_factory is None:
            return optimizer
        scheduler = self.scheduler_factory(optimizer)
        if isinstance(scheduler, WarmupCosineLR) and self.scheduler_interval != "step":
            raise ValueError("WarmupCosineLR counts optimizer steps: set scheduler_interval to 'step'")
        config = {"scheduler": scheduler, "interval": self.scheduler_interval}
        if isinstance(scheduler, ReduceLROnPlateau):
            config["monitor"] = self.scheduler_monitor
        return {"optimizer": optimizer, "lr_scheduler": config}
