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


def token_tables(freeze):
    """Every place that embeds token ids, built with ``freeze``: (name, its table)."""
    from lightning_seq.nn import LSTMEncoder, SequenceCondition
    from lightning_seq.nn.decoder import LSTMDecoder
    from lightning_seq.tasks import LanguageModel, Seq2SeqTask, SequenceClassifier

    encoder = lambda size: LSTMEncoder(size, 8)  # noqa: E731
    return [
        ("TokenEmbedding", TokenEmbedding(12, 4, freeze=freeze).embedding),
        ("SequenceClassifier", SequenceClassifier(vocab_size=12, num_classes=2, embedding_dim=4, encoder=encoder,
                                                  freeze_embeddings=freeze).embedding.embedding),
        ("LanguageModel", LanguageModel(vocab_size=12, embedding_dim=4, encoder=encoder,
                                        freeze_embeddings=freeze).embedding),
        ("Seq2SeqTask", Seq2SeqTask(vocab_size=12, target_vocab_size=9, embedding_dim=4,
                                    freeze_embeddings=freeze).embedding),
        ("decoder", LSTMDecoder(9, 8, hidden_size=8, embedding_dim=4, conditioning="input_and_prev",
                                freeze_embedding=freeze).embedding),
        ("SequenceCondition", SequenceCondition(12, tokens=True, embedding_dim=4, freeze_embeddings=freeze).embedding),
    ]


@pytest.mark.parametrize("freeze", [False, True])
def test_every_token_table_is_built_one_way_pad_row_zero_and_untrained(freeze):
    for name, table in token_tables(freeze):
        assert isinstance(table, torch.nn.Embedding) and table.padding_idx == 0, name
        assert torch.count_nonzero(table.weight[0]) == 0, name
        assert table.weight.requires_grad is not freeze, name
        if not freeze:
            table(torch.tensor([[0, 1, 2, 0]])).sum().backward()
            assert torch.count_nonzero(table.weight.grad[0]) == 0 and torch.count_nonzero(table.weight.grad[1]), name
