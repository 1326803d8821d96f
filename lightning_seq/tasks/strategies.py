"""Decoding strategies of the autoregressive tasks, one class each: ``Greedy``, ``Sampling``, ``BeamSearch``.

A task takes ``decoding: <strategy>`` (in YAML a ``class_path`` with ``init_args``) and uses it in validation, test,
predict and ``generate``. A strategy checks its settings when it is built and runs one of the batched search
functions of ``lightning_seq.tasks.decoding`` over a model's ``step``. At inference time another strategy can replace
the trained one: ``--model.init_args.decoding=lightning_seq.tasks.BeamSearch
--model.init_args.decoding.beam_size=10``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from lightning_seq.tasks.decoding import (
    Hypotheses,
    Steppable,
    beam_search,
    check_beam,
    check_sampling,
    greedy_decode,
    sample_decode,
)
from lightning_seq.tasks.plain_settings import PlainSettings


class DecodingStrategy(PlainSettings, ABC):
    """How a sequence is chosen from a model's next-token distributions.

    A subclass names its batched search function (``function``) and the settings it passes (``options``); the
    arguments every search shares are passed here, once.
    """

    n_best: int = 1
    """Hypotheses returned per input, best first."""

    function: Callable[..., Hypotheses]
    """The search of ``lightning_seq.tasks.decoding`` this strategy runs."""

    @abstractmethod
    def options(self) -> dict[str, Any]:
        """The strategy's own keyword arguments of ``function`` (a new seeded generator for each search, ...)."""

    def search(
        self,
        decoder: Steppable,
        state: Any,
        *,
        batch: int,
        start: int | Tensor,
        eos: int,
        max_length: int,
        device: torch.device | None,
    ) -> Hypotheses:
        """Decode ``batch`` sequences, all at once.

        Args:
            decoder: the model's ``step`` and state reordering.
            state: the decoder state of ``batch`` rows.
            batch: number of sequences ``B``.
            start: first input token: one id for all rows, or ``(B,)`` ids (the last token of each prompt).
            eos: end token.
            max_length: most tokens per sequence.
            device: where the tensors live.

        Returns:
            ``Hypotheses`` with ``N = n_best`` per input.
        """
        shared = {"batch": batch, "bos": start, "eos": eos, "max_length": max_length, "device": device}
        return type(self).function(decoder, state, **shared, **self.options())


class Greedy(DecodingStrategy):
    """The most likely token at every step."""

    function = staticmethod(greedy_decode)

    def options(self) -> dict[str, Any]:
        """None: greedy decoding has no settings."""
        return {}


class Sampling(DecodingStrategy):
    """Draw every token from the model's distribution, sharpened or cut.

    Args:
        temperature: divides the log-probabilities (< 1 sharper, > 1 flatter); > 0.
        top_k: sample among the ``k`` most likely tokens (None: all).
        top_p: sample from the smallest set of tokens with this much probability, in ``(0, 1]`` (None: all).
        seed: every search starts a generator from this seed, so the same inputs give the same samples (None:
            the global random state).
    """

    function = staticmethod(sample_decode)

    def __init__(
        self, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None, seed: int | None = None
    ) -> None:
        check_sampling(temperature, top_k, top_p)
        self.temperature, self.top_k, self.top_p, self.seed = temperature, top_k, top_p, seed

    def options(self) -> dict[str, Any]:
        """Temperature, top-k, top-p and a generator started from ``seed`` (None: the global random state)."""
        generator = torch.Generator().manual_seed(self.seed) if self.seed is not None else None
        return {"temperature": self.temperature, "top_k": self.top_k, "top_p": self.top_p, "generator": generator}


class BeamSearch(DecodingStrategy):
    """Keep the ``beam_size`` best partial sequences of every input at each step.

    Args:
        beam_size: hypotheses kept per input.
        length_penalty: final scores are divided by ``length ** length_penalty`` (0: raw log-probability, which
            favours short outputs).
        n_best: hypotheses returned per input (``predict`` writes them all), in ``[1, beam_size]``.
    """

    function = staticmethod(beam_search)

    def __init__(self, beam_size: int = 5, length_penalty: float = 0.0, n_best: int = 1) -> None:
        check_beam(beam_size, n_best)
        self.beam_size, self.length_penalty, self.n_best = beam_size, length_penalty, n_best

    def options(self) -> dict[str, Any]:
        """Beam size, length penalty and n-best."""
        return {"beam_size": self.beam_size, "length_penalty": self.length_penalty, "n_best": self.n_best}
