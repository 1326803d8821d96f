"""Benchmark 1: ``SequenceClassifier`` trained by ``Trainer.fit`` vs a hand-written PyTorch loop.

    python benchmarks/lightning_overhead.py [--size tiny|default|full|gpu] [--device cuda] [--bf16]

Both train the same model (same initial weights), with the same AdamW and the same batches in the same order,
in lock step: after each Lightning step a callback runs one hand-loop step, so the two alternate A/B/A/B at
step granularity and share every disturbance of a noisy machine. The Trainer runs as a user would (CSV logger,
``train/loss`` logged every step, ``log_every_n_steps=50``); checkpointing and the progress bar are off, since
they are per-epoch and per-terminal costs rather than per-step ones. Steps 2..N of each round are timed (the
first carries lazy set-up); a fresh model pair per round. Prints JSON: median step time and samples/s of each,
the ratio, the per-step overhead in ms, and the largest difference of the per-step losses.
"""

from __future__ import annotations

import functools
import statistics
import tempfile
import time
import warnings
from typing import Any

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from harness import Settings, main, row
from pytorch_lightning.loggers import CSVLogger
from torch.utils.data import DataLoader

from lightning_seq.nn import LSTMEncoder
from lightning_seq.tasks import SequenceClassifier
from lightning_seq.types import SequenceBatch

SIZES = {
    "tiny": {"batch": 4, "min_len": 6, "max_len": 10, "hidden": 8, "embed": 8, "vocab": 50, "steps": 4, "repeats": 1},
    "default": {"batch": 32, "min_len": 80, "max_len": 100, "hidden": 128, "embed": 64, "vocab": 5000,
                "steps": 40, "repeats": 3},
    "full": {"batch": 64, "min_len": 160, "max_len": 200, "hidden": 256, "embed": 128, "vocab": 20000,
             "steps": 60, "repeats": 5},
    "gpu": {"batch": 128, "min_len": 160, "max_len": 200, "hidden": 256, "embed": 128, "vocab": 20000,
            "steps": 100, "repeats": 5},
}


def make_batches(size: dict[str, int], seed: int = 0) -> list[SequenceBatch]:
    """``steps`` batches of token ids with lengths in ``[min_len, max_len]`` (as a bucketed loader yields them)."""
    generator = torch.Generator().manual_seed(seed)
    batches = []
    for step in range(size["steps"]):
        lengths = torch.randint(size["min_len"], size["max_len"] + 1, (size["batch"],), generator=generator)
        tokens = torch.randint(4, size["vocab"], (size["batch"], int(lengths.max())), generator=generator)
        tokens[torch.arange(tokens.size(1)) >= lengths.unsqueeze(1)] = 0
        targets = torch.randint(0, 2, (size["batch"],), generator=generator)
        indices = torch.arange(step * size["batch"], (step + 1) * size["batch"])
        batches.append(SequenceBatch(tokens, lengths, targets, indices))
    return batches


def make_model(size: dict[str, int]) -> SequenceClassifier:
    """A BiLSTM sentiment classifier at the preset's sizes (no dropout: both sides must compute the same)."""
    return SequenceClassifier(
        num_classes=2,
        vocab_size=size["vocab"],
        embedding_dim=size["embed"],
        encoder=functools.partial(LSTMEncoder, hidden_size=size["hidden"], bidirectional=True),
        optimizer=functools.partial(torch.optim.AdamW, lr=1e-3),
    )


class HandLoop:
    """The same training as a plain loop: forward, cross-entropy, zero_grad, backward, AdamW step.

    Args:
        model: a second model with the same initial weights as the Lightning one.
        batches: the batches, in the order the Trainer sees them.
        settings: device and precision.
    """

    def __init__(self, model: SequenceClassifier, batches: list[SequenceBatch], settings: Settings) -> None:
        self.model = model.to(settings.device).train()
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
        self.batches = iter(DataLoader(batches, batch_size=None))
        self.settings = settings
        self.losses: list[float] = []

    def step(self) -> None:
        """One training step on the next batch; the loss is read back as a Python float, as Lightning's is."""
        batch = next(self.batches)
        device = self.settings.device
        inputs, lengths, targets = batch.inputs.to(device), batch.lengths.to(device), batch.targets.to(device)
        with self.settings.autocast():
            logits = self.model(inputs, lengths)
        loss = F.cross_entropy(logits.float(), targets)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.losses.append(float(loss.detach()))


