"""The batches of one epoch over sharded data, computed from the samples' lengths alone (no sample is read).

Every rank and every loader worker computes the same plan from ``seed + epoch``:

1. **Order**: the shards in a shuffled order (training) or as written (evaluation); the epoch's stream is their
   rows one after the other.
2. **Parts**: the stream is cut into ``ranks × workers`` contiguous, near-equal parts; part
   ``rank * workers + worker`` is the only one that worker of that rank reads, so the parts are disjoint and
   together hold every sample once.
3. **Buffer bucketing**: each part is read through a buffer of ``buffer_size`` samples. A full buffer is sorted by
   length and cut into batches (``batch_size`` samples, or as many as fit ``max_tokens`` padded tokens); a last
   batch that is not full is carried into the next buffer; the buffer's batches are shuffled (training).
4. **Equal counts**: a DDP step needs a batch on every rank, and the loader takes one batch from each worker in
   turn, so every part must yield the same number of batches. Parts with fewer split their largest batch in two
   until they have as many as the longest part. No sample is repeated or dropped.

The plan depends on the data, the seed, the epoch and the world (ranks × workers): a part's batch ``k`` is the
same in an interrupted and in an uninterrupted run, which makes mid-epoch resumption exact. Under ``max_tokens`` the
count differs from epoch to epoch (the buffers hold other samples), so a loader reports each epoch's own.

5. **Another world on resume**: a run resumed with other ranks or loader workers replays the saved stretch of the
   epoch (a ``Segment``: its world and the batches each rank used), takes the rows it used out of the stream and
   plans the rest for the new world (``plan_after``), so the epoch still uses every sample exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Batching:
    """How a part's buffer is cut into batches.

    Args:
        batch_size: samples per batch (None: limited by ``max_tokens`` only).
        max_tokens: most padded tokens (samples × longest length) per batch (None: ``batch_size`` only).
        buffer_size: samples per sorting buffer; larger buffers pad less and hold more samples in memory.
        shuffle: shuffle the shard order and each buffer's batches (training); False keeps the written order.
        seed: base seed; the epoch is added.
    """

    batch_size: int | None = 32
    max_tokens: int | None = None
    buffer_size: int = 2048
    shuffle: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        if self.batch_size is None and self.max_tokens is None:
            raise ValueError("give batch_size, max_tokens or both")
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size!r}")
        if self.max_tokens is not None and self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {self.max_tokens!r}")
        if self.buffer_size < 1:
            raise ValueError(f"buffer_size must be >= 1, got {self.buffer_size!r}")


def epoch_order(shard_rows: list[int], shuffle: bool, seed: int, epoch: int) -> np.ndarray:
    """The shard indices in this epoch's reading order."""
    order = np.arange(len(shard_rows))
    if shuffle:
        order = np.random.default_rng([seed, epoch]).permutation(len(shard_rows))
    return order


def stream_rows(shard_rows: list[int], order: np.ndarray) -> np.ndarray:
    """The global row ids of the epoch's stream: each shard's rows, shards in ``order``."""
    starts = np.concatenate([[0], np.cumsum(shard_rows)[:-1]]).astype(np.int64)
    pieces = [np.arange(starts[s], starts[s] + shard_rows[s], dtype=np.int64) for s in order]
    return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64)


