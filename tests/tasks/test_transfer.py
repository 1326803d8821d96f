"""ULMFiT: a classifier's embedding and encoder started from a language model fitted on its own training texts."""

import pytest
import pytorch_lightning as pl
import torch

from lightning_seq.data import CharTokenizer, SentimentDataModule, TextCorpusDataModule, WordTokenizer
from lightning_seq.nn import GRUEncoder, LSTMEncoder
from lightning_seq.tasks import LanguageModel, SequenceClassifier
from lightning_seq.types import SPECIALS


def trainer(tmp_path, **kwargs):
    return pl.Trainer(default_root_dir=tmp_path, logger=False, enable_progress_bar=False, enable_model_summary=False,
                      enable_checkpointing=False, accelerator="cpu", **kwargs)  # fmt: skip


@pytest.fixture(scope="module")
def posts():
    data = SentimentDataModule(generated_corpus="long_tail", generated_size=200, tokenizer=CharTokenizer(True))
    data.setup("fit")
    return data


@pytest.fixture(scope="module")
def lm_checkpoint(tmp_path_factory, posts):
    """A 2-layer LSTM language model fitted (a few steps) on the classifier's training texts, no labels."""
    folder = tmp_path_factory.mktemp("lm")
    texts = [record.text for record in posts.records["train"]]
    (folder / "train.txt").write_text("\n".join(texts[:-20]) + "\n", encoding="utf-8")
    (folder / "val.txt").write_text("\n".join(texts[-20:]) + "\n", encoding="utf-8")
    corpus = TextCorpusDataModule(train_path=str(folder / "train.txt"), val_path=str(folder / "val.txt"),
                                  tokenizer=CharTokenizer(True), sequence_length=20, batch_size=8)
    torch.manual_seed(0)
    model = LanguageModel(vocab_size=corpus.vocab_size, embedding_dim=12, tbptt_steps=10,
                          encoder=lambda size: LSTMEncoder(size, hidden_size=16, num_layers=2))
    run = trainer(folder, max_steps=5)
    run.fit(model, datamodule=corpus)
    run.save_checkpoint(folder / "lm.ckpt")
    return folder / "lm.ckpt", model, corpus.vocabulary


def classifier(posts, lm, bidirectional=False, hidden_size=16, cell=LSTMEncoder, **kwargs):
    model = SequenceClassifier(
        num_classes=posts.num_classes, vocab_size=posts.vocab_size, embedding_dim=12, language_model=str(lm),
        encoder=lambda size: cell(size, hidden_size=hidden_size, num_layers=2, bidirectional=bidirectional), **kwargs,
    )  # fmt: skip
    model.set_names(vocabulary=posts.vocabulary, label_names=posts.label_names)
    return model


@pytest.mark.parametrize("bidirectional", [False, True])
def test_the_embedding_rows_and_the_forward_encoder_are_the_language_models(posts, lm_checkpoint, bidirectional):
    path, lm, lm_vocabulary = lm_checkpoint
    model = classifier(posts, path, bidirectional)
    before = model.embedding.embedding.weight.detach().clone()
    model.load_pretrained_embeddings()
    table = model.embedding.embedding.weight.detach()
    lm_index = {token: i for i, token in enumerate(lm_vocabulary)}
    shared = [(i, lm_index[t]) for i, t in enumerate(posts.vocabulary) if t in lm_index]
    assert len(shared) >= len(SPECIALS) + 10
    for ours, theirs in shared:
        assert torch.equal(table[ours], lm.embedding.weight[theirs].detach())
    unknown = [i for i, t in enumerate(posts.vocabulary) if t not in lm_index]  # in val only: left as they were
    assert all(torch.equal(table[i], before[i]) for i in unknown)

    batch = next(iter(posts.train_dataloader()))
    x = model.embedding(batch.inputs)  # (B, T, E)
    model.eval()
    lm.eval()
    with torch.no_grad():
        ours, _ = model.encoder(x, batch.lengths)  # (B, T, D*16)
        theirs, _ = lm.encoder(x, batch.lengths)  # (B, T, 16)
    valid = torch.arange(x.size(1)) < batch.lengths.unsqueeze(1)  # (B, T)
    torch.testing.assert_close(ours[..., :16][valid], theirs[valid], atol=1e-5, rtol=1e-5)


def test_transferred_layers_get_their_own_rate_and_fine_tuning_differs_from_a_cold_start(tmp_path, posts,
                                                                                          lm_checkpoint):
    path, _, _ = lm_checkpoint
    outputs = {}
    for name, lm in (("transfer", path), ("cold", None)):
        torch.manual_seed(0)
        model = classifier(posts, path, True, transfer_lr_scale=0.25)
        if lm is None:
            model.language_model = None  # the same model, built from the same seed, without the transfer
        run = trainer(tmp_path / name, max_epochs=1)
        run.fit(model, datamodule=posts)
        groups = run.optimizers[0].param_groups
        if lm is not None:
            assert len(groups) == 2 and groups[1]["lr"] == pytest.approx(0.25 * groups[0]["lr"])
            transferred = {id(p) for p in (*model.embedding.parameters(), *model.encoder.parameters())}
            assert {id(p) for p in groups[1]["params"]} == transferred
        else:
            assert len(groups) == 1
        batch = next(iter(posts.val_dataloader()))
        model.eval()
        with torch.no_grad():
            outputs[name] = model(batch.inputs, batch.lengths)
    assert not torch.allclose(outputs["transfer"], outputs["cold"], atol=1e-3)


def test_a_mismatched_language_model_is_refused_by_name(tmp_path, posts, lm_checkpoint):
    path, _, _ = lm_checkpoint
    with pytest.raises(ValueError, match=r"has 2 layers of 16 units \(4 gate blocks\), the classifier's LSTMEncoder 2 "
                                         r"of 32 \(4 gate blocks\): give the classifier the language model's encoder"):
        classifier(posts, path, hidden_size=32).load_pretrained_embeddings()
    with pytest.raises(ValueError, match=r"\(3 gate blocks\): give the classifier the language model's encoder"):
        classifier(posts, path, cell=GRUEncoder).load_pretrained_embeddings()
    words = SentimentDataModule(generated_corpus="long_tail", generated_size=200, tokenizer=WordTokenizer())
    with pytest.raises(ValueError, match=r"knows \d+ of the classifier's \d+ tokens: the two were built with different "
                                         r"tokenizers"):
        classifier(words, path).load_pretrained_embeddings()
    other = classifier(posts, path)
    run = trainer(tmp_path, max_steps=1, limit_val_batches=0)
    other.language_model = None
    run.fit(other, datamodule=posts)
    run.save_checkpoint(tmp_path / "classifier.ckpt")
    with pytest.raises(ValueError, match=r"was written by lightning_seq.tasks.classification.SequenceClassifier, not "
                                         r"by lightning_seq.tasks.language_model.LanguageModel"):
        classifier(posts, tmp_path / "classifier.ckpt").load_pretrained_embeddings()
    with pytest.raises(FileNotFoundError, match="language_model: no checkpoint at"):
        classifier(posts, tmp_path / "missing.ckpt").load_pretrained_embeddings()
    with pytest.raises(ValueError, match="replaces pretrained_embeddings: give one of the two"):
        SequenceClassifier(num_classes=2, vocab_size=10, language_model="lm.ckpt", pretrained_embeddings="v.txt")
    with pytest.raises(ValueError, match="transfer_lr_scale must be > 0, got 0.0"):
        SequenceClassifier(num_classes=2, vocab_size=10, transfer_lr_scale=0.0)