class Lockstep(pl.Callback):
    """Interleaves the two at step granularity: after each Lightning step, one hand-loop step.

    Lightning's step ``i`` is the time from the end of hand step ``i - 1`` to the end of Lightning step ``i``
    (its batch fetch, hooks, logging and optimizer step all fall in there); hand step ``i`` is timed on its own.
    """

    def __init__(self, hand: HandLoop, settings: Settings) -> None:
        self.hand = hand
        self.settings = settings
        self.lightning_steps: list[float] = []
        self.hand_steps: list[float] = []
        self.lightning_losses: list[float] = []
        self.mark = 0.0

    def on_train_batch_end(self, trainer: pl.Trainer, module: pl.LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        self.lightning_losses.append(float(outputs["loss"].detach()))
        self.settings.synchronize()
        start = time.perf_counter()
        if batch_idx > 0:
            self.lightning_steps.append(start - self.mark)
        self.hand.step()
        self.settings.synchronize()
        self.mark = time.perf_counter()
        if batch_idx > 0:
            self.hand_steps.append(self.mark - start)


def lockstep_round(size: dict[str, int], batches: list[SequenceBatch], settings: Settings, log_dir: str) -> Lockstep:
    """Fit a fresh model for ``len(batches)`` steps with a fresh hand loop beside it (same initial weights)."""
    lightning_model, hand_model = make_model(size), make_model(size)
    hand_model.load_state_dict(lightning_model.state_dict())
    lockstep = Lockstep(HandLoop(hand_model, batches, settings), settings)
    trainer = pl.Trainer(
        accelerator=settings.device, devices=1, max_steps=len(batches), max_epochs=1,
        precision="bf16-mixed" if settings.bf16 else "32-true", logger=CSVLogger(log_dir, name=""),
        log_every_n_steps=50, enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
        num_sanity_val_steps=0, limit_val_batches=0, callbacks=[lockstep],
    )
    trainer.fit(lightning_model, train_dataloaders=DataLoader(batches, batch_size=None))
    return lockstep


def run(settings: Settings) -> dict[str, Any]:
    """Rounds of lock-stepped Lightning and hand-loop training; samples/s, overhead per step, loss agreement."""
    size = SIZES[settings.size]
    warnings.filterwarnings("ignore", ".*does not have many workers.*")
    warnings.filterwarnings("ignore", ".*smaller than the logging interval.*")
    warnings.filterwarnings("ignore", ".*but have no `val_dataloader`.*")
    batches = make_batches(size)
    lightning_steps: list[float] = []
    hand_steps: list[float] = []
    loss_diff = 0.0
    with tempfile.TemporaryDirectory() as log_dir:
        for seed in range(settings.repeats or size["repeats"]):
            torch.manual_seed(seed)
            lockstep = lockstep_round(size, batches, settings, log_dir)
            lightning_steps += lockstep.lightning_steps
            hand_steps += lockstep.hand_steps
            pairs = zip(lockstep.lightning_losses, lockstep.hand.losses, strict=True)
            loss_diff = max([loss_diff] + [abs(a - b) for a, b in pairs])
    step_ms = {"lightning": 1000 * statistics.median(lightning_steps),
               "hand_loop": 1000 * statistics.median(hand_steps)}
    throughput = {name: size["batch"] * 1000 / ms for name, ms in step_ms.items()}
    ratio = throughput["lightning"] / throughput["hand_loop"]
    return {
        "benchmark": "lightning_overhead",
        "settings": vars(settings) | size,
        "timed_steps": len(hand_steps),
        "samples_per_s": {k: round(v, 1) for k, v in throughput.items()},
        "median_step_ms": {k: round(v, 3) for k, v in step_ms.items()},
        "overhead_ms_per_step": round(step_ms["lightning"] - step_ms["hand_loop"], 3),
        "samples_per_s_ratio": round(ratio, 3),
        "max_loss_diff": loss_diff,
        "rows": [
            row("1 Lightning vs hand loop", f"samples/s (step {step_ms['hand_loop']:.0f} ms)",
                throughput["lightning"], throughput["hand_loop"], ratio, ">= 0.95",
                ratio >= 0.95 and step_ms["hand_loop"] >= 10),
            row("1 Lightning vs hand loop", "max abs loss difference", loss_diff, 0.0, loss_diff, "<= 1e-5",
                loss_diff <= 1e-5),
        ],
    }


if __name__ == "__main__":
    main(run, __doc__.splitlines()[0])
