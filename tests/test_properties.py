"""Property-based tests (hypothesis): tokenizer round-trips, padding and masking, length-aware encoder equalities."""

import re

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lightning_seq.data.batching.collate import pad_sequences
from lightning_seq.data.text.tokenizers import CharTokenizer, WordTokenizer
from lightning_seq.data.text.vocab import SPECIALS, UNK_ID, Vocabulary
from lightning_seq.nn import GRUEncoder, LSTMEncoder, RNNEncoder
from lightning_seq.nn.masking import gather_step, gather_time, lengths_to_mask, reversal_index

FAST = settings(max_examples=40, deadline=None)


@FAST
@given(st.text())
def test_char_tokens_join_back_to_the_text(text):
    assert "".join(CharTokenizer()(text)) == text


@FAST
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",))))
def test_word_tokens_are_the_non_space_content_in_order(text):
    tokens = WordTokenizer(lowercase=False)(text)
    assert all(tok and not any(ch.isspace() for ch in tok) for tok in tokens)
    assert "".join(tokens) == re.sub(r"\s+", "", text)  # every non-space character kept, in order


@FAST
@given(st.lists(st.lists(st.text(min_size=1, max_size=3), max_size=6), min_size=1, max_size=5),
       st.lists(st.text(min_size=1, max_size=3), max_size=6))
def test_vocabulary_round_trip_and_unknown_tokens(texts, other):
    vocab = Vocabulary.build(texts)
    for tokens in texts:
        assert vocab.decode(vocab.encode(tokens)) == list(tokens)
    for token, idx in zip(other, vocab.encode(other), strict=True):
        assert idx == UNK_ID or vocab.decode([idx]) == [token]
    assert list(vocab.tokens[: len(SPECIALS)]) == list(SPECIALS)


lengths_strategy = st.lists(st.integers(1, 9), min_size=1, max_size=6)


@FAST
@given(lengths_strategy, st.integers(0, 3))
def test_padding_keeps_every_value_and_pads_with_the_pad_value(lengths, features):
    shape = (lambda n: (n,)) if features == 0 else (lambda n: (n, features))
    sequences = [torch.randn(shape(n)) for n in lengths]
    padded, got = pad_sequences(sequences, pad_value=-7.0)
    assert got.tolist() == lengths and padded.shape[:2] == (len(lengths), max(lengths))
    mask = lengths_to_mask(got, padded.size(1))
    assert mask.sum().item() == sum(lengths)
    for row, seq in enumerate(sequences):
        assert torch.equal(padded[row, : len(seq)], seq)
        assert (padded[row, len(seq):] == -7.0).all()


@FAST
@given(lengths_strategy, st.integers(0, 4))
def test_reversal_within_lengths_is_an_involution_and_gathers_match_a_loop(lengths, extra):
    lengths_t = torch.tensor(lengths)
    steps = max(lengths) + extra
    values = torch.randn(len(lengths), steps, 3)
    index = reversal_index(lengths_t, steps)
    reversed_values = gather_time(values, index)
    assert torch.equal(gather_time(reversed_values, index), values)
    for row, n in enumerate(lengths):
        assert torch.equal(reversed_values[row, :n], values[row, :n].flip(0))
        assert torch.equal(reversed_values[row, n:], values[row, n:])
    last = gather_step(values, lengths_t - 1)
    assert torch.equal(last, torch.stack([values[r, n - 1] for r, n in enumerate(lengths)]))


@settings(max_examples=25, deadline=None)
@given(st.sampled_from([RNNEncoder, LSTMEncoder, GRUEncoder]), st.booleans(), st.integers(1, 2), lengths_strategy,
       st.integers(0, 2), st.integers(0, 2**16))
def test_padded_batches_equal_each_sequence_alone(encoder_cls, bidirectional, layers, lengths, extra, seed):
    torch.manual_seed(seed)
    encoder = encoder_cls(3, 4, num_layers=layers, bidirectional=bidirectional).eval()
    lengths_t = torch.tensor(lengths)
    x = torch.randn(len(lengths), max(lengths) + extra, 3)
    with torch.no_grad():
        out, state = encoder(x, lengths_t)
        assert (out[~lengths_to_mask(lengths_t, x.size(1))] == 0).all()
        for row, n in enumerate(lengths):
            alone, alone_state = encoder(x[row : row + 1, :n], lengths_t[row : row + 1])
            torch.testing.assert_close(out[row, :n], alone[0], atol=1e-5, rtol=1e-5)
            torch.testing.assert_close(state.hidden[:, row], alone_state.hidden[:, 0], atol=1e-5, rtol=1e-5)
            if state.cell is not None:
                torch.testing.assert_close(state.cell[:, row], alone_state.cell[:, 0], atol=1e-5, rtol=1e-5)
