"""Attention over encoder outputs with padded source steps masked out, one class per scoring function.

``AdditiveAttention`` (Bahdanau), ``DotAttention`` and ``GeneralAttention`` (Luong) share the masking, softmax and
weighted average of ``Attention``; each supplies how keys are prepared and how a query scores them. A decoder takes
an ``AttentionFactory`` (``factory(query_size, key_size) -> Attention``): in YAML a ``class_path`` with
``init_args`` but no sizes, which the decoder fills in.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import NamedTuple

import torch
from torch import Tensor, nn


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


class Attention(nn.Module, ABC):
    """Score each source step against a decoder query and average the encoder outputs by the softmax weights.

    Args:
        query_size: decoder query size ``Dq`` (filled in by the decoder).
        key_size: encoder output size ``Dk`` (filled in by the decoder).
    """

    def __init__(self, query_size: int, key_size: int) -> None:
        super().__init__()
        if query_size < 1 or key_size < 1:
            raise ValueError(f"attention sizes must be >= 1, got query {query_size!r} and key {key_size!r}")
        self.query_size, self.key_size = query_size, key_size

    @abstractmethod
    def keys(self, outputs: Tensor) -> Tensor:
        """Encoder ``outputs (B, S, Dk)`` as queries compare with them, ``(B, S, A)``."""

    @abstractmethod
    def scores(self, query: Tensor, keys: Tensor) -> Tensor:
        """Unnormalised scores ``(B, S)`` of ``query (B, Dq)`` against ``keys (B, S, A)``."""

    def memory(self, outputs: Tensor, mask: Tensor) -> AttentionMemory:
        """Prepare ``outputs (B, S, Dk)`` with ``mask (B, S)`` for repeated queries.

        Padded steps of the values are set to zero first: their weight is exactly 0, but ``0 * inf`` and ``0 * NaN``
        are NaN, so whatever a caller left there must not reach the weighted average.
        """
        values = outputs.masked_fill(~mask.unsqueeze(-1), 0.0)  # (B, S, Dk)
        return AttentionMemory(values, self.keys(values), mask)

    def forward(self, query: Tensor, memory: AttentionMemory) -> tuple[Tensor, Tensor]:
        """Attend with ``query (B, Dq)``.

        Returns:
            ``context (B, Dk)`` and ``weights (B, S)`` (sum to 1 over valid steps, exactly 0 on padding).
        """
        scores = self.scores(query, memory.keys).float().masked_fill(~memory.mask, float("-inf"))  # (B, S)
        weights = torch.softmax(scores, dim=-1).to(memory.values.dtype)  # (B, S)
        context = torch.bmm(weights.unsqueeze(1), memory.values).squeeze(1)  # (B, Dk)
        return context, weights


class AdditiveAttention(Attention):
    """Additive (Bahdanau) scores ``v · tanh(W q + U k)``.

    Args:
        query_size: decoder query size ``Dq`` (filled in by the decoder).
        key_size: encoder output size ``Dk`` (filled in by the decoder).
        attention_size: hidden size ``A`` of the scoring layer.
    """

    def __init__(self, query_size: int, key_size: int, attention_size: int = 128) -> None:
        super().__init__(query_size, key_size)
        if attention_size < 1:
            raise ValueError(f"attention_size must be >= 1, got {attention_size!r}")
        self.key_proj = nn.Linear(key_size, attention_size, bias=False)
        self.query_proj = nn.Linear(query_size, attention_size)
        self.score = nn.Linear(attention_size, 1, bias=False)

    def keys(self, outputs: Tensor) -> Tensor:
        """``U k``: ``(B, S, A)``."""
        return self.key_proj(outputs)

    def scores(self, query: Tensor, keys: Tensor) -> Tensor:
        """``v · tanh(W q + U k)``: ``(B, S)``."""
        return self.score(torch.tanh(keys + self.query_proj(query).unsqueeze(1))).squeeze(-1)


class DotAttention(Attention):
    """Dot-product (Luong) scores ``q · k``; no parameters, so the query and key sizes must be equal.

    Args:
        query_size: decoder query size ``Dq`` (filled in by the decoder).
        key_size: encoder output size ``Dk`` (filled in by the decoder), equal to ``Dq``.
    """

    def __init__(self, query_size: int, key_size: int) -> None:
        super().__init__(query_size, key_size)
        if query_size != key_size:
            raise ValueError(
                f"DotAttention needs equal sizes, got query {query_size} and key {key_size}: use GeneralAttention "
                f"or AdditiveAttention"
            )

    def keys(self, outputs: Tensor) -> Tensor:
        """The outputs themselves: ``(B, S, Dk)``."""
        return outputs

    def scores(self, query: Tensor, keys: Tensor) -> Tensor:
        """``q · k``: ``(B, S)``."""
        return torch.bmm(keys, query.unsqueeze(-1)).squeeze(-1)


class GeneralAttention(Attention):
    """General (Luong) scores ``q · W k``: a dot product after a learned projection of the keys, any sizes.

    Args:
        query_size: decoder query size ``Dq`` (filled in by the decoder).
        key_size: encoder output size ``Dk`` (filled in by the decoder).
    """

    def __init__(self, query_size: int, key_size: int) -> None:
        super().__init__(query_size, key_size)
        self.key_proj = nn.Linear(key_size, query_size, bias=False)

    def keys(self, outputs: Tensor) -> Tensor:
        """``W k``: ``(B, S, Dq)``."""
        return self.key_proj(outputs)

    def scores(self, query: Tensor, keys: Tensor) -> Tensor:
        """``q · W k``: ``(B, S)``."""
        return torch.bmm(keys, query.unsqueeze(-1)).squeeze(-1)


AttentionFactory = Callable[[int, int], Attention]
"""Builds attention once the sizes are known: ``factory(query_size, key_size) -> Attention``.

In YAML give ``class_path`` (and ``init_args`` such as ``attention_size``) without the sizes; the decoder fills them.
"""
