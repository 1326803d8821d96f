"""Hashed word and character n-gram counts, and turning tokens back into the text they stand for."""

import os
import subprocess
import sys

import pytest
from sklearn.feature_extraction.text import CountVectorizer

from lightning_seq.nn.hashed_ngrams import HashedNgrams, token_kind, tokens_to_text

TEXTS = ["The cat sat on the mat.", "a", "Don't stop: re-use it, re-use it!", "x y", "ünïcode wörds here"]


@pytest.mark.parametrize(
    ("tokens", "kind", "text"),
    [
        (list("hi there"), "characters", "hi there"),
        (["hi", "there", "!"], "words", "hi there !"),
        (["a", "b", "c"], "words", "a b c"),  # words of one letter each: still words, as their vocabulary says
        (["\u2581hi", "\u2581the", "re"], "pieces", "hi there"),
        (["h", "<unk>", "i", "<pad>"], "characters", "h\ufffdi"),
        (["<bos>", "hi", "there", "<eos>"], "words", "hi there"),
    ],
)
def test_tokens_become_the_text_they_stand_for(tokens, kind, text):
    assert tokens_to_text(tokens, kind) == text


@pytest.mark.parametrize(
    ("vocabulary", "kind"),
    [
        (["<pad>", "<unk>", "<bos>", "<eos>", "a", "b", " "], "characters"),
        (["<pad>", "<unk>", "<bos>", "<eos>", "a", "I", "cat"], "words"),
        (["<pad>", "<unk>", "<bos>", "<eos>", "\u2581the", "re", "s"], "pieces"),
    ],
)
def test_the_token_kind_is_decided_by_the_whole_vocabulary(vocabulary, kind):
    assert token_kind(vocabulary) == kind


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("word_order", [1, 2, 3])
def test_word_counts_match_scikit_learn_counts_before_hashing(text, word_order):
    ngrams = HashedNgrams(num_buckets=2**30, word_order=word_order, char_orders=(0, 0))
    (words,) = ngrams(text)
    reference = CountVectorizer(token_pattern=r"\w+", ngram_range=(1, word_order)).fit([text])
    expected = {ngrams.bucket("w", len(g.split()), g): c for g, c in zip(
        reference.get_feature_names_out(), reference.transform([text]).toarray()[0], strict=True)}
    assert dict(words) == expected


@pytest.mark.parametrize("text", ["The cat sat", "ab", "hello, world"])
@pytest.mark.parametrize("orders", [(1, 1), (2, 5), (3, 3)])
def test_character_counts_are_those_within_space_padded_words(text, orders):
    ngrams = HashedNgrams(num_buckets=2**30, word_order=0, char_orders=orders)
    (chars,) = ngrams(text)
    expected: dict[int, int] = {}
    for word in text.lower().replace(",", " ").split():
        padded = f" {word} "
        for n in range(orders[0], min(orders[1], len(padded)) + 1):
            for i in range(len(padded) - n + 1):
                key = ngrams.bucket("c", n, padded[i : i + n])
                expected[key] = expected.get(key, 0) + 1
    assert dict(chars) == expected


def test_buckets_are_the_same_in_every_process():
    code = "from lightning_seq.nn.hashed_ngrams import HashedNgrams; print(HashedNgrams().bucket('w', 1, 'cat'))"
    other = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": "1"},
                           capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    assert other == str(HashedNgrams().bucket("w", 1, "cat")) == "235350"  # CRC-32, not Python's salted hash()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_buckets": 1}, "num_buckets must be >= 2, got 1"),
        ({"word_order": 5}, "word_order must lie in 0..4, got 5"),
        ({"char_orders": (3, 2)}, r"char_orders must be \(shortest, longest\) within 1..8, or \(0, 0\); got \(3, 2\)"),
        ({"char_orders": (1,)}, r"char_orders must be"),
        ({"word_order": 0, "char_orders": (0, 0)}, r"leave no n-gram to count"),
    ],
)
def test_bad_settings_are_refused_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        HashedNgrams(**kwargs)
