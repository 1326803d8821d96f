import functools

import pytest
import pytorch_lightning as pl
import torch

from lightning_seq.data import SentimentDataModule
from lightning_seq.nn import GRUEncoder, LSTMEncoder, RNNEncoder
from lightning_seq.tasks import SequenceClassifier


def small_model(**overrides):
    kwargs = dict(
        num_classes=3,
        vocab_size=20,
        embedding_dim=8,
        encoder=functools.partial(LSTMEncoder, hidden_size=6, num_layers=2, bidirectional=True),
    )
    kwargs.update(overrides)
    return SequenceClassifier(**kwargs)


@pytest.mark.parametrize("pooling", ["last", "mean", "max", "attention"])
@pytest.mark.parametrize("merge", ["concat", "sum", "mean"])
def test_token_inputs_give_logits_independent_of_padding(pooling, merge):
    torch.manual_seed(0)
    model = small_model(pooling=pooling, direction_merge=merge, head_hidden_sizes=[5]).eval()
    tokens = torch.randint(1, 20, (3, 9))
    lengths = torch.tensor([9, 4, 1])
    logits = model(tokens, lengths)
    assert logits.shape == (3, 3)
    for row, length in enumerate(lengths.tolist()):
        alone = model(tokens[row : row + 1, :length], lengths[row : row + 1])
        torch.testing.assert_close(logits[row], alone[0])


@pytest.mark.parametrize("encoder_cls", [RNNEncoder, GRUEncoder, LSTMEncoder])
def test_float_feature_inputs(encoder_cls):
    model = SequenceClassifier(num_classes=4, feature_size=7, encoder=functools.partial(encoder_cls, hidden_size=5))
    assert model.embedding is None and model.encoder.input_size == 7
    assert model(torch.randn(2, 6, 7), torch.tensor([6, 2])).shape == (2, 4)


def test_loss_options_change_the_loss():
    torch.manual_seed(0)
    logits = torch.randn(4, 3)
    targets = torch.tensor([0, 1, 2, 2])
    plain = small_model()._loss(logits, targets)
    torch.testing.assert_close(plain.value, torch.nn.functional.cross_entropy(logits, targets))
    assert float(plain.count) == 4  # a mean over rows
    weighted = small_model(class_weights=[1.0, 1.0, 3.0])._loss(logits, targets)
    expected = torch.nn.functional.cross_entropy(logits, targets, weight=torch.tensor([1.0, 1.0, 3.0]))
    torch.testing.assert_close(weighted.value, expected)
    assert float(weighted.count) == 1 + 1 + 3 + 3  # a mean over the targets' weights: its own denominator
    summed = torch.nn.functional.cross_entropy(logits, targets, weight=torch.tensor([1.0, 1.0, 3.0]), reduction="sum")
    torch.testing.assert_close(weighted.value * weighted.count, summed)
    smoothed = small_model(label_smoothing=0.2, class_weights=[1.0, 2.0, 3.0])._loss(logits, targets)
    summed = torch.nn.functional.cross_entropy(logits, targets, weight=torch.tensor([1.0, 2.0, 3.0]),
                                               label_smoothing=0.2, reduction="sum")
    torch.testing.assert_close(smoothed.value * smoothed.count, summed)  # smoothing keeps the same denominator


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"num_classes": None}, "num_classes must be >= 2"),
        ({"feature_size": 4}, "give exactly one of vocab_size"),
        ({"vocab_size": None}, "give exactly one of vocab_size"),
        ({"class_weights": [1.0]}, "class_weights needs 3 non-negative values"),
        ({"label_smoothing": 1.0}, r"label_smoothing must lie in \[0, 1\)"),
        ({"encoder": functools.partial(LSTMEncoder, hidden_size=-3)}, "hidden_size must be an integer >= 1, got -3"),
        ({"unknown_word_dropout": 1.0}, r"unknown_word_dropout must lie in \[0, 1\), got 1.0"),
        ({"ngram_buckets": -1}, "ngram_buckets must be >= 0 \\(0: no n-gram bag\\), got -1"),
        ({"ngram_buckets": 10, "ngram_order": 5}, "max_order must lie in 1..4, got 5"),
        ({"vocab_size": None, "feature_size": 4, "ngram_buckets": 10}, "apply to token inputs"),
        ({"vocab_size": None, "feature_size": 4, "unknown_word_dropout": 0.1}, "apply to token inputs"),
    ],
)
def test_invalid_arguments_name_the_argument(overrides, message):
    with pytest.raises(ValueError, match=message):
        small_model(**overrides)


def test_names_must_fit_the_sizes_the_model_was_built_for():
    model = small_model()
    with pytest.raises(ValueError, match="the data's label_names has 1 entries, but the model was built for 3"):
        model.set_names(label_names=["a"])
    with pytest.raises(ValueError, match="the data's vocabulary has 1 entries, but the model was built for 20"):
        model.set_names(vocabulary=["<pad>"])
    model.set_names(label_names=["a", "b", "c"])
    with pytest.raises(ValueError, match=r"the data's label_names \(3 entries\) does not match the model's \(3 "
                       r"entries\): first difference at index 1: 'x' in the data vs 'b' in the model"):
        model.set_names(label_names=["a", "x", "c"])
    assert model.label_names == ["a", "b", "c"] and "label_names" not in model.hparams


