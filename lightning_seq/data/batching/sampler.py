"""Length-bucketed batches that stay correct under DDP and do not depend on the number of ranks.

Every epoch all ranks compute the same global plan from ``seed + epoch``: shuffle, sort by length inside pools of
``pool_batches`` global steps ("sortish"), cut the order into ``num_steps`` global batches of near-equal size
(``batch_size * num_replicas`` samples at most), shuffle the global batches, and split each of them into
``num_replicas`` near-equal parts: rank ``r`` takes part ``r``. The order, the pools and the global batches depend
only on the data, the seed, the epoch and the global batch size, so one process with batch 32 sees exactly the
samples of two processes with batch 16 (or four with 8) in every step, for any data-set size. Each sample is used
exactly once per epoch across all ranks (no padding with repeated samples, nothing dropped), every rank yields the
same number of batches, and the ranks of one step carry similar lengths.

For exact resumption the sampler keeps how many steps of the epoch training has consumed (``consumed``, counted
when a batch is moved to the device, so a batch the loader prefetched is not counted) and, after
``load_state_dict``, starts the interrupted epoch after them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import torch
import torch.distributed as dist
from torch.utils.data import BatchSampler, Sampler
from torch.utils.data.distributed import DistributedSampler


class BucketBatchSampler(BatchSampler):
    """Batches of indices with similar lengths; rank-aware, reshuffled per epoch by ``set_epoch``.

    Args:
        lengths: length of every sample in the data set.
        batch_size: the largest batch; batches are cut near-equal so some hold one sample fewer.
        shuffle: shuffle samples and steps every epoch (training); False sorts by length once (evaluation).
        pool_batches: global steps per sorting pool; larger pools pad less but shuffle less.
        seed: base seed; the epoch is added so every rank draws the same order.
        num_replicas: number of ranks; None reads it from ``torch.distributed`` when iterating (1 if not
            initialised).
        rank: this process's rank; None reads it like ``num_replicas``.
        sampler: only for Lightning, which injects a ``DistributedSampler`` here under DDP; its ``num_replicas``
            and ``rank`` are adopted when the two arguments above are None. Its order is not used.
    """

    def __init__(
        self,
        lengths: Sequence[int],
        batch_size: int,
        shuffle: bool = True,
        pool_batches: int = 16,
        seed: int = 0,
        num_replicas: int | None = None,
        rank: int | None = None,
        sampler: Sampler | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size!r}")
        if pool_batches < 1:
            raise ValueError(f"pool_batches must be >= 1, got {pool_batches!r}")
        if len(lengths) == 0:
            raise ValueError("cannot batch an empty data set")
        if isinstance(sampler, DistributedSampler):
            num_replicas = sampler.num_replicas if num_replicas is None else num_replicas
            rank = sampler.rank if rank is None else rank
        if num_replicas is not None and num_replicas < 1:
            raise ValueError(f"num_replicas must be >= 1, got {num_replicas!r}")
        if rank is not None and num_replicas is not None and not 0 <= rank < num_replicas:
            raise ValueError(f"rank must lie in [0, {num_replicas}), got {rank!r}")
        self.lengths = torch.as_tensor(list(lengths), dtype=torch.long)
        self.batch_size = batch_size
        self.drop_last = False
        self.shuffle = shuffle
        self.pool_batches = pool_batches
        self.seed = seed
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.consumed = 0  # steps of this epoch that training has used (counted by the data module)
        self._resume: tuple[int, int] | None = None
        # Lightning calls set_epoch on ``batch_sampler.sampler``; pointing it here makes that reach this object.
        self.sampler = self

    def set_epoch(self, epoch: int) -> None:
        """Use the order of ``epoch``; call before each epoch (Lightning does) so all ranks agree."""
        self.epoch = epoch

    def _world(self) -> tuple[int, int]:
        initialised = dist.is_available() and dist.is_initialized()
        replicas = self.num_replicas if self.num_replicas is not None else (dist.get_world_size() if initialised else 1)
        rank = self.rank if self.rank is not None else (dist.get_rank() if initialised else 0)
        return replicas, rank

    def _num_steps(self, replicas: int) -> int:
        total = len(self.lengths)
        if total < replicas:
            raise ValueError(f"{total} samples cannot give every one of {replicas} ranks a batch")
        steps = math.ceil(total / (self.batch_size * replicas))
        if total // steps < replicas:  # the smallest global batch must give every rank a sample
            raise ValueError(
                f"{total} samples cannot fill {steps} batches on each of {replicas} ranks with batch_size "
                f"{self.batch_size}: use a larger batch_size or fewer ranks"
            )
        return steps

    def global_plan(self) -> list[list[list[int]]]:
        """The steps of this epoch, each a list of ``num_replicas`` batches (lists of sample indices).

        The samples of each step (the union over ranks) depend on the global batch size
        ``batch_size * num_replicas``, not on how it is split across ranks.
        """
        replicas, _ = self._world()
        steps = self._num_steps(replicas)
        if self.shuffle:
            generator = torch.Generator().manual_seed(self.seed + self.epoch)
            order = torch.randperm(len(self.lengths), generator=generator)
            pool = self.pool_batches * replicas * self.batch_size  # global steps per pool, in samples
            pools = [
                chunk[torch.argsort(self.lengths[chunk], descending=True, stable=True)] for chunk in order.split(pool)
            ]
            order = torch.cat(pools)
        else:
            order = torch.argsort(self.lengths, descending=True, stable=True)
        global_batches = list(torch.tensor_split(order, steps))  # near-equal, similar lengths within each
        if self.shuffle:
            global_batches = [global_batches[i] for i in torch.randperm(steps, generator=generator).tolist()]
        return [[part.tolist() for part in torch.tensor_split(batch, replicas)] for batch in global_batches]

    def __iter__(self) -> Iterator[list[int]]:
        _, rank = self._world()
        plan = self.global_plan()
        start = 0
        if self._resume is not None:
            epoch, done = self._resume
            self._resume = None
            start = min(done, len(plan)) if epoch == self.epoch else 0
        self.consumed = start
        for step in plan[start:]:
            yield step[rank]

    def state_dict(self) -> dict[str, int]:
        """Where training stands in the epoch: ``epoch`` and ``batches_done`` (steps consumed so far)."""
        return {"epoch": self.epoch, "batches_done": self.consumed}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Resume: the next pass over ``state["epoch"]`` starts after its ``batches_done`` steps (once)."""
        self._resume = (int(state["epoch"]), int(state["batches_done"]))

    def __len__(self) -> int:
        return self._num_steps(self._world()[0])
