"""A split's shards read as batches: each rank and loader worker reads only its part, through a sorting buffer.

``ShardStream`` is an iterable data set that yields collated batches (its loader has ``batch_size=None``). What a
worker yields is batch ``k, k+1, ...`` of its part's plan (``plan.epoch_plan``); the loader takes one batch from
each worker in turn, so the rank's ``n``-th batch is batch ``n // workers`` of worker ``n % workers``. A checkpoint
keeps the epoch, the batches used, the world that used them, the batch settings and the shard list. On resume under
the same world every worker skips the batches it had yielded and the workers' turns are rotated so the next batch is
the one the uninterrupted run would have taken; under another world the saved stretch is closed as a segment and
what it left is planned anew (``plan.plan_after``).
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
from lightning_seq.data.shards.plan import Batching, Segment, epoch_order, part_bounds, plan_after, stream_rows


def batching_settings(batching: Batching) -> str:
    """The settings a saved position depends on, as a message shows them."""
    return (f"batch_size={batching.batch_size}, max_tokens={batching.max_tokens}, buffer_size={batching.buffer_size}, "
            f"seed={batching.seed}")


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
        self.closed: list[Segment] = []  # stretches of this epoch read under another world before a resume
        self.skip = 0  # batches of the current plan to pass over (resume), set when the loader starts the epoch
        self.consumed = 0  # batches of this epoch training has used (counted by the data module)
        self._resume: dict[str, Any] | None = None
        self._plans: dict[tuple[int, tuple[Segment, ...]], list[list[np.ndarray]]] = {}

    def set_world(self, rank: int, world: int) -> None:
        """This process's rank among ``world`` (the data module sets it once DDP is up)."""
        if not 0 <= rank < world:
            raise ValueError(f"rank must lie in [0, {world}), got {rank!r}")
        self.rank, self.world = rank, world
        self._plans = {}

    def layout(self, epoch: int) -> tuple[list[Segment], int]:
        """The closed segments of ``epoch`` and the batches of its current plan already used.

        From a pending resume of that epoch (the saved world's stretch closes if this world differs), else from the
        epoch under way, else none.
        """
        if self._resume is not None and int(self._resume["epoch"]) == epoch:
            state = self._resume
            closed = [Segment(*s) for s in state.get("segments", [])]
            done = int(state["batches_done"]) - sum(s.batches for s in closed)
            saved = Segment(int(state.get("ranks", self.world)), int(state.get("workers", self.workers)), done)
            if (saved.ranks, saved.workers) == (self.world, self.workers):
                return closed, done
            return [*closed, saved] if done > 0 else closed, 0
        if epoch == self.epoch:
            return self.closed, self.skip
        return [], 0

    def plans(self, epoch: int | None = None) -> list[list[np.ndarray]]:
        """Every part's batches of ``epoch`` (default: the current one), after its closed segments; one length."""
        epoch = self.epoch if epoch is None else epoch
        closed = tuple(self.layout(epoch)[0])
        if (epoch, closed) not in self._plans:
            self._plans = {(epoch, closed): plan_after(self.shard_rows, self.lengths, self.batching, epoch,
                                                       self.world * self.workers, list(closed))}
        return self._plans[(epoch, closed)]

    def batches_in(self, epoch: int) -> int:
        """Batches this rank uses in ``epoch`` (the same on every rank), those of closed segments included."""
        closed, _ = self.layout(epoch)
        return sum(s.batches for s in closed) + len(self.plans(epoch)[0]) * self.workers

    def __len__(self) -> int:
        """Batches this rank yields in the current epoch (the same on every rank)."""
        return self.batches_in(self.epoch)

    def begin_epoch(self, epoch: int) -> None:
        """Called in the main process before the workers start: the epoch, and where a resumed epoch restarts."""
        closed, skip = self.layout(epoch)
        if skip >= len(self.plans(epoch)[0]) * self.workers:
            closed, skip = [], 0  # the saved epoch had ended: it starts whole
        self._resume = None
        self.epoch, self.closed, self.skip = epoch, list(closed), skip
        self.consumed = sum(s.batches for s in closed) + skip

    def state_dict(self) -> dict[str, Any]:
        """Where training stands, and what the plan depends on.

        ``epoch`` and ``batches_done`` (this rank's batches used so far in it), the world that read them
        (``ranks``, ``workers``, and the ``segments`` read under earlier worlds), the batch settings and the shard
        list.
        """
        return {
            "epoch": self.epoch, "batches_done": self.consumed, "ranks": self.world, "workers": self.workers,
            "segments": [[s.ranks, s.workers, s.batches] for s in self.closed],
            "batching": {"batch_size": self.batching.batch_size, "max_tokens": self.batching.max_tokens,
                         "buffer_size": self.batching.buffer_size, "seed": self.batching.seed},
            "shards": [[s["file"], int(s["rows"])] for s in self.entry["shards"]],
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Resume: the next pass over ``state["epoch"]`` uses only the samples that epoch had not used yet (once).

        Under the saved world the pass skips the saved batches; under another (other ranks or loader workers) the
        saved stretch is replayed and what it left is planned for this world.

        Raises:
            ValueError: the state was saved with other batch settings or over other shards (what it used cannot be
                told apart from what it did not).
        """
        saved = state.get("batching")
        if saved is not None:
            then = Batching(saved["batch_size"], saved["max_tokens"], saved["buffer_size"], seed=saved["seed"])
            if batching_settings(then) != batching_settings(self.batching):
                raise ValueError(f"the shard position was saved with {batching_settings(then)}; this run has "
                                 f"{batching_settings(self.batching)}: resume with the settings it was saved with")
        shards = state.get("shards")
        mine = [[s["file"], int(s["rows"])] for s in self.entry["shards"]]
        if shards is not None and [list(s) for s in shards] != mine:
            raise ValueError(f"the shard position was saved over the shards {shards}; this run reads {mine} from "
                             f"{self.folder.where}: resume over the shards it was saved with")
        self._resume = dict(state)

    def part_batches(self, worker: int) -> Iterator[Any]:
        """Loader worker ``worker``'s collated batches, after the ones a resumed epoch had already used.

        The worker first in the loader's turn after a resume plays the part that was next (``skip % workers``).
        """
        role = (worker + self.skip) % self.workers
        done = self.skip // self.workers + (1 if role < self.skip % self.workers else 0)
        part = self.rank * self.workers + role
        plan = self.plans()[part]
        rows = np.concatenate(plan) if plan else np.zeros(0, dtype=np.int64)
        order = epoch_order(self.shard_rows, self.batching.shuffle, self.batching.seed, self.epoch)
        if self.closed:  # what earlier segments left: read the stretch of the stream that holds this part's rows
            stream = stream_rows(self.shard_rows, order)
            position = np.empty(len(stream), dtype=np.int64)
            position[stream] = np.arange(len(stream))
            start, end = (int(position[rows].min()), int(position[rows].max()) + 1) if len(rows) else (0, 0)
        else:
            start, end = part_bounds(sum(self.shard_rows), self.world * self.workers)[part]
        wanted = set(rows.tolist())
        groups = read_stream(self.folder, self.entry["shards"], self.entry["fields"], order, start, end)
        loaded: dict[int, Any] = {}
        for number, batch in enumerate(plan):
            ids = batch.tolist()
            while not all(row in loaded for row in ids):  # read on until the batch's rows are in
                first, samples = next(groups)
                loaded.update((row, sample) for row, sample in enumerate(samples, start=first) if row in wanted)
            samples = [loaded.pop(row) for row in ids]
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

    def __len__(self) -> int:
        """Batches of the epoch ``epoch_of()`` names (Lightning reads it before the pass starts)."""
        return self.dataset.batches_in(self.epoch_of())

    def __iter__(self) -> Any:
        self.dataset.begin_epoch(self.epoch_of())
        return super().__iter__()


__all__ = ["ShardLoader", "ShardStream"]
