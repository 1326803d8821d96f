import logging

import pytest
import torch

from lightning_seq.nn import TokenEmbedding

VOCAB = ["<pad>", "<unk>", "<bos>", "<eos>", "good", "Bad", "plot"]


def test_glove_text_file_loads_known_words_and_counts_missing(tmp_path, caplog):
    path = tmp_path / "glove.txt"
    path.write_text("good 1 2 3\nbad 4 5 6\nmovie 7 8 9\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        embedding = TokenEmbedding(len(VOCAB), 3, VOCAB, pretrained=str(path), freeze=True)
    weight = embedding.embedding.weight
    torch.testing.assert_close(weight[4], torch.tensor([1.0, 2.0, 3.0]))
    torch.testing.assert_close(weight[5], torch.tensor([4.0, 5.0, 6.0]))  # "Bad" found as lowercase "bad"
    assert torch.count_nonzero(weight[0]) == 0
    assert embedding.num_missing == 4  # <unk>, <bos>, <eos>, plot
    assert "4 of 6 vocabulary tokens not found" in caplog.text
    assert not weight.requires_grad
    out = embedding(torch.tensor([[4, 0]]))
    assert out.shape == (1, 2, 3)


def test_word2vec_header_is_skipped_and_fine_tuning_keeps_gradients(tmp_path):
    path = tmp_path / "w2v.txt"
    path.write_text("2 2\ngood 0.5 -0.5\nplot 1 1\n", encoding="utf-8")
    embedding = TokenEmbedding(len(VOCAB), 2, VOCAB, pretrained=path, freeze=False)
    torch.testing.assert_close(embedding.embedding.weight[6], torch.tensor([1.0, 1.0]))
    assert embedding.embedding.weight.requires_grad


def test_pretrained_errors_name_file_and_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("good 1 2 3\nplot 1 2\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.txt:2: expected 3 values, found 2"):
        TokenEmbedding(len(VOCAB), 3, VOCAB, pretrained=path)
    path.write_text("good 1 2 3\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"the embedding is 4-dimensional but .*bad.txt holds 3-dimensional vectors"):
        TokenEmbedding(len(VOCAB), 4, VOCAB, pretrained=path)
    with pytest.raises(FileNotFoundError, match="pretrained vectors file not found: .*missing.txt"):
        TokenEmbedding(len(VOCAB), 3, VOCAB, pretrained=tmp_path / "missing.txt")
