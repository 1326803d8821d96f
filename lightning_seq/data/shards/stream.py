"""A split's shards read as batches: each rank and loader worker reads only its part, through a sorting buffer.

``ShardStream`` is an iterable data set that yields collated batches (its loader has ``batch_size=None``). What a
worker yields is batch ``k, k+1, ...`` of its part's plan (``plan.epoch_plan``); the loader takes one batch from
each worker in turn, so the rank's ``n``-th batch is batch ``n // workers`` of worker ``n % workers``. A checkpoint
keeps ``{epoch, batches_done}``; on resume every worker skips the batches it had yielded and the workers' turns
are rotated so the next batch is the one the uninterrupted run would have taken.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from torch.utils.data import IterableDataset, get_worker_info

from lightning_seq.data.modules.base import ResumableDataLoader
from lightning_seq.data.shards.folder import read_stream
from lightning_seq.data.shards.location import ShardLocation
from lightning_seq.data.shards.plan import Batching, epoch_order, epoch_plan, part_bounds


class ShardStream(IterableDataset):
    """Batches of one split's shards for one rank.

    Args:
        folder: the shard folder (a local folder or a URL).
        entry: the split's entry of ``index.json`` (``fields``, ``rows``, ``shards``).
        lengths: every sample's length, by row id.
        batching: batch size or token budget, buffer, shuffling and seed.
        collate_fn: turns a list of samples into a batch.
        workers: loader workers reading this rank's part (0 reads in the main process, as 1 worker).
    """

    def __init__(self, folder: str | Path, entry: dict[str, Any], lengths: np.ndarray, batching: Batching,
                 collate_fn: Callable[[list], Any], workers: int = 0) -> None:
        super().__init__()
        self.folder = ShardLocation(str(folder))
        self.entry = entry
        self.shard_rows = [int(s["rows"]) for s in entry["shards"]]
        self.lengths = lengths
        self.batching = batching
        self.collate_fn = collate_fn
        self.workers = max(workers, 1)
        self.rank, self.world = 0, 1
        self.epoch = 0
        self.skip = 0  # batches of this epoch to pass over (resume), set when the loader starts the epoch
        self.consumed = 0  # batches of this epoch training has used (counted by the data module)
        self._resume: tuple[int, int] | None = None
        self._plans: dict[int, list[list[np.ndarray]]] = {}

    def set_world(self, rank: int, world: int) -> None:
        """This process's rank among ``world`` (the data module sets it once DDP is up)."""
        if not 0 <= rank < world:
            raise ValueError(f"rank must lie in [0, {world}), got {rank!r}")
        self.rank, self.world = rank, world
        self._plans = {}

    def plans(self) -> list[list[np.ndarray]]:
        """Every part's batches this epoch (parts ``rank * workers + worker``), all of one length."""
        if self.epoch not in self._plans:
            self._plans = {self.epoch: epoch_plan(self.shard_rows, self.lengths, self.batching, self.epoch,
                                                  self.world * self.workers)}
        return self._plans[self.epoch]

    def __len__(self) -> int:
        """Batches this rank yields per epoch (the same on every rank)."""
        return len(self.plans()[0]) * self.workers

    def begin_epoch(self, epoch: int) -> None:
        """Called in the main process before the workers start: the epoch, and where a resumed epoch restarts."""
        self.epoch = epoch
        self.skip = 0
        if self._resume is not None:
            resumed_epoch, done = self._resume
            self._resume = None
            if resumed_epoch == epoch and done < len(self):
                self.skip = done
        self.consumed = self.skip

    def state_dict(self) -> dict[str, int]:
        """Where training stands: ``epoch`` and ``batches_done`` (this rank's batches used so far)."""
        return {"epoch": self.epoch, "batches_done": self.consumed}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Resume: the next pass over ``state["epoch"]`` starts after its ``batches_done`` batches (once)."""
        self._resume = (int(state["epoch"]), int(state["batches_done"]))

    def part_batches(self, worker: int) -> Iterator[Any]:
        """Loader worker ``worker``'s collated batches, after the ones a resumed epoch had already used.

        The worker first in the loader's turn after a resume plays the part that was next (``skip % workers``).
        """
        role = (worker + self.skip) % self.workers
        done = self.skip // self.workers + (1 if role < self.skip % self.workers else 0)
        part = self.rank * self.workers + role
        plan = self.plans()[part]
        start, end = part_bounds(sum(self.shard_rows), self.world * self.workers)[part]
        order = epoch_order(self.shard_rows, self.batching.shuffle, self.batching.seed, self.epoch)
        groups = read_stream(self.folder, self.entry["shards"], self.entry["fields"], order, start, end)
        loaded: dict[int, Any] = {}
        for number, batch in enumerate(plan):
            rows = batch.tolist()
            while not all(row in loaded for row in rows):  # read on until the batch's rows are in
                first, samples = next(groups)
                loaded.update(zip(range(first, first + len(samples)), samples, strict=True))
            samples = [loaded.pop(row) for row in rows]
            if number >= done:
                yield self.collate_fn(samples)

    def __iter__(self) -> Iterator[Any]:
        info = get_worker_info()
        worker = 0 if info is None else info.id
        if info is not None and info.num_workers != self.workers:
            raise RuntimeError(f"the loader runs {info.num_workers} workers, the stream was planned for {self.workers}")
        if info is None and self.workers != 1:
            raise RuntimeError(f"the stream was planned for {self.workers} workers but runs in the main process")
        return self.part_batches(worker)


class ShardLoader(ResumableDataLoader):
    """The loader of a ``ShardStream``: tells it the epoch (from ``epoch_of()``) before each pass starts.

    Its position in the epoch is the stream's (``ResumableDataLoader`` saves and restores it in checkpoints).

    Args:
        stream: the split's stream.
        epoch_of: the current epoch (the trainer's), read when a pass starts.
        generator: seeds the workers' base seed.
    """

    def __init__(self, stream: ShardStream, epoch_of: Callable[[], int], generator: Any = None) -> None:
        workers = stream.workers if stream.workers > 1 else 0
        super().__init__(stream, batch_size=None, num_workers=workers, generator=generator)
        self.epoch_of = epoch_of

    def __iter__(self) -> Any:
        self.dataset.begin_epoch(self.epoch_of())
        return super().__iter__()


__all__ = ["ShardLoader", "ShardStream"]
