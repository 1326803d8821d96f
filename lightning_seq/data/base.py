"""Base class of every data module: the attributes linked into models, batching and loaders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader

from lightning_seq.data.collate import collate_sequences
from lightning_seq.data.datasets import SequenceDataset
from lightning_seq.data.sampler import BucketBatchSampler


class ResumableDataLoader(DataLoader):
    """A training DataLoader whose position in the epoch is saved in checkpoints and restored on resume.

    Lightning stores ``state_dict()`` with every checkpoint and calls ``load_state_dict`` when ``fit`` resumes
    from one (``--ckpt_path``), so an interrupted epoch continues with the batches it had not used yet, in the
    same order; the batch sampler (a ``BucketBatchSampler``) or an iterable data set that batches itself (the
    language model's ``StreamWindows``) does the bookkeeping.
    """

    def _position(self) -> Any:
        """What keeps the position: the batch sampler, or an iterable data set that batches itself."""
        return self.batch_sampler if hasattr(self.batch_sampler, "state_dict") else self.dataset

    def state_dict(self) -> dict[str, int]:
        """The epoch and the batches of it consumed so far."""
        return self._position().state_dict()

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Start the interrupted epoch after its consumed batches."""
        self._position().load_state_dict(state)


LINKED_ATTRIBUTES = ("vocab_size", "num_classes", "feature_size", "input_features", "target_vocab_size")
"""Sizes only the data knows, linked into the model by the CLI at instantiation (small values only: the names behind
them reach the model in ``setup`` and travel in checkpoints, never through argument parsing)."""

NAME_ATTRIBUTES = ("vocabulary", "label_names", "target_vocabulary")
"""Names a data module may hold (tokens by id, class names by id); a task takes those it uses in ``setup``."""


class SequenceDataModule(pl.LightningDataModule):
    """Shared batching for sequence data.

    Length-bucketed batches (train shuffled, eval sorted), plain in-order batches for prediction, and
    ``num_workers=0`` by default (workers steal the model's cores on small machines).

    Subclasses fill ``self.datasets[stage]`` and, in ``__init__``, set those of ``LINKED_ATTRIBUTES`` and
    ``NAME_ATTRIBUTES`` that apply to their data (token data: ``vocab_size`` and ``vocabulary``; features:
    ``feature_size``; classes: ``num_classes`` and ``label_names``; targets: ``target_vocab_size`` and
    ``target_vocabulary``). The others stay absent, so the CLI skips their links and a task is never handed a size it
    does not take; a task that needs a size it did not get says so when it is built.

    Args:
        batch_size: samples per batch (per rank under DDP).
        bucketing: group samples of similar length into batches (less padding); False gives random batches.
        pool_batches: steps per sorting pool when bucketing.
        num_workers: DataLoader worker processes.
        seed: seed of the shuffling order (and of any generated data or split).
    """

    def __init__(
        self, batch_size: int = 32, bucketing: bool = True, pool_batches: int = 16, num_workers: int = 0, seed: int = 0
    ) -> None:
        super().__init__()
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size!r}")
        if pool_batches < 1:
            raise ValueError(f"pool_batches must be >= 1, got {pool_batches!r}")
        if num_workers < 0:
            raise ValueError(f"num_workers must be >= 0, got {num_workers!r}")
        self.batch_size = batch_size
        self.bucketing = bucketing
        self.pool_batches = pool_batches
        self.num_workers = num_workers
        self.seed = seed
        # The LINKED_ATTRIBUTES a subclass knows are set in its __init__; the others stay absent (see __getattr__).
        self.datasets: dict[str, SequenceDataset] = {}
        self.collate_fn: Callable[[list], Any] = collate_sequences
        self._train_position: Any = None  # the training loader's BucketBatchSampler or StreamWindows

    def __getattr__(self, name: str) -> Any:
        if name in LINKED_ATTRIBUTES or name in NAME_ATTRIBUTES:
            raise AttributeError(f"{type(self).__name__} does not provide {name!r} for its data")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def dataset(self, stage: str) -> SequenceDataset:
        """The data set of ``stage`` (train, val, test or predict), after ``setup``."""
        if stage not in self.datasets:
            raise RuntimeError(f"no {stage} data: call setup() first, or give the {stage} path")
        return self.datasets[stage]

    def prediction_ids(self) -> list[str] | None:
        """A name for each prediction input (file path or file:line), in order; None when there is none."""
        return None

    def loader_generator(self) -> torch.Generator:
        """The generator a DataLoader draws its workers' base seed from, seeded by ``seed``.

        Without one, every new loader iterator draws from the global random state, so a resumed run (which starts
        one more iterator than the uninterrupted run) would see different dropout draws.
        """
        return torch.Generator().manual_seed(self.seed)

    def _loader(self, stage: str) -> DataLoader:
        data = self.dataset(stage)
        generator = self.loader_generator()
        if stage == "predict":
            return DataLoader(
                data,
                batch_size=self.batch_size,
                shuffle=False,
                collate_fn=self.collate_fn,
                num_workers=self.num_workers,
                generator=generator,
            )
        shuffle = stage == "train"
        pool = self.pool_batches if self.bucketing else 1
        lengths = data.lengths if self.bucketing or not shuffle else [1] * len(data)
        sampler = BucketBatchSampler(lengths, self.batch_size, shuffle=shuffle, pool_batches=pool, seed=self.seed)
        if stage == "train":
            self._train_position = sampler
            return ResumableDataLoader(
                data, batch_sampler=sampler, collate_fn=self.collate_fn, num_workers=self.num_workers,
                generator=generator,
            )
        return DataLoader(
            data, batch_sampler=sampler, collate_fn=self.collate_fn, num_workers=self.num_workers, generator=generator
        )

    def on_after_batch_transfer(self, batch: Any, dataloader_idx: int) -> Any:
        """Count the training batches actually used, so a checkpoint records where the epoch stands."""
        if self._train_position is not None and self.trainer is not None and self.trainer.training:
            self._train_position.consumed += 1
        return batch

    def train_dataloader(self) -> DataLoader:
        """Shuffled, length-bucketed batches of the training split."""
        return self._loader("train")

    def val_dataloader(self) -> DataLoader:
        """Length-sorted batches of the validation split."""
        return self._loader("val")

    def test_dataloader(self) -> DataLoader:
        """Length-sorted batches of the test split."""
        return self._loader("test")

    def predict_dataloader(self) -> DataLoader:
        """In-order batches of the prediction split."""
        return self._loader("predict")
