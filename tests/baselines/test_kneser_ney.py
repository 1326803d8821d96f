import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lightning_seq.baselines import KneserNeyLM, token_symbols


@settings(max_examples=40, deadline=None)
@given(text=st.text(alphabet="abc d\n", min_size=2, max_size=200), order=st.integers(1, 9),
       context=st.text(alphabet="abcdxy", max_size=10))
def test_probabilities_of_every_character_sum_to_one(text, order, context):
    model = KneserNeyLM(order).fit(text)
    characters = sorted(model.vocabulary) + ["\u2603"]  # one character never seen: the unseen slot
    assert math.isclose(sum(model.probability(context, c) for c in characters), 1.0, abs_tol=1e-9)
    assert all(model.probability(context, c) > 0 for c in characters)


def test_unigram_with_a_fixed_discount_is_the_closed_form():
    model = KneserNeyLM(1, discount=0.5).fit("aaab")  # counts a 3, b 1; two characters seen, one unseen slot
    uniform = 1 / 3
    assert model.probability("", "a") == pytest.approx((3 - 0.5) / 4 + 0.5 * 2 / 4 * uniform)
    assert model.probability("", "b") == pytest.approx((1 - 0.5) / 4 + 0.5 * 2 / 4 * uniform)
    assert model.probability("", "z") == pytest.approx(0.5 * 2 / 4 * uniform)


def test_bigram_interpolates_with_continuation_counts():
    """'abab' with D = 0.5: bigrams ab 2, ba 1; unigram continuations: b 1 (after a), a 1 (after b)."""
    model = KneserNeyLM(2, discount=0.5).fit("abab")
    uniform = 1 / 3
    p_b = (1 - 0.5) / 2 + 0.5 * 2 / 2 * uniform  # continuation level: b and a once each
    assert model.probability("", "b") == pytest.approx(p_b)
    assert model.probability("a", "b") == pytest.approx((2 - 0.5) / 2 + 0.5 * 1 / 2 * p_b)
    assert model.probability("x", "b") == pytest.approx(p_b)  # an unseen context passes its mass down


def test_a_character_frequent_after_one_context_gets_a_small_continuation_probability():
    """'z' always follows 'q' and 'y' follows many characters, equally often: the lower order prefers 'y'."""
    text = "qz" * 50 + "".join(f"{c}y" for c in "abcdefghij" * 5)
    model = KneserNeyLM(2).fit(text)
    assert text.count("z") == text.count("y")
    assert model.probability("", "y") > 5 * model.probability("", "z")


def test_longer_contexts_predict_held_out_text_better_and_unseen_text_stays_finite():
    rng = random.Random(0)
    words = "the cat sat on a mat dog ran to big red hat".split()
    train, held_out = (" ".join(rng.choice(words) for _ in range(size)) for size in (3000, 300))
    scores = [KneserNeyLM(n).fit(train).perplexity(held_out) for n in (1, 2, 3)]
    assert scores[0] > 2 * scores[1] > 2 * scores[2] > 2  # spelling is in the context; word order is random
    assert math.isfinite(KneserNeyLM(5).fit(train).perplexity("zebra!"))
    model = KneserNeyLM(3).fit(train)
    assert model.bits_per_character("the mat") == pytest.approx(math.log2(model.perplexity("the mat")))


def test_history_scores_only_the_text_after_it():
    model = KneserNeyLM(4).fit("abcabcabcabd" * 5)
    whole = model.log2_likelihood("abcabc")
    assert model.log2_likelihood("abc", history="abc") == pytest.approx(whole - model.log2_likelihood("abc"))


def test_bad_arguments_and_unfitted_use_are_refused():
    with pytest.raises(ValueError, match="order must be an integer >= 1, got 0"):
        KneserNeyLM(0)
    with pytest.raises(ValueError, match=r"discount must lie in \(0, 1\), got 1.0"):
        KneserNeyLM(3, discount=1.0)
    with pytest.raises(RuntimeError, match=r"not fitted: call fit\(text\) first"):
        KneserNeyLM(3).probability("ab", "c")
    with pytest.raises(ValueError, match="at least 2 characters, got 1"):
        KneserNeyLM(3).fit("a")
    with pytest.raises(ValueError, match="one character, got 'ab'"):
        KneserNeyLM(3).fit("abc").probability("a", "ab")
    with pytest.raises(ValueError, match="cannot score an empty text"):
        KneserNeyLM(3).fit("abc").perplexity("")


def test_token_symbols_count_any_tokens_as_characters():
    import torch

    assert token_symbols(torch.tensor([104, 105, 10])) == "hi\n"
    with pytest.raises(ValueError, match=r"token ids must lie in \[0, 1114111\], got -1..3"):
        token_symbols(torch.tensor([3, -1]))


def test_the_corpus_module_scores_its_own_token_stream_and_beats_the_unigram():
    from lightning_seq.data import TextCorpusDataModule

    dm = TextCorpusDataModule(generated_size=3000)
    direct = KneserNeyLM(5).fit(token_symbols(dm.token_ids("train"))).perplexity(token_symbols(dm.token_ids("val")))
    assert dm.kneser_ney_perplexity("val", order=5) == pytest.approx(direct)
    assert 1 < dm.kneser_ney_perplexity("val", order=5) < dm.kneser_ney_perplexity("val", order=2)
    assert dm.kneser_ney_perplexity("val", order=2) < dm.unigram_perplexity("val")
