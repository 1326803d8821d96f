"""The training state outside the weights that an exact resume needs, stored per rank in the checkpoint."""

from __future__ import annotations

import logging
from typing import Any

import torch
from torch import Tensor

from lightning_seq.tasks.checkpoint_format import RUN_STATE_KEY

log = logging.getLogger(__name__)


class ResumableRun:
    """What a task keeps between steps besides its weights, so that a resumed run continues exactly.

    A mixin of ``SequenceTask`` (it uses the LightningModule's ``device``, trainer and ``all_gather``, and the
    task's epoch loss sums). ``run_state`` is gathered from every rank when a checkpoint is saved and each rank
    takes its own row back when one is loaded by the same number of processes; subclasses extend both methods
    (the language model's carried state).
    """

    def run_state(self) -> dict[str, Tensor]:
        """Training state outside the weights that an exact resume needs, one row per rank ``(world, ...)``.

        Here the epoch's training-loss sum and weight and the random-number state (CPU, and the GPU's), so dropout
        draws continue where they stopped; subclasses add theirs (the language model's carried state). Gathered
        from every rank (``on_save_checkpoint`` runs on all of them), so each rank gets its own part back.
        """
        zero = torch.zeros((), device=self.device)
        total = self._train_loss_sum if self._train_loss_sum is not None else zero
        weight = self._train_loss_weight if self._train_loss_weight is not None else zero
        state = {"train_loss_sum": self._per_rank(total), "train_loss_weight": self._per_rank(weight)}
        epoch = -1 if self._state_epoch is None else self._state_epoch
        state["state_epoch"] = self._per_rank(torch.tensor(epoch, device=self.device))
        state["torch_rng"] = self._per_rank(torch.get_rng_state().to(self.device))
        if self.device.type == "cuda":
            state["cuda_rng"] = self._per_rank(torch.cuda.get_rng_state(self.device).to(self.device))
        return state

    def load_run_state(self, state: dict[str, Tensor]) -> None:
        """Take this rank's part of ``run_state`` (see there); random-number state only when resuming ``fit``."""
        self._train_loss_sum = state["train_loss_sum"].to(self.device)
        self._train_loss_weight = state["train_loss_weight"].to(self.device, torch.float32)
        if "state_epoch" in state:
            self._state_epoch = None if int(state["state_epoch"]) < 0 else int(state["state_epoch"])
        fitting = self._trainer is not None and self._trainer.state.fn == "fit"
        if fitting and "torch_rng" in state:
            torch.set_rng_state(state["torch_rng"].cpu())
        if fitting and "cuda_rng" in state and self.device.type == "cuda":
            torch.cuda.set_rng_state(state["cuda_rng"].cpu(), self.device)

    def _per_rank(self, value: Tensor) -> Tensor:
        """``value`` of every rank stacked as ``(world, ...)`` (a collective under DDP)."""
        trainer = self._trainer
        if trainer is None or trainer.world_size == 1:
            return value.detach().unsqueeze(0).cpu()
        return self.all_gather(value.detach()).cpu()

    def store_run_state(self, checkpoint: dict[str, Any]) -> None:
        """Put ``run_state`` into ``checkpoint`` (every rank calls this: gathering is a collective under DDP)."""
        checkpoint[RUN_STATE_KEY] = self.run_state()

    def restore_run_state(self, checkpoint: dict[str, Any]) -> None:
        """Restore this rank's part of the checkpoint's run state, if it was written by as many processes."""
        state = checkpoint.get(RUN_STATE_KEY)
        if not state:
            return
        world = self._trainer.world_size if self._trainer is not None else 1
        rank = self._trainer.global_rank if self._trainer is not None else 0
        saved_world = next(iter(state.values())).size(0)
        if saved_world != world:
            log.warning(
                "the checkpoint's per-rank training state was written by %d processes and %d run now: the epoch's "
                "training-loss sum and any carried state start afresh",
                saved_world,
                world,
            )
            return
        self.load_run_state({name: value[rank] for name, value in state.items()})
