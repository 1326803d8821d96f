import collections
import random

import pytest

from lightning_seq.data import SentimentDataModule
from lightning_seq.data.synthetic.sentiment import LABELS, POSITIVE, generate_sentiment_corpus, typo


def test_corpus_is_balanced_without_label_noise_and_reproducible():
    corpus = generate_sentiment_corpus(300, seed=4, label_noise=0.0)
    assert corpus == generate_sentiment_corpus(300, seed=4, label_noise=0.0)
    assert corpus != generate_sentiment_corpus(300, seed=5, label_noise=0.0)
    assert collections.Counter(label for _, label in corpus) == {name: 100 for name in LABELS}


@pytest.mark.parametrize("noise", [0.05, 0.08, 0.2])
def test_label_noise_flips_the_given_share_and_leaves_the_texts_alone(noise):
    clean = generate_sentiment_corpus(3000, seed=1, label_noise=0.0)
    noisy = generate_sentiment_corpus(3000, seed=1, label_noise=noise)
    assert [t for t, _ in clean] == [t for t, _ in noisy]
    flipped = sum(a != b for (_, a), (_, b) in zip(clean, noisy, strict=True))
    assert abs(flipped / 3000 - noise) < 4 * (noise * (1 - noise) / 3000) ** 0.5


def test_typos_change_one_letter_or_elongate():
    rng = random.Random(0)
    changed = [(word, typo(rng, word)) for word in POSITIVE for _ in range(5)]
    assert all(abs(len(new) - len(old)) <= 4 and set(new) <= set(old) for old, new in changed)  # its own letters
    assert sum(new != old for old, new in changed) >= 0.9 * len(changed)  # a swap of equal letters changes nothing


def test_the_vocabulary_is_open_and_noisy():
    dm = SentimentDataModule(generated_size=2000)
    dm.setup("fit")
    dm.setup("test")
    train_words = {w for t, _ in generate_sentiment_corpus(2000, 0) for w in t.split()}
    test_words = {w for t, _ in generate_sentiment_corpus(200, 2) for w in t.split()}
    unseen = test_words - train_words
    assert len(unseen) > 20  # brand names, typos and mentions training never saw
    assert any(w.startswith("@") for w in train_words) and any(w in (":)", ":(", "<3") for w in train_words)
    assert dm.label_names == list(LABELS)
    assert dm.num_classes == 3


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="num_samples must be >= 3, got 2"):
        generate_sentiment_corpus(2, 0)
    with pytest.raises(ValueError, match=r"label_noise must lie in \[0, 1\)"):
        generate_sentiment_corpus(10, 0, label_noise=1.0)
