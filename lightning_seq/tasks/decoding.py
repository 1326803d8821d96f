"""Autoregressive search as pure functions over a decoder's ``step``: greedy, sampling, batched beam search.

Tasks reach them through the decoding strategies of ``lightning_seq.tasks.strategies`` (``Greedy``, ``Sampling``,
``BeamSearch``), which hold and check the settings.

A decoder is anything with ``step(tokens (N,), state) -> (log_probs (N, V), state)``,
``reorder(state, index (M,)) -> state`` (select / repeat batch rows) and ``reorder_beams(state, index)`` (the same
when every row stays within its sequence's group of beams). Beam search runs all ``B × K`` hypotheses as one batch:
scores are ranked with tensor ``topk``, state rows follow their back-pointers with ``reorder_beams``, and a
finished hypothesis only extends with EOS at no cost, so there is no Python loop over hypotheses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple, Protocol

import torch
from torch import Tensor


class Steppable(Protocol):
    """One decoding step and state reordering (see module docstring)."""

    def step(self, tokens: Tensor, state: Any) -> tuple[Tensor, Any]:
        """Log-probabilities ``(N, V)`` of the next token after ``tokens (N,)``, and the new state."""
        ...

    def reorder(self, state: Any, index: Tensor) -> Any:
        """The state with its batch rows taken from ``index (M,)``."""
        ...

    def reorder_beams(self, state: Any, index: Tensor) -> Any:
        """Like ``reorder``, for an ``index (B*K,)`` that keeps every row within its own sequence's ``K`` beams.

        Parts of the state that all beams of a sequence share (an encoder's memory) may be returned as they are.
        """
        ...


class WithoutTokens:
    """A decoder whose next-token distributions never hold some ids: their log-probabilities become ``-inf``.

    The other tokens keep their log-probabilities (no renormalisation), so greedy and beam search choose as before
    wherever the model did not rank a removed id first; sampling draws from the rest.

    Args:
        decoder: the model's step function and state reordering.
        ids: token ids never to emit (the tasks pass ``<pad>`` and ``<bos>``).
    """

    def __init__(self, decoder: Steppable, ids: Sequence[int]) -> None:
        if not ids:
            raise ValueError("ids must name at least one token id")
        self.decoder = decoder
        self.ids = torch.tensor(sorted(set(ids)), dtype=torch.long)

    def step(self, tokens: Tensor, state: Any) -> tuple[Tensor, Any]:
        """The decoder's log-probabilities ``(N, V)`` with the removed ids at ``-inf``, and its new state."""
        log_probs, state = self.decoder.step(tokens, state)
        if self.ids.device != log_probs.device:  # moved once, not copied to the accelerator at every step
            self.ids = self.ids.to(log_probs.device)
        return log_probs.index_fill(-1, self.ids, float("-inf")), state

    def reorder(self, state: Any, index: Tensor) -> Any:
        """The decoder's own reordering."""
        return self.decoder.reorder(state, index)

    def reorder_beams(self, state: Any, index: Tensor) -> Any:
        """The decoder's own beam reordering."""
        return self.decoder.reorder_beams(state, index)


class Hypotheses(NamedTuple):
    """Decoded sequences, ``N`` per input (1 except for n-best).

    Attributes:
        tokens: ``(B, N, T)`` padded with EOS after each end.
        lengths: ``(B, N)`` tokens before EOS.
        scores: ``(B, N)`` summed log-probabilities (length-normalised for beam search with a length penalty).
    """

    tokens: Tensor
    lengths: Tensor
    scores: Tensor


def _check(max_length: int) -> None:
    if max_length < 1:
        raise ValueError(f"max_length must be >= 1, got {max_length!r}")


def start_tokens(bos: int | Tensor, batch: int, device: torch.device | None) -> Tensor:
    """The first input of every row, ``(B,)``: one shared start id, or a tensor of one id per row (prompts)."""
    if isinstance(bos, Tensor):
        if tuple(bos.shape) != (batch,):
            raise ValueError(f"start tokens must have shape ({batch},), got {tuple(bos.shape)}")
        return bos.to(device=device, dtype=torch.long)
    return torch.full((batch,), bos, dtype=torch.long, device=device)


def check_sampling(temperature: float, top_k: int | None, top_p: float | None) -> None:
    """Refuse sampling settings out of range, naming the argument."""
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    if top_k is not None and top_k < 1:
        raise ValueError(f"top_k must be >= 1, got {top_k!r}")
    if top_p is not None and not 0.0 < top_p <= 1.0:
        raise ValueError(f"top_p must lie in (0, 1], got {top_p!r}")


def check_beam(beam_size: int, n_best: int) -> None:
    """Refuse beam settings out of range, naming the argument."""
    if beam_size < 1:
        raise ValueError(f"beam_size must be >= 1, got {beam_size!r}")
    if not 1 <= n_best <= beam_size:
        raise ValueError(f"n_best must lie in [1, beam_size={beam_size}], got {n_best!r}")


def filter_logits(
    log_probs: Tensor, *, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None
) -> Tensor:
    """Temperature-scaled logits ``(N, V)`` with tokens outside the top ``k`` / the top-``p`` nucleus set to -inf.

    The nucleus is the smallest set of most likely tokens whose probability reaches ``top_p`` (ties at its edge
    are kept whole only as far as the sort order reaches).
    """
    logits = log_probs / temperature
    if top_k is not None and top_k < logits.size(-1):
        kth = logits.topk(top_k, dim=-1).values[..., -1:]  # (N, 1)
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None and top_p < 1.0:
        sorted_logits, order = logits.sort(dim=-1, descending=True)
        cumulative = torch.softmax(sorted_logits, dim=-1).cumsum(dim=-1)
        remove = cumulative - torch.softmax(sorted_logits, dim=-1) >= top_p  # keep the smallest set reaching top_p
        logits = logits.masked_fill(remove.scatter(-1, order, remove), float("-inf"))
    return logits


def _autoregressive(
    decoder: Steppable,
    state: Any,
    *,
    batch: int,
    bos: int | Tensor,
    eos: int,
    max_length: int,
    choose: Any,
    device: torch.device | None,
) -> Hypotheses:
    _check(max_length)
    tokens = start_tokens(bos, batch, device)
    out = torch.full((batch, max_length), eos, dtype=torch.long, device=device)
    lengths = torch.full((batch,), max_length, dtype=torch.long, device=device)
    scores = torch.zeros(batch, device=device)
    done = torch.zeros(batch, dtype=torch.bool, device=device)
    for t in range(max_length):
        log_probs, state = decoder.step(tokens, state)  # (B, V)
        tokens = choose(log_probs.float())  # (B,)
        scores += torch.where(done, 0.0, log_probs.float().gather(1, tokens.unsqueeze(1)).squeeze(1))
        ended = ~done & (tokens == eos)
        lengths = torch.where(ended, torch.full_like(lengths, t), lengths)
        done |= ended
        out[:, t] = torch.where(done, eos, tokens)
        if bool(done.all()):
            break
    return Hypotheses(out.unsqueeze(1), lengths.unsqueeze(1), scores.unsqueeze(1))


def greedy_decode(
    decoder: Steppable,
    state: Any,
    *,
    batch: int,
    bos: int | Tensor,
    eos: int,
    max_length: int,
    device: torch.device | None = None,
) -> Hypotheses:
    """The most likely token at every step, for a whole batch at once.

    ``bos`` is the first input: one id for all rows, or ``(B,)`` ids (e.g. the last token of each prompt).
    """
    return _autoregressive(
        decoder, state, batch=batch, bos=bos, eos=eos, max_length=max_length, choose=lambda lp: lp.argmax(-1),
        device=device,
    )


def sample_decode(
    decoder: Steppable,
    state: Any,
    *,
    batch: int,
    bos: int | Tensor,
    eos: int,
    max_length: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
    device: torch.device | None = None,
) -> Hypotheses:
    """Sample each token from the (temperature-scaled, top-k / top-p filtered) distribution; seedable.

    ``bos`` is the first input: one id for all rows, or ``(B,)`` ids. The same ``generator`` seed gives the same
    samples.
    """
    check_sampling(temperature, top_k, top_p)

    def choose(log_probs: Tensor) -> Tensor:
        probs = torch.softmax(filter_logits(log_probs, temperature=temperature, top_k=top_k, top_p=top_p), dim=-1)
        return torch.multinomial(probs.cpu(), 1, generator=generator).squeeze(1).to(log_probs.device)

    return _autoregressive(
        decoder, state, batch=batch, bos=bos, eos=eos, max_length=max_length, choose=choose, device=device
    )


def beam_search(
    decoder: Steppable,
    state: Any,
    *,
    batch: int,
    bos: int | Tensor,
    eos: int,
    max_length: int,
    beam_size: int = 5,
    length_penalty: float = 0.0,
    n_best: int = 1,
    device: torch.device | None = None,
) -> Hypotheses:
    """Beam search over ``batch × beam_size`` hypotheses at once.

    Args:
        decoder: the model's step function and state reordering.
        state: decoder state for ``batch`` rows (expanded to beams here).
        batch: number of sequences ``B``.
        bos: start token: one id for all rows, or ``(B,)`` ids (e.g. the last token of each prompt).
        eos: end token; a hypothesis that emits it is finished.
        max_length: most tokens generated per hypothesis.
        beam_size: hypotheses kept per sequence ``K``.
        length_penalty: final scores are divided by ``length ** length_penalty`` (0: raw log-probability).
        n_best: hypotheses returned per sequence (at most ``beam_size``).
        device: where the tensors live (default: CPU).

    Returns:
        ``Hypotheses`` with ``N = n_best``, best first.
    """
    _check(max_length)
    check_beam(beam_size, n_best)
    k = beam_size
    rows = torch.arange(batch, device=device).repeat_interleave(k)  # (B*K,)
    state = decoder.reorder(state, rows)
    tokens = start_tokens(bos, batch, device).repeat_interleave(k)  # (B*K,)
    history = torch.full((batch * k, max_length), eos, dtype=torch.long, device=device)
    scores = torch.full((batch, k), float("-inf"), device=device)
    scores[:, 0] = 0.0  # one live hypothesis per sequence at the start
    scores = scores.view(-1)
    lengths = torch.full((batch * k,), max_length, dtype=torch.long, device=device)
    done = torch.zeros(batch * k, dtype=torch.bool, device=device)
    for t in range(max_length):
        log_probs, state = decoder.step(tokens, state)  # (B*K, V)
        log_probs = log_probs.float()
        vocab = log_probs.size(-1)
        frozen = torch.full_like(log_probs, float("-inf"))
        frozen[:, eos] = 0.0  # finished hypotheses extend only with EOS, at no cost
        log_probs = torch.where(done.unsqueeze(1), frozen, log_probs)
        candidates = (scores.unsqueeze(1) + log_probs).view(batch, k * vocab)  # (B, K*V)
        best, pick = candidates.topk(k, dim=1)  # (B, K)
        source = (pick // vocab + torch.arange(batch, device=device).unsqueeze(1) * k).view(-1)  # (B*K,)
        tokens = (pick % vocab).view(-1)
        state = decoder.reorder_beams(state, source)
        history = history.index_select(0, source)
        history[:, t] = tokens
        lengths, done = lengths.index_select(0, source), done.index_select(0, source)
        ended = ~done & (tokens == eos)
        lengths = torch.where(ended, torch.full_like(lengths, t), lengths)
        done |= ended
        scores = best.view(-1)
        if bool(done.all()):
            break
    final = scores.view(batch, k)
    if length_penalty:
        final = final / lengths.view(batch, k).clamp(min=1).float() ** length_penalty
    order = final.argsort(dim=1, descending=True, stable=True)[:, :n_best]  # (B, N)
    chosen = (order + torch.arange(batch, device=device).unsqueeze(1) * k).view(-1)
    tokens_out = history.index_select(0, chosen).view(batch, n_best, max_length)
    return Hypotheses(tokens_out, lengths.index_select(0, chosen).view(batch, n_best), final.gather(1, order))