def test_predict_step_returns_ids_names_probabilities():
    model = small_model().eval()
    assert model.class_names() == ["0", "1", "2"]  # no names known yet: the ids
    model.set_names(label_names=["a", "b", "c"])
    from lightning_seq.types import SequenceBatch

    batch = SequenceBatch(
        torch.randint(1, 20, (2, 5)), torch.tensor([5, 3]), torch.tensor([-1, -1]), torch.tensor([7, 8])
    )
    out = model.predict_step(batch, 0)
    torch.testing.assert_close(out.probabilities.sum(1), torch.ones(2))
    assert out.label_ids.tolist() == out.probabilities.argmax(1).tolist()
    assert out.label_names == [["a", "b", "c"][i] for i in out.label_ids.tolist()]
    rows = out.to_rows()
    assert [r["index"] for r in rows] == [7, 8] and set(rows[0]["probabilities"]) == {"a", "b", "c"}


def fit_tiny(tmp_path, dm, **overrides):
    model = SequenceClassifier(
        num_classes=dm.num_classes,
        vocab_size=dm.vocab_size,
        embedding_dim=8,
        encoder=functools.partial(GRUEncoder, hidden_size=8),
        **overrides,
    )
    trainer = pl.Trainer(
        max_epochs=1,
        default_root_dir=tmp_path,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
    )
    trainer.fit(model, dm)
    trainer.save_checkpoint(tmp_path / "model.ckpt")
    return model, trainer


def test_checkpoint_reload_gives_identical_outputs_and_keeps_vocabulary(tmp_path):
    dm = SentimentDataModule(generated_size=60, batch_size=16)
    model, _ = fit_tiny(tmp_path, dm)
    # Built in Python, the hparams hold a functools.partial: a trusted-file load. (CLI checkpoints hold plain
    # config data and load with weights_only=True, see tests/test_cli.py.)
    restored = SequenceClassifier.load_from_checkpoint(tmp_path / "model.ckpt", weights_only=False)
    assert restored.vocabulary == dm.vocabulary and restored.label_names == ["negative", "neutral", "positive"]
    batch = next(iter(dm.val_dataloader()))
    model.eval()
    restored.eval()
    torch.testing.assert_close(model(batch.inputs, batch.lengths), restored(batch.inputs, batch.lengths))


def test_checkpoint_with_other_vocabulary_is_refused(tmp_path):
    dm = SentimentDataModule(generated_size=60, batch_size=16)
    fit_tiny(tmp_path, dm)
    other = SentimentDataModule(generated_size=60, batch_size=16, seed=9)
    assert other.vocabulary != dm.vocabulary
    model = SequenceClassifier(
        num_classes=other.num_classes,
        vocab_size=other.vocab_size,
        embedding_dim=8,
        encoder=functools.partial(GRUEncoder, hidden_size=8),
    )
    trainer = pl.Trainer(logger=False, enable_progress_bar=False, accelerator="cpu")
    with pytest.raises(ValueError, match=r"the checkpoint's vocabulary \(\d+ entries\) does not match the data's"):
        trainer.test(model, other, ckpt_path=tmp_path / "model.ckpt", weights_only=False)


def test_conv_frontend_on_image_rows():
    from lightning_seq.nn import ConvFrontEnd

    torch.manual_seed(0)
    model = SequenceClassifier(
        num_classes=10,
        feature_size=28,
        frontend=functools.partial(ConvFrontEnd, channels=[4], time_reduction=2),
        encoder=functools.partial(GRUEncoder, hidden_size=8),
    ).eval()
    assert model.encoder.input_size == 4 * 14
    x = torch.randn(2, 28, 28)
    lengths = torch.tensor([28, 9])
    logits = model(x, lengths)
    torch.testing.assert_close(logits[1], model(x[1:, :9], lengths[1:])[0])
    with pytest.raises(ValueError, match="frontend applies to float features"):
        small_model(frontend=functools.partial(ConvFrontEnd, channels=[4]))


def test_unknown_word_dropout_replaces_that_share_of_tokens_in_training_only():
    torch.manual_seed(0)
    model = small_model(vocab_size=50, unknown_word_dropout=0.25)
    seen = []
    model.embedding.register_forward_hook(lambda module, args, out: seen.append(args[0].clone()))
    tokens = torch.randint(4, 50, (64, 40))
    lengths = torch.randint(1, 41, (64,))
    tokens[torch.arange(40) >= lengths[:, None]] = 0  # PAD
    model.train()(tokens, lengths)
    model.eval()(tokens, lengths)
    trained, evaluated = seen
    valid = tokens != 0
    replaced = (trained != tokens) & valid
    assert torch.equal(evaluated, tokens)  # evaluation reads every word
    assert torch.all(trained[replaced] == 1)  # <unk>
    assert torch.equal(trained[~valid], tokens[~valid])  # padding stays padding
    share = replaced.sum().item() / valid.sum().item()
    assert abs(share - 0.25) < 0.03, share


@pytest.mark.parametrize("order", [1, 2, 3])
def test_ngram_bag_joins_the_pooled_vector_and_padding_never_matters(order):
    torch.manual_seed(0)
    model = small_model(ngram_buckets=97, ngram_dim=5, ngram_order=order, pooling="max").eval()
    assert model.head.net[-1].in_features == 12 + 5  # BiLSTM-6 concat + bag
    tokens = torch.randint(1, 20, (4, 7))
    lengths = torch.tensor([7, 3, 2, 1])
    logits = model(tokens, lengths)
    for row, length in enumerate(lengths.tolist()):
        alone = tokens[row : row + 1, :length]
        torch.testing.assert_close(logits[row], model(alone, lengths[row : row + 1])[0])
        padded = torch.cat([alone, torch.randint(1, 20, (1, 7 - length))], dim=1)  # any ids in the padding
        torch.testing.assert_close(logits[row], model(padded, lengths[row : row + 1])[0])
