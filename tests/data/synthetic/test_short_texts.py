import collections
import random
import re

import pytest

from lightning_seq.data import SentimentDataModule
from lightning_seq.data.synthetic.short_texts import (
    LABELS,
    NEGATIVE_STEMS,
    POSITIVE_STEMS,
    generate_short_text_corpus,
    hapax_share,
    misspell,
)


def test_corpus_is_balanced_without_label_noise_and_reproducible():
    corpus = generate_short_text_corpus(300, seed=4, label_noise=0.0)
    assert corpus == generate_short_text_corpus(300, seed=4, label_noise=0.0)
    assert corpus != generate_short_text_corpus(300, seed=5, label_noise=0.0)
    assert collections.Counter(label for _, label in corpus) == {name: 100 for name in LABELS}


@pytest.mark.parametrize("noise", [0.05, 0.08, 0.2])
def test_label_noise_flips_the_given_share_and_leaves_the_texts_alone(noise):
    clean = generate_short_text_corpus(3000, seed=1, label_noise=0.0)
    noisy = generate_short_text_corpus(3000, seed=1, label_noise=noise)
    assert [t for t, _ in clean] == [t for t, _ in noisy]
    flipped = sum(a != b for (_, a), (_, b) in zip(clean, noisy, strict=True))
    assert abs(flipped / 3000 - noise) < 4 * (noise * (1 - noise) / 3000) ** 0.5


@pytest.mark.parametrize("size", [1000, 2000, 4000, 8000, 16000])
def test_most_word_types_of_a_training_split_occur_once_at_every_size(size):
    # real tweets: about 70% of the whitespace-separated types of 30k posts occur once (README: 0.74 at 8,000)
    share = hapax_share([text for text, _ in generate_short_text_corpus(size, seed=0)])
    assert 0.65 <= share <= 0.85, (size, share)


def test_hapax_share_counts_types_seen_once():
    assert hapax_share(["a b a", "c"]) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="at least one word"):
        hapax_share(["", " "])


def test_cues_decide_polar_posts_and_many_cue_tokens_are_rare_forms():
    corpus = generate_short_text_corpus(3000, seed=2, label_noise=0.0)
    stems = {1: set(POSITIVE_STEMS), -1: set(NEGATIVE_STEMS)}
    plain = collections.Counter()
    for text, label in corpus:
        if label == "neutral":
            continue
        side = 1 if label == "positive" else -1
        words = text.split()
        plain[side] += any(w in stems[side] for w in words)
    # a plain stem of the post's side appears in most polar posts, but not all: the rest carry misspelt,
    # elongated, hashtag or slang forms (or a negated opposite) that a word-level model must have seen
    assert 0.6 < plain[1] / 1000 < 0.97 and 0.6 < plain[-1] / 1000 < 0.97, plain


def test_misspell_changes_one_letter_of_longer_words():
    rng = random.Random(0)
    changed = [(w, misspell(rng, w)) for w in POSITIVE_STEMS for _ in range(3)]
    assert all(abs(len(new) - len(old)) <= 1 for old, new in changed)
    assert sum(new != old for old, new in changed) >= 0.85 * len(changed)
    assert misspell(rng, "ok") == "ok"


def test_data_module_generates_the_long_tail_corpus_on_request():
    dm = SentimentDataModule(generated_size=200, generated_corpus="long_tail", seed=0)
    assert dm.records["train"][0].text == generate_short_text_corpus(200, 0)[0][0]
    assert dm.label_names == list(LABELS)
    with pytest.raises(
        ValueError,
        match=re.escape(
            "generated_corpus must be one of ['word_order', 'long_tail', 'docstring_topics'], got 'tweets'"
        ),
    ):
        SentimentDataModule(generated_size=200, generated_corpus="tweets")


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="num_samples must be >= 3, got 2"):
        generate_short_text_corpus(2, 0)
    with pytest.raises(ValueError, match=r"label_noise must lie in \[0, 1\)"):
        generate_short_text_corpus(10, 0, label_noise=1.0)
