import functools
import itertools

import pytest
import torch

from lightning_seq.tasks.decoding import WithoutTokens, beam_search, filter_logits, greedy_decode, sample_decode

EOS, BOS, VOCAB = 1, 2, 7


class MarkovDecoder:
    """log p(next | previous token, row) from a fixed transition table and a per-row bias."""

    def __init__(self, seed=0):
        generator = torch.Generator().manual_seed(seed)
        self.transition = torch.randn(VOCAB, VOCAB, generator=generator) * 2
        self.transition[:, EOS] -= 1.0

    def step(self, tokens, state):
        return torch.log_softmax(self.transition[tokens] + state, dim=-1), state

    def reorder(self, state, index):
        return state.index_select(0, index)

    reorder_beams = reorder


def row_bias(batch, seed=1):
    return torch.randn(batch, VOCAB, generator=torch.Generator().manual_seed(seed))


def test_greedy_stops_at_eos_and_pads():
    decoder = MarkovDecoder()
    out = greedy_decode(decoder, row_bias(4), batch=4, bos=BOS, eos=EOS, max_length=12)
    assert out.tokens.shape == (4, 1, 12)
    for row in range(4):
        length = int(out.lengths[row, 0])
        assert EOS not in out.tokens[row, 0, :length].tolist()
        assert set(out.tokens[row, 0, length:].tolist()) <= {EOS}


def test_batched_beam_equals_per_example_beam():
    decoder = MarkovDecoder(3)
    bias = row_bias(6, seed=4)
    batched = beam_search(
        decoder, bias, batch=6, bos=BOS, eos=EOS, max_length=10, beam_size=4, length_penalty=0.6, n_best=2
    )
    for row in range(6):
        alone = beam_search(
            decoder,
            bias[row : row + 1],
            batch=1,
            bos=BOS,
            eos=EOS,
            max_length=10,
            beam_size=4,
            length_penalty=0.6,
            n_best=2,
        )
        assert torch.equal(batched.tokens[row], alone.tokens[0])
        torch.testing.assert_close(batched.scores[row], alone.scores[0])


def test_beam_size_one_equals_greedy():
    decoder = MarkovDecoder(5)
    bias = row_bias(8, seed=6)
    beam = beam_search(decoder, bias, batch=8, bos=BOS, eos=EOS, max_length=9, beam_size=1)
    greedy = greedy_decode(decoder, bias, batch=8, bos=BOS, eos=EOS, max_length=9)
    assert torch.equal(beam.tokens, greedy.tokens) and torch.equal(beam.lengths, greedy.lengths)
    torch.testing.assert_close(beam.scores, greedy.scores)


def test_n_best_lists_come_in_score_order():
    decoder = MarkovDecoder(7)
    out = beam_search(decoder, row_bias(3, seed=8), batch=3, bos=BOS, eos=EOS, max_length=8, beam_size=5, n_best=3)
    assert torch.all(out.scores[:, :-1] >= out.scores[:, 1:])


def best_by_enumeration(decoder, bias, max_length):
    """The best score over every sequence of ``max_length`` steps (after EOS only EOS, at no cost)."""
    best = float("-inf")
    for sequence in itertools.product(range(VOCAB), repeat=max_length):
        if EOS in sequence and any(t != EOS for t in sequence[sequence.index(EOS) :]):
            continue
        score, previous = 0.0, BOS
        for token in sequence:
            score += float(decoder.step(torch.tensor([previous]), bias)[0][0, token])
            if token == EOS:
                break
            previous = token
        best = max(best, score)
    return best


def test_a_wider_beam_never_scores_below_a_narrower_one_up_to_the_exhaustive_best():
    """Width 1 (greedy) up to a beam wide enough to keep every prefix (7**3 = 343 for 4 steps): scores never fall
    as the beam widens, and the exhaustive beam finds the best sequence found by enumerating them all."""
    decoder = MarkovDecoder(11)
    bias = row_bias(3, seed=12)
    widths = [1, 2, 3, 5, 8, 20, 343]
    best = torch.stack(
        [beam_search(decoder, bias, batch=3, bos=BOS, eos=EOS, max_length=4, beam_size=k).scores[:, 0] for k in widths]
    )  # (widths, B)
    assert torch.all(best[1:] >= best[:-1] - 1e-6)
    assert torch.any(best[-1] > best[0] + 1e-3)  # the search matters here: greedy is not already the best
    for row in range(3):
        expected = best_by_enumeration(decoder, bias[row : row + 1], 4)
        assert float(best[-1, row]) == pytest.approx(expected, abs=1e-5)


