"""Truncated backpropagation through time: windows split in time, state carried forward but cut from the graph.

Lightning 2.x dropped ``truncated_bptt_steps``; ``LanguageModel`` runs these helpers under manual optimization:
one optimizer step per chunk, with the final state of a chunk detached and used as the initial state of the next
chunk (and of the same row in the next batch), so gradients never flow past a chunk boundary.
"""

from __future__ import annotations

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
