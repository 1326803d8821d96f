"""Pooling of encoder outputs over valid steps only, and merging of the two directions."""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor, nn

from lightning_seq.nn.masking import gather_step, lengths_to_mask

PoolingMode = Literal["last", "mean", "max", "attention"]
DirectionMerge = Literal["concat", "sum", "mean"]


class LastPooling(nn.Module):
    """The last valid step of each row; for a bidirectional encoder the backward half is taken at step 0.

    Args:
        num_directions: ``D`` of the encoder whose outputs are pooled (1 or 2).
    """

    def __init__(self, num_directions: int = 1) -> None:
        super().__init__()
        if num_directions not in (1, 2):
            raise ValueError(f"num_directions must be 1 or 2, got {num_directions!r}")
        self.num_directions = num_directions

    def forward(self, outputs: Tensor, lengths: Tensor) -> Tensor:
        """Pool ``outputs (B, T, D*H)`` with ``lengths (B,)`` into ``(B, D*H)``."""
        forward_last = gather_step(outputs, lengths.to(outputs.device) - 1)  # (B, D*H)
        if self.num_directions == 1:
            return forward_last
        half = outputs.size(-1) // 2
        return torch.cat([forward_last[:, :half], outputs[:, 0, half:]], dim=-1)  # (B, D*H)


class MeanPooling(nn.Module):
    """Average over valid steps; padded steps do not count."""

    def forward(self, outputs: Tensor, lengths: Tensor) -> Tensor:
        """Pool ``outputs (B, T, F)`` with ``lengths (B,)`` into ``(B, F)``."""
        lengths = lengths.to(outputs.device)
        mask = lengths_to_mask(lengths, outputs.size(1)).unsqueeze(-1)  # (B, T, 1)
        total = outputs.masked_fill(~mask, 0.0).sum(dim=1)  # (B, F); a fill, as NaN * 0 is NaN
        return total / lengths.unsqueeze(-1).to(outputs.dtype)


class MaxPooling(nn.Module):
    """Element-wise maximum over valid steps; padded steps never win."""

    def forward(self, outputs: Tensor, lengths: Tensor) -> Tensor:
        """Pool ``outputs (B, T, F)`` with ``lengths (B,)`` into ``(B, F)``."""
        mask = lengths_to_mask(lengths.to(outputs.device), outputs.size(1)).unsqueeze(-1)  # (B, T, 1)
        return outputs.masked_fill(~mask, torch.finfo(outputs.dtype).min).amax(dim=1)  # (B, F)


class AttentionPooling(nn.Module):
    """Weighted average with weights from a learned query; padded steps get exactly zero weight.

    Args:
        input_size: feature size ``F`` of the pooled outputs.
    """

    def __init__(self, input_size: int) -> None:
        super().__init__()
        if input_size < 1:
            raise ValueError(f"input_size must be >= 1, got {input_size!r}")
        self.project = nn.Linear(input_size, input_size)
        self.query = nn.Parameter(torch.randn(input_size) / input_size**0.5)

    def weights(self, outputs: Tensor, lengths: Tensor) -> Tensor:
        """Attention weights ``(B, T)`` over steps, summing to 1 over the valid ones."""
        mask = lengths_to_mask(lengths.to(outputs.device), outputs.size(1))  # (B, T)
        scores = torch.tanh(self.project(outputs)) @ self.query  # (B, T)
        scores = scores.float().masked_fill(~mask, float("-inf"))
        return torch.softmax(scores, dim=1).to(outputs.dtype)  # (B, T)

    def forward(self, outputs: Tensor, lengths: Tensor) -> Tensor:
        """Pool ``outputs (B, T, F)`` with ``lengths (B,)`` into ``(B, F)``."""
        mask = lengths_to_mask(lengths.to(outputs.device), outputs.size(1)).unsqueeze(-1)  # (B, T, 1)
        outputs = outputs.masked_fill(~mask, 0.0)  # a zero weight times NaN or inf padding would still be NaN
        return (self.weights(outputs, lengths).unsqueeze(-1) * outputs).sum(dim=1)  # (B, F)


def build_pooling(mode: PoolingMode, input_size: int, num_directions: int) -> nn.Module:
    """Make the pooling module for ``mode`` over outputs of ``input_size`` features from ``num_directions``."""
    if mode == "last":
        return LastPooling(num_directions)
    if mode == "mean":
        return MeanPooling()
    if mode == "max":
        return MaxPooling()
    if mode == "attention":
        return AttentionPooling(input_size)
    raise ValueError(f"pooling must be one of 'last', 'mean', 'max', 'attention', got {mode!r}")


def merge_directions(pooled: Tensor, num_directions: int, merge: DirectionMerge) -> Tensor:
    """Combine the forward and backward halves of a pooled vector.

    Args:
        pooled: ``(B, D*H)``.
        num_directions: ``D``; with 1 the input is returned unchanged.
        merge: ``concat`` keeps ``(B, 2H)``; ``sum`` and ``mean`` give ``(B, H)``.

    Returns:
        ``(B, D*H)`` for concat, else ``(B, H)``.
    """
    if merge not in ("concat", "sum", "mean"):
        raise ValueError(f"direction_merge must be 'concat', 'sum' or 'mean', got {merge!r}")
    if num_directions == 1 or merge == "concat":
        return pooled
    forward, backward = pooled.chunk(2, dim=-1)  # (B, H) each
    total = forward + backward
    return total if merge == "sum" else total / 2


def merged_size(output_size: int, num_directions: int, merge: DirectionMerge) -> int:
    """Feature size after ``merge_directions``."""
    return output_size if merge == "concat" else output_size // num_directions
