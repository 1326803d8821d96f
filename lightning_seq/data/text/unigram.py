"""The unigram baseline a language model must beat."""

from __future__ import annotations

import math

import torch
from torch import Tensor


def unigram_perplexity(train: Tensor, evaluated: Tensor, vocab_size: int) -> float:
    """Perplexity on ``evaluated`` ids of add-one-smoothed unigram frequencies counted on ``train`` ids."""
    counts = torch.bincount(train.flatten(), minlength=vocab_size).double() + 1.0
    log_p = (counts / counts.sum()).log()
    return math.exp(-float(log_p[evaluated.flatten()].mean()))
