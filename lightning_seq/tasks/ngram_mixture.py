"""The n-gram a language model must beat, inside it: Kneser-Ney counted on the training stream, mixed per token.

A recurrent language model and an interpolated Kneser-Ney n-gram make different errors (the n-gram remembers rare
long strings exactly, the LSTM generalises), and their linear mixture ``w p_lstm + (1 - w) p_ngram`` is better than
either. ``NgramMixture`` keeps the n-gram, the last ``order - 1`` tokens of every evaluation stream, and the two
models' probabilities of every evaluated token, so the task can choose ``w`` on validation and report the mixture's
perplexity beside its own.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from lightning_seq.baselines.kneser_ney import KneserNeyLM, token_symbols

MIXTURE_WEIGHTS = tuple(i / 20 for i in range(21))
"""The LSTM's weights ``w`` tried on validation: ``w p_lstm + (1 - w) p_ngram`` (0: the n-gram alone)."""


class NgramMixture:
    """A Kneser-Ney n-gram beside a language model, scoring the tokens the model is evaluated on.

    Args:
        order: the n-gram's order (contexts of ``order - 1`` tokens).
    """

    def __init__(self, order: int) -> None:
        if isinstance(order, bool) or not isinstance(order, int) or order < 1:
            raise ValueError(f"ngram_order must be an integer >= 1, got {order!r}")
        self.order = order
        self.model: KneserNeyLM | None = None
        self.history: list[str] | None = None  # per stream row: its last order - 1 tokens, as symbols
        self.kept: list[tuple[Tensor, Tensor]] = []  # (p_lstm, p_ngram) of every token of this evaluation

    def fit(self, train_ids: Tensor) -> None:
        """Count the n-gram on the training stream ``(N,)`` (token ids, end-of-line tokens included)."""
        self.model = KneserNeyLM(self.order).fit(token_symbols(train_ids))

    def start(self) -> None:
        """A new evaluation: every stream starts without history, nothing kept."""
        self.history, self.kept = None, []

    def keep(self, inputs: Tensor, targets: Tensor, log_probs: Tensor) -> None:
        """Score one window of every stream with both models and keep the probabilities.

        Args:
            inputs: ``(B, T)`` token ids; row ``b`` continues row ``b`` of the previous window.
            targets: ``(B, T)`` the next token of each position.
            log_probs: ``(B, T, V)`` the language model's log-probabilities.
        """
        if self.model is None:
            raise RuntimeError("the n-gram is not fitted: call fit(train_ids) first")
        keep = self.order - 1
        history = self.history if self.history is not None else [""] * inputs.size(0)
        ngram = torch.empty(targets.shape, dtype=torch.float64)
        for row, (given, wanted) in enumerate(zip(inputs.cpu(), targets.cpu(), strict=True)):
            stream, symbols = history[row] + token_symbols(given), token_symbols(wanted)
            offset = len(history[row]) + 1  # the context of target t ends at input t
            for t, symbol in enumerate(symbols):
                end = offset + t
                ngram[row, t] = self.model._probability(stream[max(0, end - keep) : end], symbol)  # checked above
            history[row] = stream[len(stream) - keep :] if keep else ""
        self.history = history
        lstm = log_probs.detach().gather(-1, targets.unsqueeze(-1)).squeeze(-1).exp().double().cpu()
        self.kept.append((lstm.flatten(), ngram.flatten()))

    def log_likelihoods(self) -> tuple[Tensor, int]:
        """The kept tokens' summed natural log-likelihood under every weight, and how many were kept.

        Returns:
            ``(len(MIXTURE_WEIGHTS),)`` float64 sums and this process's token count.
        """
        if not self.kept:
            return torch.zeros(len(MIXTURE_WEIGHTS), dtype=torch.float64), 0
        lstm = torch.cat([pair[0] for pair in self.kept])
        ngram = torch.cat([pair[1] for pair in self.kept])
        sums = [torch.log(w * lstm + (1 - w) * ngram).sum() for w in MIXTURE_WEIGHTS]
        return torch.stack(sums), lstm.numel()


def perplexity(log_likelihood: float, count: float) -> float:
    """``exp`` of the mean negative natural log-likelihood per token."""
    return math.exp(-log_likelihood / count)
