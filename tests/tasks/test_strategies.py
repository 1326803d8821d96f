import pytest
import torch

from lightning_seq.tasks import BeamSearch, CTCBeamSearch, CTCGreedy, Greedy, Sampling
from lightning_seq.tasks.checkpoint_format import plain_hyperparameter
from lightning_seq.tasks.ctc_decoding import ctc_greedy_decode, ctc_prefix_beam_search
from lightning_seq.tasks.decoding import beam_search, greedy_decode, sample_decode
from tests.tasks.test_decoding import BOS, EOS, MarkovDecoder, row_bias


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Sampling(temperature=0), "temperature must be > 0, got 0"),
        (lambda: Sampling(top_k=0), "top_k must be >= 1, got 0"),
        (lambda: Sampling(top_p=1.5), r"top_p must lie in \(0, 1\], got 1.5"),
        (lambda: Sampling(top_p=0.0), r"top_p must lie in \(0, 1\], got 0.0"),
        (lambda: BeamSearch(beam_size=0), "beam_size must be >= 1, got 0"),
        (lambda: BeamSearch(beam_size=3, n_best=4), r"n_best must lie in \[1, beam_size=3\], got 4"),
        (lambda: CTCBeamSearch(beam_size=0), "beam_size must be >= 1, got 0"),
    ],
)
def test_strategies_refuse_settings_out_of_range_when_built(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_each_strategy_runs_its_search_function_with_its_settings():
    decoder, bias = MarkovDecoder(5), row_bias(4, seed=2)
    common = {"batch": 4, "eos": EOS, "max_length": 9, "device": None}

    def same(a, b):
        return all(torch.equal(x, y) for x, y in zip(a, b, strict=True))

    assert same(Greedy().search(decoder, bias, start=BOS, **common),
                greedy_decode(decoder, bias, bos=BOS, **common))
    beam = BeamSearch(beam_size=4, length_penalty=0.6, n_best=3).search(decoder, bias, start=BOS, **common)
    assert beam.tokens.shape[:2] == (4, 3)
    assert same(beam, beam_search(decoder, bias, bos=BOS, beam_size=4, length_penalty=0.6, n_best=3, **common))
    sampled = Sampling(temperature=0.7, top_k=3, seed=11).search(decoder, bias, start=BOS, **common)
    reference = sample_decode(decoder, bias, bos=BOS, temperature=0.7, top_k=3,
                              generator=torch.Generator().manual_seed(11), **common)
    assert same(sampled, reference)
    assert same(sampled, Sampling(temperature=0.7, top_k=3, seed=11).search(decoder, bias, start=BOS, **common))


def test_ctc_strategies_run_greedy_and_prefix_beam_search():
    torch.manual_seed(0)
    log_probs = torch.log_softmax(torch.randn(3, 9, 6) * 3, -1)
    lengths = torch.tensor([9, 5, 2])
    ids, scores = CTCGreedy().decode(log_probs, lengths, 0)
    assert ids == ctc_greedy_decode(log_probs, lengths, 0)
    best_path = log_probs.max(-1).values
    expected = torch.stack([best_path[b, : int(n)].sum() for b, n in enumerate(lengths)])
    torch.testing.assert_close(scores, expected)
    beam_ids, beam_scores = CTCBeamSearch(beam_size=4).decode(log_probs, lengths, 0)
    reference_ids, reference_scores = ctc_prefix_beam_search(log_probs, lengths, beam_size=4, blank=0)
    assert beam_ids == reference_ids and torch.equal(beam_scores, reference_scores)


def test_strategies_compare_show_and_save_by_their_settings():
    assert BeamSearch(beam_size=3) == BeamSearch(beam_size=3) != BeamSearch(beam_size=4)
    assert Greedy() == Greedy() != Sampling()
    assert repr(Sampling(top_k=5)) == "Sampling(temperature=1.0, top_k=5, top_p=None, seed=None)"
    assert plain_hyperparameter(BeamSearch(beam_size=3, n_best=2)) == {
        "class_path": "lightning_seq.tasks.strategies.BeamSearch",
        "init_args": {"beam_size": 3, "length_penalty": 0.0, "n_best": 2},
    }
    assert plain_hyperparameter(Greedy()) == {"class_path": "lightning_seq.tasks.strategies.Greedy"}
    assert plain_hyperparameter(CTCBeamSearch(7)) == {
        "class_path": "lightning_seq.tasks.ctc_strategies.CTCBeamSearch", "init_args": {"beam_size": 7},
    }
    assert Greedy().n_best == Sampling().n_best == 1 and BeamSearch(n_best=2).n_best == 2
