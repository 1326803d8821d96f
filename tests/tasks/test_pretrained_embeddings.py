"""Pretrained embedding files work wherever tokens go in: classifier, seq2seq source and target, language model,
token conditions. The vectors are read before fitting, by the names the data gives, and never over trained weights."""

import functools

import pytest
import pytorch_lightning as pl
import torch

from lightning_seq.data import ParallelTextDataModule
from lightning_seq.data.text.vocab import SPECIALS
from lightning_seq.nn import GRUEncoder, LSTMDecoder, SequenceCondition
from lightning_seq.tasks import LanguageModel, Seq2SeqTask, SequenceClassifier, SequenceGenerator
from tests.conftest import write_csv

PAIRS = [("a b c", "x y"), ("b c", "y z"), ("c a", "z"), ("a a b", "x x y"), ("c", "z y"), ("b", "x")]


def vectors(path, words, dim, offset=0.0):
    """A GloVe-style text file; word i gets the values i + offset + 0.1 * column."""
    table = {w: torch.tensor([i + offset + 0.1 * c for c in range(dim)]) for i, w in enumerate(words, start=1)}
    path.write_text("".join(f"{w} {' '.join(f'{v:.4f}' for v in vec.tolist())}\n" for w, vec in table.items()),
                    encoding="utf-8")
    return str(path), table


def rows_of(table, vocabulary, weight):
    for word, vector in table.items():
        torch.testing.assert_close(weight[vocabulary.index(word)].detach(), vector, atol=1e-4, rtol=0)


def fit(model, data, root, steps):
    trainer = pl.Trainer(accelerator="cpu", max_steps=steps, logger=False, enable_progress_bar=False,
                         enable_model_summary=False, enable_checkpointing=False, default_root_dir=root,
                         num_sanity_val_steps=0, limit_val_batches=0)
    trainer.fit(model, data)
    return trainer


def test_seq2seq_source_and_target_vectors_are_read_before_fitting_and_never_over_a_checkpoint(tmp_path):
    train = write_csv(tmp_path / "train.csv", PAIRS, columns=("source", "target"))
    data = ParallelTextDataModule(train_path=str(train), val_path=str(train), batch_size=3)
    source_file, source = vectors(tmp_path / "src.txt", ["a", "b", "c"], 8)
    target_file, target = vectors(tmp_path / "tgt.txt", ["x", "y", "z"], 6)
    model = Seq2SeqTask(
        vocab_size=data.vocab_size, target_vocab_size=data.target_vocab_size, embedding_dim=8,
        decoder=functools.partial(LSTMDecoder, embedding_dim=6, hidden_size=8, freeze_embedding=True), max_length=4,
        encoder=functools.partial(GRUEncoder, hidden_size=4),
        pretrained_embeddings=source_file, freeze_embeddings=True,
        pretrained_target_embeddings=target_file,
    )
    trainer = fit(model, data, tmp_path, steps=2)
    rows_of(source, data.vocabulary, model.embedding.weight)
    rows_of(target, data.target_vocabulary, model.decoder.embedding.weight)
    assert torch.count_nonzero(model.embedding.weight[0]) == 0  # PAD stays zero
    trainer.save_checkpoint(tmp_path / "model.ckpt")
    # resuming training from the checkpoint with another vectors file: the checkpoint's weights win
    other_file, _ = vectors(tmp_path / "other.txt", ["a", "b", "c"], 8, offset=50.0)
    restored = Seq2SeqTask.load_from_checkpoint(tmp_path / "model.ckpt", weights_only=False,
                                                pretrained_embeddings=other_file)
    fit(restored, data, tmp_path, steps=1)
    rows_of(source, data.vocabulary, restored.embedding.weight)


def test_pretrained_target_embeddings_need_a_decoder_that_embeds_tokens():
    with pytest.raises(ValueError, match="pretrained_target_embeddings need a decoder that embeds the previous token"):
        Seq2SeqTask(vocab_size=8, target_vocab_size=8, decoder=functools.partial(LSTMDecoder, conditioning="input"),
                    pretrained_target_embeddings="v.txt")


@pytest.mark.parametrize("task", ["classifier", "language_model", "token_condition"])
def test_every_token_input_takes_pretrained_vectors(tmp_path, task):
    vocabulary = [*SPECIALS, "good", "bad", "plot"]
    path, table = vectors(tmp_path / "glove.txt", ["good", "bad", "plot"], 5)
    if task == "classifier":
        model = SequenceClassifier(num_classes=2, vocab_size=7, embedding_dim=5, pretrained_embeddings=path)
        table_of = lambda m: m.embedding.embedding.weight  # noqa: E731
    elif task == "language_model":
        model = LanguageModel(vocab_size=7, embedding_dim=5, pretrained_embeddings=path, freeze_embeddings=True)
        table_of = lambda m: m.embedding.weight  # noqa: E731
    else:
        condition = functools.partial(SequenceCondition, tokens=True, embedding_dim=5, pretrained_embeddings=path,
                                      encoder=functools.partial(GRUEncoder, hidden_size=4))
        model = SequenceGenerator(vocab_size=7, target_vocab_size=6, condition=condition)
        table_of = lambda m: m.condition.embedding.weight  # noqa: E731
    with pytest.raises(ValueError, match=r"pretrained embeddings .*glove.txt need the vocabulary to look words up"):
        model.load_pretrained_embeddings()
    model.set_names(vocabulary=vocabulary)
    model.load_pretrained_embeddings()
    rows_of(table, vocabulary, table_of(model))
    assert table_of(model).requires_grad == (task != "language_model")  # only the language model's is frozen
