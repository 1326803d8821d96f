"""A bag of hashed token n-grams (fastText-style): the mean embedding of a row's n-grams, order ignored."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from lightning_seq.nn.masking import lengths_to_mask

_MULTIPLIER = 1_000_003  # int64 products wrap on overflow: deterministic, so still a hash


class NgramBag(nn.Module):
    """Mean of the embeddings of every token n-gram of orders ``1..max_order`` in a row, hashed into buckets.

    What a bag-of-words model reads, as a path beside the recurrent one: a word's weight does not depend on where
    it stands, and a bigram table lets it learn short phrases. N-grams are hashed (``ids`` and the order) into
    ``num_buckets`` rows, so the table does not grow with the vocabulary; n-grams reaching into the padding are
    left out, so padding content never matters.

    Args:
        num_buckets: rows of the hashed n-gram table.
        embedding_dim: size ``E`` of the bag vector.
        max_order: longest n-gram (1: words only, 2: words and word pairs, at most 4).
    """

    def __init__(self, num_buckets: int = 200_000, embedding_dim: int = 64, max_order: int = 2) -> None:
        super().__init__()
        if num_buckets < 1:
            raise ValueError(f"num_buckets must be >= 1, got {num_buckets!r}")
        if embedding_dim < 1:
            raise ValueError(f"embedding_dim must be >= 1, got {embedding_dim!r}")
        if not 1 <= max_order <= 4:
            raise ValueError(f"max_order must lie in 1..4, got {max_order!r}")
        self.num_buckets, self.max_order = num_buckets, max_order
        self.output_size = embedding_dim
        self.table = nn.Embedding(num_buckets, embedding_dim)
        nn.init.normal_(self.table.weight, std=0.1)

    def bucket_ids(self, ids: Tensor, order: int) -> Tensor:
        """Hashed ids ``(B, T - order + 1)`` of the n-grams of ``order`` starting at each step of ``ids (B, T)``."""
        steps = ids.size(1) - order + 1
        hashed = torch.full_like(ids[:, :steps], order)
        for k in range(order):
            hashed = hashed * _MULTIPLIER + ids[:, k : k + steps]
        return hashed.remainder(self.num_buckets)  # in [0, num_buckets) for any sign

    def forward(self, ids: Tensor, lengths: Tensor) -> Tensor:
        """The bag vector of each row.

        Args:
            ids: ``(B, T)`` int64 token ids, right-padded.
            lengths: ``(B,)`` int64 valid lengths.

        Returns:
            ``(B, E)``: the mean over the row's n-grams (a row shorter than an order has none of that order).
        """
        lengths = lengths.to(ids.device)
        total = ids.new_zeros(ids.size(0), self.output_size, dtype=self.table.weight.dtype)
        count = torch.zeros(ids.size(0), 1, dtype=total.dtype, device=ids.device)
        for order in range(1, min(self.max_order, ids.size(1)) + 1):
            valid = lengths_to_mask(lengths - order + 1, ids.size(1) - order + 1).unsqueeze(-1)  # (B, T', 1)
            vectors = self.table(self.bucket_ids(ids, order))  # (B, T', E)
            total = total + vectors.masked_fill(~valid, 0.0).sum(dim=1)
            count = count + valid.sum(dim=1).to(total.dtype)
        return total / count.clamp(min=1.0)  # (B, E)