def test_sampling_is_seeded_and_filters():
    decoder = MarkovDecoder(9)
    bias = row_bias(5, seed=10)
    first = sample_decode(
        decoder, bias, batch=5, bos=BOS, eos=EOS, max_length=10, generator=torch.Generator().manual_seed(0)
    )
    again = sample_decode(
        decoder, bias, batch=5, bos=BOS, eos=EOS, max_length=10, generator=torch.Generator().manual_seed(0)
    )
    assert torch.equal(first.tokens, again.tokens)
    greedy = greedy_decode(decoder, bias, batch=5, bos=BOS, eos=EOS, max_length=10)
    for options in ({"top_k": 1}, {"top_p": 1e-6}, {"temperature": 1e-4}):
        sampled = sample_decode(
            decoder,
            bias,
            batch=5,
            bos=BOS,
            eos=EOS,
            max_length=10,
            generator=torch.Generator().manual_seed(1),
            **options,
        )
        assert torch.equal(sampled.tokens, greedy.tokens), options


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda d, s: beam_search(d, s, batch=1, bos=BOS, eos=EOS, max_length=5, beam_size=0),
            "beam_size must be >= 1, got 0",
        ),
        (lambda d, s: beam_search(d, s, batch=1, bos=BOS, eos=EOS, max_length=0), "max_length must be >= 1, got 0"),
        (
            lambda d, s: beam_search(d, s, batch=1, bos=BOS, eos=EOS, max_length=5, beam_size=2, n_best=3),
            r"n_best must lie in \[1, beam_size=2\]",
        ),
        (
            lambda d, s: sample_decode(d, s, batch=1, bos=BOS, eos=EOS, max_length=5, top_p=1.5),
            r"top_p must lie in \(0, 1\], got 1.5",
        ),
        (
            lambda d, s: sample_decode(d, s, batch=1, bos=BOS, eos=EOS, max_length=5, top_p=0.0),
            r"top_p must lie in \(0, 1\], got 0.0",
        ),
        (
            lambda d, s: sample_decode(d, s, batch=1, bos=BOS, eos=EOS, max_length=5, temperature=0),
            "temperature must be > 0",
        ),
    ],
)
def test_invalid_arguments_name_them(call, message):
    with pytest.raises(ValueError, match=message):
        call(MarkovDecoder(), row_bias(1))


def test_top_k_and_top_p_on_a_hand_built_distribution():
    probs = torch.tensor([[0.5, 0.2, 0.15, 0.1, 0.05]])
    log_probs = probs.log()
    kept = lambda logits: torch.isfinite(logits[0]).nonzero().flatten().tolist()  # noqa: E731
    assert kept(filter_logits(log_probs, top_k=2)) == [0, 1]
    assert kept(filter_logits(log_probs, top_k=5)) == [0, 1, 2, 3, 4]
    assert kept(filter_logits(log_probs, top_p=0.5)) == [0]  # 0.5 alone reaches 0.5
    assert kept(filter_logits(log_probs, top_p=0.6)) == [0, 1]
    assert kept(filter_logits(log_probs, top_p=0.85)) == [0, 1, 2]
    assert kept(filter_logits(log_probs, top_p=0.86)) == [0, 1, 2, 3]
    assert kept(filter_logits(log_probs, top_k=3, top_p=0.95)) == [0, 1, 2]
    # the kept tokens keep their relative probabilities; temperature sharpens them
    renormalised = torch.softmax(filter_logits(log_probs, top_k=2), -1)[0]
    torch.testing.assert_close(renormalised[:2], torch.tensor([0.5, 0.2]) / 0.7)
    sharp = torch.softmax(filter_logits(log_probs, temperature=0.5), -1)[0]
    torch.testing.assert_close(sharp, probs[0] ** 2 / (probs[0] ** 2).sum())


