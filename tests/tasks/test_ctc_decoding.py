import itertools
import math

import pytest
import torch

from lightning_seq.tasks.ctc_decoding import ctc_greedy_decode, ctc_prefix_beam_search


def collapse(path, blank=0):
    out, previous = [], None
    for label in path:
        if label != previous and label != blank:
            out.append(label)
        previous = label
    return tuple(out)


def exhaustive_best(probs):
    """The most likely labelling by summing every alignment (tiny T and V only)."""
    totals = {}
    steps, vocab = probs.shape
    for path in itertools.product(range(vocab), repeat=steps):
        p = math.prod(probs[t, path[t]].item() for t in range(steps))
        totals[collapse(path)] = totals.get(collapse(path), 0.0) + p
    best = max(totals, key=totals.get)
    return list(best), math.log(totals[best])


def test_greedy_collapses_repeats_and_removes_blanks():
    ids = torch.tensor([[1, 1, 0, 1, 2, 2, 0, 0], [3, 0, 3, 3, 1, 1, 1, 1]])
    log_probs = torch.nn.functional.one_hot(ids, 4).float().log()
    assert ctc_greedy_decode(log_probs, torch.tensor([8, 4])) == [[1, 1, 2], [3, 3]]


def test_beam_finds_the_labelling_greedy_misses():
    # best path is blank-blank (0.36) but "a" has 0.24 + 0.24 + 0.16 = 0.64 over its alignments
    probs = torch.tensor([[[0.6, 0.4], [0.6, 0.4]]])
    assert ctc_greedy_decode(probs.log(), torch.tensor([2])) == [[]]
    labels, score = ctc_prefix_beam_search(probs.log(), torch.tensor([2]), beam_size=3)
    assert labels == [[1]]
    assert score.item() == pytest.approx(math.log(0.64), abs=1e-6)


def test_wide_beam_equals_exhaustive_search():
    generator = torch.Generator().manual_seed(0)
    for _ in range(60):
        steps = int(torch.randint(1, 6, (), generator=generator))
        vocab = int(torch.randint(2, 5, (), generator=generator))
        probs = torch.softmax(torch.randn(steps, vocab, generator=generator) * 2, dim=-1)
        labels, score = ctc_prefix_beam_search(probs.log()[None], torch.tensor([steps]), beam_size=vocab**steps)
        best, best_score = exhaustive_best(probs)
        assert labels[0] == best
        assert score.item() == pytest.approx(best_score, abs=1e-4)


def test_beam_size_one_equals_greedy_on_peaked_outputs():
    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(0, 6, (16, 30), generator=generator)
    logits = torch.nn.functional.one_hot(ids, 6).float() * 6 + torch.randn(16, 30, 6, generator=generator) * 0.3
    log_probs = torch.log_softmax(logits, -1)
    lengths = torch.randint(1, 31, (16,), generator=generator)
    beam, _ = ctc_prefix_beam_search(log_probs, lengths, beam_size=1)
    assert beam == ctc_greedy_decode(log_probs, lengths)


def test_batched_beam_equals_per_utterance_beam():
    generator = torch.Generator().manual_seed(2)
    log_probs = torch.log_softmax(torch.randn(5, 14, 7, generator=generator) * 3, -1)
    lengths = torch.tensor([14, 3, 1, 9, 14])
    batched, scores = ctc_prefix_beam_search(log_probs, lengths, beam_size=4)
    for row, length in enumerate(lengths.tolist()):
        alone, alone_score = ctc_prefix_beam_search(
            log_probs[row : row + 1, :length], lengths[row : row + 1], beam_size=4
        )
        assert batched[row] == alone[0]
        torch.testing.assert_close(scores[row], alone_score[0])


def test_invalid_beam_size():
    with pytest.raises(ValueError, match="beam_size must be >= 1, got 0"):
        ctc_prefix_beam_search(torch.zeros(1, 2, 3), torch.tensor([2]), beam_size=0)
