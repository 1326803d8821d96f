"""A token stream cut into contiguous per-row streams, one slice of rows per rank, read in windows."""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
from torch import Tensor
from torch.utils.data import IterableDataset

from lightning_seq.types import LanguageModelBatch


def arrange_streams(tokens: Tensor, streams: int, rank: int = 0, world_size: int = 1) -> Tensor:
    """Cut a token stream ``(N,)`` into ``streams * world_size`` contiguous, equally long pieces; keep this rank's.

    Piece ``rank * streams + r`` becomes row ``r`` of the result, so every rank reads its own contiguous part of
    the text, and row ``r`` of one window continues in row ``r`` of the next. The last ``N mod (streams *
    world_size)`` tokens do not fit any piece (the caller reports them).

    Returns:
        ``(streams, N // (streams * world_size))`` token ids.
    """
    if streams < 1:
        raise ValueError(f"streams (batch_size) must be >= 1, got {streams!r}")
    if not 0 <= rank < world_size:
        raise ValueError(f"rank must lie in [0, world_size={world_size}), got {rank!r}")
    length = tokens.numel() // (streams * world_size)
    pieces = tokens[: streams * world_size * length].view(streams * world_size, length)
    return pieces[rank * streams : (rank + 1) * streams]


class StreamWindows(IterableDataset):
    """Windows of ``sequence_length`` steps over ``(B, n)`` streams, in order: ``LanguageModelBatch`` per window.

    Each window's targets are its inputs shifted by one step in the stream; the last window may be shorter. Being
    iterable (already batched), the loader is never re-sharded by a distributed sampler: ranks split the streams.

    Args:
        streams: ``(B, n)`` token ids from ``arrange_streams``, ``n >= 2``.
        sequence_length: time steps per window.
    """

    def __init__(self, streams: Tensor, sequence_length: int) -> None:
        super().__init__()
        if streams.dim() != 2 or streams.size(1) < 2:
            raise ValueError(f"streams must be (B, n) with n >= 2, got shape {tuple(streams.shape)}")
        if sequence_length < 1:
            raise ValueError(f"sequence_length must be >= 1, got {sequence_length!r}")
        self.streams, self.sequence_length = streams, sequence_length
        self.consumed = 0  # windows of this pass that training has used (counted by the data module)
        self._resume: int | None = None

    def __len__(self) -> int:
        return math.ceil((self.streams.size(1) - 1) / self.sequence_length)

    def state_dict(self) -> dict[str, int]:
        """Where training stands: ``batches_done``, the windows of the current pass consumed so far."""
        return {"batches_done": self.consumed}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Resume: the next pass starts after ``batches_done`` windows.

        Unless those were the whole pass: then the interrupted epoch had ended and the next one starts afresh.
        """
        self._resume = int(state["batches_done"])

    def __iter__(self) -> Iterator[LanguageModelBatch]:
        steps = self.streams.size(1) - 1
        first = 0
        if self._resume is not None:
            first = self._resume if self._resume < len(self) else 0
            self._resume = None
        self.consumed = first
        for start in range(first * self.sequence_length, steps, self.sequence_length):
            stop = min(start + self.sequence_length, steps)
            yield LanguageModelBatch(self.streams[:, start:stop], self.streams[:, start + 1 : stop + 1])


def stream_ids(lines: list[list[int]], end_id: int) -> Tensor:
    """Concatenate encoded lines into one stream ``(N,)``, each line followed by ``end_id``."""
    ids = [token for line in lines for token in (*line, end_id)]
    return torch.tensor(ids, dtype=torch.long)
