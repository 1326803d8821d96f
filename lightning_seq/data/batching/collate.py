"""Padding collate: a list of variable-length samples to one right-padded batch of the task's type."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from lightning_seq.types import Seq2SeqBatch, SequenceBatch, TranscriptionBatch


def pad_sequences(sequences: Sequence[Tensor], pad_value: float = 0) -> tuple[Tensor, Tensor]:
    """Right-pad sequences of shape ``(T_i,)`` or ``(T_i, F)`` to a batch.

    Args:
        sequences: ``B`` tensors with the time axis first, each with at least one step.
        pad_value: value at padded positions (PAD id 0 for tokens).

    Returns:
        ``padded (B, T)`` or ``(B, T, F)`` with ``T = max T_i``, and ``lengths (B,)`` int64.
    """
    if not sequences:
        raise ValueError("cannot collate an empty list of sequences")
    lengths = torch.tensor([len(s) for s in sequences], dtype=torch.long)  # (B,)
    if int(lengths.min()) < 1:
        raise ValueError(f"every sequence needs at least one step; got lengths {lengths.tolist()}")
    first = sequences[0]
    padded = first.new_full((len(sequences), int(lengths.max()), *first.shape[1:]), pad_value)  # (B, T, ...)
    for row, seq in enumerate(sequences):
        padded[row, : len(seq)] = seq
    return padded, lengths


def collate_sequences(items: Sequence[tuple[Tensor, int, int]]) -> SequenceBatch:
    """Collate ``(inputs, target, index)`` samples into a ``SequenceBatch`` (targets -1 when unlabelled)."""
    inputs, lengths = pad_sequences([item[0] for item in items])
    targets = torch.tensor([item[1] for item in items], dtype=torch.long)  # (B,)
    indices = torch.tensor([item[2] for item in items], dtype=torch.long)  # (B,)
    return SequenceBatch(inputs, lengths, targets, indices)


def pad_targets(targets: Sequence[Tensor]) -> tuple[Tensor, Tensor]:
    """Right-pad target id sequences ``(S_i,)`` with 0 (``<pad>``); a sequence may be empty (no target).

    Returns:
        ``targets (B, max(1, max S_i))`` int64 and ``target_lengths (B,)`` int64.
    """
    target_lengths = torch.tensor([len(t) for t in targets], dtype=torch.long)  # (B,)
    padded = torch.zeros(len(targets), max(1, int(target_lengths.max())), dtype=torch.long)  # (B, S)
    for row, target in enumerate(targets):
        padded[row, : len(target)] = target
    return padded, target_lengths


def collate_seq2seq(items: Sequence[tuple[Tensor, Tensor, int]]) -> Seq2SeqBatch:
    """Collate ``(inputs, target_ids, index)`` samples into a ``Seq2SeqBatch`` (targets may be empty)."""
    inputs, lengths = pad_sequences([item[0] for item in items])
    targets, target_lengths = pad_targets([item[1] for item in items])
    indices = torch.tensor([item[2] for item in items], dtype=torch.long)  # (B,)
    return Seq2SeqBatch(inputs, lengths, targets, target_lengths, indices)


def collate_with_references(items: Sequence[tuple[Tensor, Tensor, int, list[str]]]) -> Seq2SeqBatch:
    """As ``collate_seq2seq``, for samples that also carry their reference tokens (``WithReferences``)."""
    batch = collate_seq2seq([item[:3] for item in items])
    return batch._replace(references=[item[3] for item in items])  # read only: no copy per sample


def collate_transcriptions(items: Sequence[tuple[Tensor, Tensor, int]]) -> TranscriptionBatch:
    """Collate ``(features, transcript_ids, index)`` samples into a ``TranscriptionBatch`` (may be unlabelled)."""
    return TranscriptionBatch(*collate_seq2seq(items))


def collate_transcriptions_with_references(
    items: Sequence[tuple[Tensor, Tensor, int, list[str]]],
) -> TranscriptionBatch:
    """As ``collate_transcriptions``, for samples that also carry their transcript's tokens as written."""
    return TranscriptionBatch(*collate_with_references(items))
