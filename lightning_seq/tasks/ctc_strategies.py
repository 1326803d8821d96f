"""Decoding strategies of ``CTCTranscriber``, one class each: ``CTCGreedy`` and ``CTCBeamSearch``.

The task takes ``decoding: <strategy>``; at inference time another can replace the trained one:
``--model.init_args.decoding=lightning_seq.tasks.CTCBeamSearch --model.init_args.decoding.beam_size=20``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch
from torch import Tensor

from lightning_seq.tasks.ctc_decoding import ctc_greedy_decode, ctc_prefix_beam_search
from lightning_seq.tasks.plain_settings import PlainSettings


class CTCDecoding(PlainSettings, ABC):
    """How label sequences are read from per-step CTC log-probabilities."""

    @abstractmethod
    def decode(self, log_probs: Tensor, lengths: Tensor, blank: int) -> tuple[list[list[int]], Tensor]:
        """Label ids of each row (blanks and repeats removed) and a log-probability score ``(B,)``.

        Args:
            log_probs: ``(B, T, V)`` per-step log-probabilities.
            lengths: ``(B,)`` valid steps per row.
            blank: id of the CTC blank.
        """


class CTCGreedy(CTCDecoding):
    """Best path: the most likely label at every step; its score is that path's log-probability."""

    def decode(self, log_probs: Tensor, lengths: Tensor, blank: int) -> tuple[list[list[int]], Tensor]:
        """Best-path labels and the path's summed log-probability ``(B,)``."""
        ids = ctc_greedy_decode(log_probs, lengths, blank)
        padded = torch.arange(log_probs.size(1), device=log_probs.device) >= lengths.unsqueeze(1)  # (B, T)
        return ids, log_probs.max(dim=-1).values.masked_fill(padded, 0.0).sum(1)


class CTCBeamSearch(CTCDecoding):
    """Prefix beam search: the label sequence most likely over all its alignments, among ``beam_size`` kept.

    Args:
        beam_size: prefixes kept per step.
    """

    def __init__(self, beam_size: int = 10) -> None:
        if beam_size < 1:
            raise ValueError(f"beam_size must be >= 1, got {beam_size!r}")
        self.beam_size = beam_size

    def decode(self, log_probs: Tensor, lengths: Tensor, blank: int) -> tuple[list[list[int]], Tensor]:
        """The best prefix of each row and its log-probability summed over alignments ``(B,)``."""
        return ctc_prefix_beam_search(log_probs, lengths, beam_size=self.beam_size, blank=blank)
