import pytest

from lightning_seq.data import CharTokenizer, Vocabulary, WordTokenizer
from lightning_seq.data.text.vocab import PAD_ID, UNK_ID


def test_word_tokenizer_splits_words_and_punctuation():
    assert WordTokenizer()("Not GOOD, isn't it?") == ["not", "good", ",", "isn't", "it", "?"]
    assert WordTokenizer(lowercase=False)("Not GOOD") == ["Not", "GOOD"]
    with pytest.raises(ValueError, match="pattern is not a valid regular expression"):
        WordTokenizer(pattern="(")


def test_char_tokenizer_keeps_spaces():
    assert CharTokenizer()("Ab c") == ["A", "b", " ", "c"]
    assert CharTokenizer(lowercase=True)("Ab") == ["a", "b"]


def test_vocabulary_build_min_freq_max_size_and_encode():
    texts = [["b", "a", "a"], ["c", "a", "b"], ["d"]]
    vocab = Vocabulary.build(texts)
    assert vocab.tokens == ["<pad>", "<unk>", "<bos>", "<eos>", "a", "b", "c", "d"]
    assert Vocabulary.build(texts, min_freq=2).tokens[4:] == ["a", "b"]
    assert Vocabulary.build(texts, max_size=5).tokens[4:] == ["a"]
    assert vocab.encode(["a", "zzz"]) == [4, UNK_ID]
    assert vocab.decode([4, 5]) == ["a", "b"]
    assert vocab.encode(["<pad>"]) == [PAD_ID]
    with pytest.raises(ValueError, match="min_freq must be >= 1, got 0"):
        Vocabulary.build(texts, min_freq=0)


def test_vocabulary_save_load_round_trip(tmp_path):
    vocab = Vocabulary.build([["héllo", "world", " "]])
    vocab.save(tmp_path / "vocab.txt")
    assert Vocabulary.load(tmp_path / "vocab.txt") == vocab
    with pytest.raises(FileNotFoundError, match="vocabulary file not found: .*nope.txt"):
        Vocabulary.load(tmp_path / "nope.txt")
    with pytest.raises(ValueError, match="a vocabulary must start with"):
        Vocabulary(["a", "b"])
