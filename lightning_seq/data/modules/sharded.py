"""Train, validate and test from a shard folder (``lightning-seq prepare``), streamed instead of held in memory."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader

from lightning_seq.data.modules.base import LINKED_ATTRIBUTES, NAME_ATTRIBUTES
from lightning_seq.data.shards.folder import read_description, read_index, read_lengths
from lightning_seq.data.shards.location import ShardLocation
from lightning_seq.data.shards.plan import Batching
from lightning_seq.data.shards.stream import ShardLoader, ShardStream
from lightning_seq.objects import object_at

log = logging.getLogger(__name__)

POSITION_KEY = "train_position"
"""The data module state's entry for the training stream's position (``ShardStream.state_dict``)."""

SPLIT_OF_STAGE = {"fit": ("train", "val"), "validate": ("val",), "test": ("test",)}


class ShardedDataModule(pl.LightningDataModule):
    """The splits a recipe's data module wrote with ``lightning-seq prepare``, read from Parquet shards.

    Each rank and loader worker reads its own contiguous part of the epoch's stream (the shards in a seeded order
    that changes every epoch), through a buffer of ``buffer_size`` samples sorted by length and cut into batches;
    every sample is used once per epoch, every rank yields the same number of batches, and a checkpoint keeps the
    position in the epoch for an exact mid-epoch resume, also under another number of ranks or loader workers
    (``lightning_seq.data.shards``). Fitting sets the trainer's ``reload_dataloaders_every_n_epochs`` to 1, so that
    Lightning reads every epoch's batch count (under ``max_tokens`` it changes from epoch to epoch). Memory holds one
    buffer per worker, not the split. The sizes, names and preprocessing the recipe's data module knew come from the
    folder, so the model is built and checkpointed as with that module.

    Args:
        path: the folder ``lightning-seq prepare`` wrote, local or as a URL any ``pyarrow.fs`` file system opens
            (``s3://bucket/shards``, ``gs://...``, ``hdfs://...``; credentials from the environment, as pyarrow
            reads them).
        batch_size: samples per batch (per rank under DDP); None: limited by ``max_tokens`` only.
        max_tokens: most padded time steps (samples × longest length) per batch; None: ``batch_size`` only.
        buffer_size: samples per sorting buffer; larger buffers pad less and hold more in memory.
        num_workers: loader worker processes per rank, each reading its own part of the shards.
        seed: seed of the shard order and the batch order (the epoch is added).
    """

    def __init__(
        self,
        path: str,
        batch_size: int | None = 32,
        max_tokens: int | None = None,
        buffer_size: int = 2048,
        num_workers: int = 0,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.batching = Batching(batch_size, max_tokens, buffer_size, seed=seed)  # checks the sizes
        if num_workers < 0:
            raise ValueError(f"num_workers must be >= 0, got {num_workers!r}")
        self.folder = ShardLocation(path)
        self.index = read_index(self.folder)
        self.description: dict[str, Any] = read_description(self.folder)
        for name, value in {**self.description["linked"], **self.description["names"]}.items():
            setattr(self, name, value)
        self.collate_fn = object_at(self.index["collate_fn"])
        self.num_workers, self.seed = num_workers, seed
        self.streams: dict[str, ShardStream] = {}
        self._train_position: ShardStream | None = None

    def __getattr__(self, name: str) -> Any:
        if name in LINKED_ATTRIBUTES or name in NAME_ATTRIBUTES:
            raise AttributeError(f"the data module that wrote {self.folder.where} does not provide {name!r}")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def split_entry(self, split: str) -> dict[str, Any]:
        """The split's entry of ``index.json``; a clear error when prepare did not write it."""
        if split not in self.index["splits"]:
            raise ValueError(f"{self.folder.where} holds no {split} split (it has {sorted(self.index['splits'])}): "
                             f"prepare it from a recipe that has one")
        return self.index["splits"][split]

    def setup(self, stage: str | None = None) -> None:
        """Open the streams of the splits ``stage`` needs, for this process's rank."""
        if stage == "predict":
            raise ValueError("prediction reads files, not shards: predict with the recipe's own data module and "
                             "the checkpoint (--ckpt_path)")
        trainer = self.trainer
        rank, world = (trainer.global_rank, trainer.world_size) if trainer is not None else (0, 1)
        if trainer is not None and stage in (None, "fit") and trainer.reload_dataloaders_every_n_epochs != 1:
            # an epoch's batch count is its plan's: under max_tokens it changes from epoch to epoch, and so does the
            # epoch a resume under another world finishes; Lightning reads it again only when it reloads the loaders
            log.info("ShardedDataModule: reload_dataloaders_every_n_epochs set to 1 (from %s) so Lightning reads every "
                     "epoch's batch count", trainer.reload_dataloaders_every_n_epochs)
            trainer.reload_dataloaders_every_n_epochs = 1
        for split in SPLIT_OF_STAGE.get(stage or "fit", SPLIT_OF_STAGE["fit"]):
            entry = self.split_entry(split)
            batching = dataclasses.replace(self.batching, shuffle=split == "train")
            stream = ShardStream(self.folder.where, entry, read_lengths(self.folder, split, entry["rows"]), batching,
                                 self.collate_fn, workers=self.num_workers)
            stream.set_world(rank, world)
            self.streams[split] = stream

    def state_dict(self) -> dict[str, Any]:
        """What checkpoints keep of the data.

        The state of the data module that wrote the shards (its tokenizer models) and ``train_position``: where the
        training epoch stands and what its plan depends on.
        """
        state = dict(self.description.get("state") or {})
        if self._train_position is not None:
            state[POSITION_KEY] = self._train_position.state_dict()
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the training position before Lightning reads the resumed epoch's batch count.

        Lightning restores the data module before it builds the loaders and asks their length; the loader's own
        ``load_state_dict`` (called after) repeats the same position.
        """
        position = state_dict.get(POSITION_KEY)
        if position is not None and "train" in self.streams:
            self.streams["train"].load_state_dict(position)

    def inference_inputs(self) -> dict[str, Any]:
        """The preprocessing of the data module that wrote the shards, so its checkpoints serve raw inputs."""
        return self.description["inference"]

    def _epoch(self) -> int:
        return self.trainer.current_epoch if self.trainer is not None else 0

    def _loader(self, split: str) -> DataLoader:
        if split not in self.streams:
            raise RuntimeError(f"no {split} stream: call setup() first")
        generator = torch.Generator().manual_seed(self.seed)
        return ShardLoader(self.streams[split], self._epoch if split == "train" else lambda: 0, generator)

    def on_after_batch_transfer(self, batch: Any, dataloader_idx: int) -> Any:
        """Count the training batches actually used, so a checkpoint records where the epoch stands."""
        if self._train_position is not None and self.trainer is not None and self.trainer.training:
            self._train_position.consumed += 1
        return batch

    def train_dataloader(self) -> DataLoader:
        """The training split: shards in a new order every epoch, buffer-bucketed, batches shuffled per buffer."""
        loader = self._loader("train")
        self._train_position = self.streams["train"]
        return loader

    def val_dataloader(self) -> DataLoader:
        """The validation split, in written order, buffer-bucketed."""
        return self._loader("val")

    def test_dataloader(self) -> DataLoader:
        """The test split, in written order, buffer-bucketed."""
        return self._loader("test")


__all__ = ["ShardedDataModule"]