def test_sampled_frequencies_follow_the_filtered_distribution():
    class Fixed:
        def step(self, tokens, state):
            return torch.tensor([[0.5, 0.2, 0.15, 0.1, 0.05]]).log().expand(tokens.size(0), -1), state

        def reorder(self, state, index):
            return state

        reorder_beams = reorder

    out = sample_decode(
        Fixed(), None, batch=4000, bos=4, eos=99, max_length=1, top_p=0.6, generator=torch.Generator().manual_seed(0)
    )
    counts = torch.bincount(out.tokens[:, 0, 0], minlength=5).float() / 4000
    assert counts[2:].sum() == 0
    assert abs(float(counts[0]) - 0.5 / 0.7) < 0.03


def test_start_tokens_per_row():
    decoder = MarkovDecoder(5)
    bias = row_bias(3, seed=6)
    starts = torch.tensor([3, 4, 5])
    together = greedy_decode(decoder, bias, batch=3, bos=starts, eos=EOS, max_length=6)
    beams = beam_search(decoder, bias, batch=3, bos=starts, eos=EOS, max_length=6, beam_size=1)
    for row in range(3):
        alone = greedy_decode(decoder, bias[row : row + 1], batch=1, bos=int(starts[row]), eos=EOS, max_length=6)
        assert torch.equal(together.tokens[row], alone.tokens[0])
        assert torch.equal(beams.tokens[row], alone.tokens[0])
    with pytest.raises(ValueError, match=r"start tokens must have shape \(3,\), got \(2,\)"):
        greedy_decode(decoder, bias, batch=3, bos=starts[:2], eos=EOS, max_length=6)


class FavoursRemoved(MarkovDecoder):
    """A Markov decoder that ranks tokens 0 and BOS first after every token, then as the Markov decoder does."""

    def step(self, tokens, state):
        log_probs, state = super().step(tokens, state)
        favoured = log_probs.clone()
        favoured[:, 0], favoured[:, BOS] = 0.0, -0.1
        return favoured, state


@pytest.mark.parametrize(
    "search",
    [
        lambda d, s: greedy_decode(d, s, batch=4, bos=BOS, eos=EOS, max_length=10),
        lambda d, s: beam_search(d, s, batch=4, bos=BOS, eos=EOS, max_length=10, beam_size=3, n_best=3),
        lambda d, s: sample_decode(d, s, batch=4, bos=BOS, eos=EOS, max_length=10,
                                   generator=torch.Generator().manual_seed(0)),
    ],
)
def test_removed_tokens_are_never_emitted_even_when_ranked_first(search):
    bias = row_bias(4)
    unmasked = search(FavoursRemoved(3), bias)
    assert bool((unmasked.tokens == 0).any())  # the model on its own does emit them
    out = search(WithoutTokens(FavoursRemoved(3), [0, BOS]), bias)
    for row, best in itertools.product(range(4), range(out.tokens.size(1))):
        emitted = out.tokens[row, best, : int(out.lengths[row, best])].tolist()
        assert 0 not in emitted and BOS not in emitted


class NeverRanks(MarkovDecoder):
    """A Markov decoder that gives token 3 a log-probability of -1e4 (probability 0 in fp32) after every token."""

    def step(self, tokens, state):
        log_probs, state = super().step(tokens, state)
        return log_probs.index_fill(-1, torch.tensor([3]), -1.0e4), state


@pytest.mark.parametrize(
    "search",
    [
        greedy_decode,
        functools.partial(beam_search, beam_size=4, n_best=4),
        lambda *args, **common: sample_decode(*args, temperature=0.8, generator=torch.Generator().manual_seed(5),
                                              **common),
    ],
)
def test_removing_a_token_the_model_never_chooses_changes_nothing(search):
    decoder, bias = NeverRanks(1), row_bias(5, seed=1)
    common = {"batch": 5, "bos": BOS, "eos": EOS, "max_length": 12}
    plain, masked = search(decoder, bias, **common), search(WithoutTokens(decoder, [3]), bias, **common)
    assert all(torch.equal(a, b) for a, b in zip(plain, masked, strict=True))  # tokens, lengths and scores


def test_removing_no_token_is_refused():
    with pytest.raises(ValueError, match="ids must name at least one token id"):
        WithoutTokens(MarkovDecoder(), [])
