"""Attention over encoder outputs with padded source steps masked out: additive (Bahdanau), dot and general (Luong)."""

from __future__ import annotations

from typing import Literal, NamedTuple

import torch
from torch import Tensor, nn

AttentionKind = Literal["additive", "dot", "general"]


class AttentionMemory(NamedTuple):
    """Encoder outputs prepared once per source batch.

    Attributes:
        values: ``(B, S, Dk)`` encoder outputs (what the context averages).
        keys: ``(B, S, A)`` the outputs as compared with queries (projected for additive / general attention).
        mask: ``(B, S)`` bool, True at valid source steps.
    """

    values: Tensor
    keys: Tensor
    mask: Tensor


class Attention(nn.Module):
    """Score each source step against a decoder query and average the encoder outputs by the softmax weights.

    Args:
        query_size: decoder state size ``Dq``.
        key_size: encoder output size ``Dk``.
        kind: ``additive`` ``v·tanh(W q + U k)``, ``dot`` ``q·k`` (needs ``Dq == Dk``), or ``general`` ``q·W k``.
        attention_size: hidden size ``A`` of additive attention.
    """

    def __init__(self, query_size: int, key_size: int, kind: AttentionKind = "additive", attention_size: int = 128):
        super().__init__()
        if kind not in ("additive", "dot", "general"):
            raise ValueError(f"attention must be 'additive', 'dot' or 'general', got {kind!r}")
        if kind == "dot" and query_size != key_size:
            raise ValueError(f"dot attention needs equal sizes, got query {query_size} and key {key_size}: "
                             f"use 'general' or 'additive'")
        if min(query_size, key_size, attention_size) < 1:
            raise ValueError("attention sizes must be >= 1")
        self.kind = kind
        if kind == "additive":
            self.key_proj = nn.Linear(key_size, attention_size, bias=False)
            self.query_proj = nn.Linear(query_size, attention_size)
            self.score = nn.Linear(attention_size, 1, bias=False)
        elif kind == "general":
            self.key_proj = nn.Linear(key_size, query_size, bias=False)

    def memory(self, outputs: Tensor, mask: Tensor) -> AttentionMemory:
        """Prepare ``outputs (B, S, Dk)`` with ``mask (B, S)`` for repeated queries."""
        keys = outputs if self.kind == "dot" else self.key_proj(outputs)  # (B, S, A or Dq)
        return AttentionMemory(outputs, keys, mask)

    def forward(self, query: Tensor, memory: AttentionMemory) -> tuple[Tensor, Tensor]:
        """Attend with ``query (B, Dq)``.

        Returns:
            ``context (B, Dk)`` and ``weights (B, S)`` (sum to 1 over valid steps, exactly 0 on padding).
        """
        if self.kind == "additive":
            scores = self.score(torch.tanh(memory.keys + self.query_proj(query).unsqueeze(1))).squeeze(-1)  # (B, S)
        else:
            scores = torch.bmm(memory.keys, query.unsqueeze(-1)).squeeze(-1)  # (B, S)
        scores = scores.float().masked_fill(~memory.mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1).to(memory.values.dtype)  # (B, S)
        context = torch.bmm(weights.unsqueeze(1), memory.values).squeeze(1)  # (B, Dk)
        return context, weights

    def reorder(self, memory: AttentionMemory, index: Tensor) -> AttentionMemory:
        """Select / repeat memory rows (e.g. to expand a batch into beams)."""
        return AttentionMemory(*(t.index_select(0, index) for t in memory))
