"""Truncated backpropagation through time: windows split in time, state carried forward but cut from the graph.

Lightning 2.x dropped ``truncated_bptt_steps``; ``LanguageModel`` runs these helpers under manual optimization:
one optimizer step per chunk, with the final state of a chunk detached and used as the initial state of the next
chunk (and of the same row in the next batch), so gradients never flow past a chunk boundary.
"""

from __future__ import annotations

import torch
from torch import Tensor

from lightning_seq.types import EncoderState


def time_chunks(inputs: Tensor, targets: Tensor, steps: int) -> list[tuple[Tensor, Tensor]]:
    """Split ``inputs`` and ``targets`` ``(B, T)`` along time into chunks of ``steps`` (the last may be shorter)."""
    if steps < 1:
        raise ValueError(f"tbptt_steps must be >= 1, got {steps!r}")
    if inputs.shape != targets.shape:
        raise ValueError(f"inputs {tuple(inputs.shape)} and targets {tuple(targets.shape)} must have one shape")
    return [(inputs[:, t : t + steps], targets[:, t : t + steps]) for t in range(0, inputs.size(1), steps)]


def detach_state(state: EncoderState) -> EncoderState:
    """The same state values, cut from the autograd graph (the truncation of truncated BPTT)."""
    return EncoderState(state.hidden.detach(), None if state.cell is None else state.cell.detach())


def reset_some_rows(state: EncoderState, rate: float) -> EncoderState:
    """``state`` with each row (stream) zeroed with probability ``rate``, hidden and cell alike.

    A stream whose state is zeroed reads on from where it is, as if its text started there: a model trained only on
    carried states sees a zero state at the same few stream heads every epoch, and may not know how to start
    elsewhere (evaluation starts each of its streams from zero). Draws from the global random state.
    """
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"the reset rate must lie in [0, 1], got {rate!r}")
    if rate == 0.0:
        return state
    keep = (torch.rand(state.hidden.size(1), device=state.hidden.device) >= rate).to(state.hidden.dtype)  # (B,)
    keep = keep.view(1, -1, 1)  # broadcast over layers and features
    return EncoderState(state.hidden * keep, None if state.cell is None else state.cell * keep)