def part_bounds(total: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` contiguous, near-equal ``[start, end)`` ranges of a stream of ``total`` rows."""
    edges = [total * p // parts for p in range(parts + 1)]
    return list(zip(edges[:-1], edges[1:], strict=True))


def _cut(rows: np.ndarray, lengths: np.ndarray, batching: Batching) -> list[np.ndarray]:
    """Cut rows sorted by length (longest first) into batches within the size and token limits."""
    batches: list[np.ndarray] = []
    start = 0
    size_limit = batching.batch_size or len(rows)
    while start < len(rows):
        end = min(start + size_limit, len(rows))
        if batching.max_tokens is not None:
            longest = max(int(lengths[rows[start]]), 1)
            end = min(end, start + max(batching.max_tokens // longest, 1))  # a too-long sample goes alone
        batches.append(rows[start:end])
        start = end
    return batches


def bucket_part(rows: np.ndarray, lengths: np.ndarray, batching: Batching, rng: np.random.Generator | None
                ) -> list[np.ndarray]:
    """A part's batches (arrays of global row ids) through the sorting buffer, in the order they are yielded.

    Args:
        rows: the part's global row ids in stream order.
        lengths: every row's length, indexed by global row id.
        batching: sizes and buffer.
        rng: shuffles each buffer's batches (None: kept longest first).
    """
    batches: list[np.ndarray] = []
    carry = np.zeros(0, dtype=np.int64)
    for start in range(0, len(rows), batching.buffer_size):
        chunk = rows[start:start + batching.buffer_size]
        pool = np.concatenate([carry, chunk])
        pool = pool[np.argsort(-lengths[pool], kind="stable")]
        cut = _cut(pool, lengths, batching)
        last_buffer = start + batching.buffer_size >= len(rows)
        full = batching.batch_size is None or len(cut[-1]) == batching.batch_size
        carry = np.zeros(0, dtype=np.int64)
        if not last_buffer and not full:
            carry, cut = cut[-1], cut[:-1]
        if rng is not None:
            cut = [cut[i] for i in rng.permutation(len(cut))]
        batches.extend(cut)
    if len(carry):
        batches.append(carry)
    return batches


def equalize(batches: list[np.ndarray], count: int) -> list[np.ndarray]:
    """Split the largest batch in two (halves kept in place) until there are ``count`` batches."""
    batches = list(batches)
    while len(batches) < count:
        largest = max(range(len(batches)), key=lambda i: len(batches[i]))
        if len(batches[largest]) < 2:
            raise ValueError("not enough samples to split")  # caught by epoch_plan, which names the sizes
        half = len(batches[largest]) // 2
        batches[largest:largest + 1] = [batches[largest][:half], batches[largest][half:]]
    return batches


def plan_stream(stream: np.ndarray, lengths: np.ndarray, batching: Batching, epoch: int, parts: int,
                segment: int = 0) -> list[list[np.ndarray]]:
    """Every part's batches over ``stream`` (global row ids in reading order): ``parts`` lists of one length.

    Args:
        stream: the rows to plan, in the epoch's reading order.
        lengths: every row's length, indexed by global row id.
        batching: sizes, buffer, shuffling and seed.
        epoch: the epoch (with the seed, it seeds each part's batch shuffling).
        parts: ranks × workers.
        segment: which plan of a resumed epoch this is (0: the epoch's own plan; a resume under another world plans
            what is left as segment 1, 2, ...), so each segment shuffles with its own seed.

    Raises:
        ValueError: when the rows are fewer than the parts, or some part is too small for the longest part's count.
    """
    total = len(stream)
    if total < parts:
        raise ValueError(f"{total} samples cannot give each of {parts} readers (ranks × workers) a batch: use fewer "
                         f"ranks or num_workers")
    plans = []
    for index, (start, end) in enumerate(part_bounds(total, parts)):
        salt = [batching.seed, epoch, index] + ([segment] if segment else [])
        rng = np.random.default_rng(salt) if batching.shuffle else None
        plans.append(bucket_part(stream[start:end], lengths, batching, rng))
    count = max(len(p) for p in plans)
    try:
        return [equalize(p, count) for p in plans]
    except ValueError:
        sizes = [end - start for start, end in part_bounds(total, parts)]
        raise ValueError(
            f"{total} samples in {parts} parts of {min(sizes)}-{max(sizes)} cannot give every part {count} batches "
            f"(the longest part's count; DDP needs as many on every rank): use fewer ranks or num_workers, or a "
            f"larger batch_size"
        ) from None


def epoch_plan(shard_rows: list[int], lengths: np.ndarray, batching: Batching, epoch: int, parts: int
               ) -> list[list[np.ndarray]]:
    """Every part's batches for ``epoch``: ``parts`` lists, all of the same length.

    Raises:
        ValueError: when the data has fewer samples than some part needs batches (fewer samples than
            ``parts``, or a part too small for the longest part's count): use fewer ranks or workers.
    """
    order = epoch_order(shard_rows, batching.shuffle, batching.seed, epoch)
    return plan_stream(stream_rows(shard_rows, order), lengths, batching, epoch, parts)


@dataclass(frozen=True)
class Segment:
    """A stretch of an epoch read under one world: ``ranks`` × ``workers`` readers, ``batches`` used by each rank.

    A run resumed under another world (other ranks or loader workers) closes the saved stretch as a segment and
    plans what the segments left (``plan_after``).
    """

    ranks: int
    workers: int
    batches: int


def used_rows(plans: list[list[np.ndarray]], workers: int, batches: int) -> np.ndarray:
    """The rows of each rank's first ``batches`` batches, in the loader's order.

    A rank's ``n``-th batch is batch ``n // workers`` of its worker ``n % workers`` (part ``rank * workers +
    worker``): the loader takes one batch from each worker in turn.
    """
    ranks = len(plans) // workers
    taken = [plans[rank * workers + n % workers][n // workers] for rank in range(ranks) for n in range(batches)]
    return np.concatenate(taken) if taken else np.zeros(0, dtype=np.int64)


def plan_after(shard_rows: list[int], lengths: np.ndarray, batching: Batching, epoch: int, parts: int,
               closed: list[Segment]) -> list[list[np.ndarray]]:
    """The plan of what ``closed`` segments of ``epoch`` left, for ``parts`` readers (the epoch's plan if none).

    Every segment is replayed in turn (each planned over what the ones before it left), its used rows are taken out
    of the stream, and the rest, in reading order, is planned anew: every sample of the epoch is used exactly once
    across the segments and the new plan.
    """
    order = epoch_order(shard_rows, batching.shuffle, batching.seed, epoch)
    stream = stream_rows(shard_rows, order)
    for number, segment in enumerate(closed):
        plans = plan_stream(stream, lengths, batching, epoch, segment.ranks * segment.workers, number)
        used = used_rows(plans, segment.workers, segment.batches)
        stream = stream[~np.isin(stream, used)]
    return plan_stream(stream, lengths, batching, epoch, parts, len(closed))


__all__ = [
    "Batching", "Segment", "bucket_part", "epoch_order", "epoch_plan", "equalize", "part_bounds", "plan_after",
    "plan_stream", "stream_rows", "used_rows",
]
