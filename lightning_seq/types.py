"""Batch and state containers shared by the whole library, and the shape glossary.

Shape glossary (used in every ``forward`` docstring and shape comment):

* ``B`` batch size, ``T`` padded number of time steps (the longest sequence in the batch),
* ``F`` input feature size (``embedding_dim`` for token inputs),
* ``H`` hidden size of one direction, ``D`` number of directions (2 when bidirectional, else 1),
* ``L`` number of stacked recurrent layers, ``C`` number of classes, ``V`` vocabulary size.

Every batch is batch-first and right-padded; ``lengths`` is an int64 tensor ``(B,)`` with ``1 <= length <= T``.
"""

from __future__ import annotations

from typing import NamedTuple

from torch import Tensor


class EncoderState(NamedTuple):
    """Final recurrent state of an encoder, per layer, both directions concatenated.

    Attributes:
        hidden: ``(L, B, D*H)``; for the backward direction this is the state after reading the first step.
        cell: ``(L, B, D*H)`` for LSTM encoders, ``None`` for cells without a cell state (RNN, GRU).
    """

    hidden: Tensor
    cell: Tensor | None


class SequenceBatch(NamedTuple):
    """A padded batch of sequences with their class targets.

    Attributes:
        inputs: ``(B, T)`` int64 token ids (PAD = 0) or ``(B, T, F)`` float features, right-padded.
        lengths: ``(B,)`` int64 number of valid steps per row.
        targets: ``(B,)`` int64 class ids; ``-1`` when the split has no labels (prediction).
        indices: ``(B,)`` int64 position of each row in its data set, so outputs can be put back in input order.
    """

    inputs: Tensor
    lengths: Tensor
    targets: Tensor
    indices: Tensor


class TranscriptionBatch(NamedTuple):
    """A padded batch of input sequences with padded label-id targets (CTC transcription).

    Attributes:
        inputs: ``(B, T, F)`` float features, right-padded.
        lengths: ``(B,)`` int64 valid input steps.
        targets: ``(B, S)`` int64 label ids, right-padded with 0 (the CTC blank never occurs as a target).
        target_lengths: ``(B,)`` int64 valid target ids per row (0 when the split has no labels).
        indices: ``(B,)`` int64 position of each row in its data set.
        references: the target tokens of each row as written (words missing from the target vocabulary included),
            when the data gives them; evaluation scores against these rather than the ids.
    """

    inputs: Tensor
    lengths: Tensor
    targets: Tensor
    target_lengths: Tensor
    indices: Tensor
    references: list[list[str]] | None = None


class LanguageModelBatch(NamedTuple):
    """A window of ``B`` contiguous token streams: row ``r`` of batch ``i + 1`` continues row ``r`` of batch ``i``.

    Attributes:
        inputs: ``(B, T)`` int64 token ids.
        targets: ``(B, T)`` int64 next tokens (``inputs`` shifted left by one step in the stream).
    """

    inputs: Tensor
    targets: Tensor
