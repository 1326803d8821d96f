"""Losses that are means, and how a task logs them: weighted by what they average, over steps, epochs and ranks."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor
from torchmetrics import MeanMetric


class MeanLoss(NamedTuple):
    """A loss that is a mean, and what it is a mean over.

    Attributes:
        value: the scalar loss.
        count: its denominator, a scalar tensor: rows, the summed class weights of the targets (a weighted
            cross-entropy), target tokens, or sequences (CTC's per-sequence mean). Epoch means, evaluation losses
            and the DDP rescaling of ``global_mean`` all weight by it, so a loss is averaged over what it averages.
    """

    value: Tensor
    count: Tensor


class WeightedLossLogging:
    """Log training and evaluation losses as means over what they average, on one process or many.

    A mixin of ``SequenceTask`` (it uses the LightningModule's ``log``, trainer and epoch counter). Its state is
    the epoch's training-loss sum and weight (kept on the device, stored for an exact resume by ``ResumableRun``)
    and one ``MeanMetric`` per evaluation stage.
    """

    eval_losses: torch.nn.ModuleDict
    """``{"val": MeanMetric, "test": MeanMetric}``: evaluation losses weighted by their denominators."""

    def start_loss_logging(self) -> None:
        """Create the logging state; ``SequenceTask.__init__`` calls it once."""
        # evaluation losses weighted by their denominators, summed over ranks by torchmetrics (not checkpointed)
        self.eval_losses = torch.nn.ModuleDict({"val": MeanMetric(), "test": MeanMetric()})
        self._train_loss_sum: Tensor | None = None  # denominator-weighted sum over the epoch, on the device
        self._train_loss_weight: Tensor | None = None  # the summed denominators, on the device
        self._state_epoch: int | None = None  # the training epoch the epoch state (loss sum, ...) belongs to

    def log_train_loss(
        self, loss: Tensor, weight: Tensor | int, extra: dict[str, Tensor | float] | None = None
    ) -> None:
        """Log ``train/loss_step`` (with ``extra``) and accumulate ``train/loss_epoch``, at little per-step cost.

        ``self.log`` costs about half a millisecond a call on a CPU, so step values are logged only on the steps
        something reads them: the steps the Trainer writes to its logger (every ``log_every_n_steps``), every step
        while a progress bar is shown, and every step of ``fast_dev_run``. The epoch value is the ``weight``-weighted
        mean of every step's loss (weight: the loss's own denominator, ``MeanLoss.count``), summed on the device
        (no host sync per step) and logged once, averaged over ranks, by ``on_train_epoch_end``.

        Args:
            loss: this step's scalar loss.
            weight: what the loss is a mean over (rows, summed class weights, target tokens).
            extra: other per-step values to log beside the loss (e.g. the teacher-forcing rate).
        """
        loss = loss.detach().float()
        weight = torch.as_tensor(weight, dtype=torch.float32, device=loss.device)
        weighted = loss * weight
        self._train_loss_sum = weighted if self._train_loss_sum is None else self._train_loss_sum + weighted
        self._train_loss_weight = weight if self._train_loss_weight is None else self._train_loss_weight + weight
        if not self._step_is_read():
            return
        self.log("train/loss_step", loss, on_step=True, on_epoch=False, prog_bar=True)  # per step: no weight
        for name, value in (extra or {}).items():
            self.log(name, value, on_step=True, on_epoch=False)

    def global_mean(self, loss: Tensor, count: Tensor | int) -> Tensor:
        """The training loss to back-propagate: under DDP, the mean over the whole global batch.

        DDP averages the ranks' gradients with equal weights, but the ranks of one step may hold unequal shares of
        a global batch (29 samples: 15 and 14), so a per-rank mean would weight samples unequally and the run would
        not match one process with the same global batch. Scaling rank ``r``'s mean by ``world * n_r / sum(n)``
        makes the averaged gradient that of the mean over all ``sum(n)`` items. One small all-reduce per step.

        Args:
            loss: this rank's scalar loss, a mean over ``count`` items.
            count: the loss's denominator (rows, summed class weights of the targets, target tokens).
        """
        trainer = self._trainer
        if trainer is None or trainer.world_size == 1:
            return loss
        local = torch.as_tensor(count, dtype=torch.float32, device=loss.device)
        total = trainer.strategy.reduce(local.clone(), reduce_op="sum")
        return loss * (local * trainer.world_size / total)

    def log_eval_loss(self, stage: str, loss: Tensor, weight: Tensor | int, prog_bar: bool = False) -> None:
        """Log ``{stage}/loss`` as the ``weight``-weighted mean over the epoch and every rank.

        ``weight`` is the loss's own denominator (``MeanLoss.count``), so the epoch value is the mean over every
        token (or weighted target) of the split, whatever the batches held.

        Through a torchmetrics ``MeanMetric``: Lightning's own ``sync_dist`` mean divides by the mean of the ranks'
        integer sample counts, which truncates, so with unequal shares (13 and 12 samples) the loss came out 4%
        too high under DDP.
        """
        metric = self.eval_losses[stage]
        metric.update(loss.detach().float(), torch.as_tensor(weight, dtype=torch.float32, device=loss.device))
        self.log(f"{stage}/loss", metric, on_epoch=True, prog_bar=prog_bar)

    def _step_is_read(self) -> bool:
        trainer = self._trainer
        if trainer is None:  # called outside a Trainer: nothing reads logged values
            return False
        if trainer.fast_dev_run or trainer.progress_bar_callback is not None:
            return True
        if trainer.log_every_n_steps < 1 or not trainer.loggers:
            return False
        # the logger connector writes when (batches stepped so far + 1) is a multiple of log_every_n_steps. Private:
        # no public counter matches it (global_step counts optimizer steps, not logged batches, under manual
        # optimization); tests/test_lightning_private_apis.py fails by name if Lightning changes it.
        return (trainer.fit_loop.epoch_loop._batches_that_stepped + 1) % trainer.log_every_n_steps == 0

    def on_train_epoch_start(self) -> None:
        """Start the epoch's state from zero, unless it was restored for this very epoch (a mid-epoch resume).

        Whether Lightning runs this hook when it resumes in the middle of an epoch differs between versions (2.6
        skips it), so the decision does not depend on it: the state remembers the epoch it belongs to, and only a
        state of another epoch is reset.
        """
        if self._state_epoch != self.current_epoch:
            self.reset_epoch_state()
            self._state_epoch = self.current_epoch

    def reset_epoch_state(self) -> None:
        """Zero the state kept over one training epoch: the training-loss sum (subclasses add theirs)."""
        self._train_loss_sum, self._train_loss_weight = None, None

    def on_train_epoch_end(self) -> None:
        """Log ``train/loss_epoch``: the weighted mean loss of the epoch over every rank's samples."""
        if self._train_loss_sum is not None and self._train_loss_weight is not None:
            total = self.trainer.strategy.reduce(self._train_loss_sum.clone(), reduce_op="sum")  # over ranks
            mean = total / self.trainer.strategy.reduce(self._train_loss_weight.clone(), reduce_op="sum")
            self.log("train/loss_epoch", mean, prog_bar=True)
