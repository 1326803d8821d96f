"""The wide path inside SequenceClassifier: pre-fitted before training, summed with the recurrent logits, kept."""

import pytest
import pytorch_lightning as pl
import torch

from lightning_seq.data import CharTokenizer, SentimentDataModule
from lightning_seq.nn import LSTMEncoder, WideNgrams
from lightning_seq.tasks import SequenceClassifier
from lightning_seq.tasks.wide_path import MIX_WEIGHTS


def classifier(dm, recurrent=True, lr_scale=1.0, mix="sum", **wide_args):
    return SequenceClassifier(
        num_classes=dm.num_classes, vocab_size=dm.vocab_size, embedding_dim=16,
        encoder=lambda size: LSTMEncoder(size, hidden_size=16, bidirectional=True),
        wide=lambda classes: WideNgrams(classes, num_buckets=2**14, lr_scale=lr_scale, **wide_args),
        recurrent=recurrent, wide_mix=mix,
    )  # fmt: skip


def trainer(tmp_path, **kwargs):
    return pl.Trainer(default_root_dir=tmp_path, logger=False, enable_progress_bar=False, enable_model_summary=False,
                      accelerator="cpu", **kwargs)  # fmt: skip


@pytest.fixture(scope="module")
def data():
    return SentimentDataModule(generated_corpus="long_tail", generated_size=400, tokenizer=CharTokenizer(True))


def test_with_the_recurrent_path_off_the_model_is_the_prefitted_wide_path_alone(tmp_path, data):
    model = classifier(data, recurrent=False, lr_scale=0.0)
    run = trainer(tmp_path, max_epochs=1)
    run.fit(model, datamodule=data)
    assert bool(model.wide.fitted) and model.wide.l2.item() > 0
    data.setup("test")
    texts, targets = model.texts_and_targets(data.test_dataloader())  # the texts the ids spell
    assert len(texts) == len(data.records["test"])
    accuracy = run.test(model, datamodule=data, verbose=False)[0]["test/acc"]
    with torch.no_grad():  # the path alone, outside Lightning (test_wide holds it equal to scikit-learn's fit)
        expected = (model.wide(texts).argmax(-1) == targets).float().mean().item()
    assert accuracy == pytest.approx(expected, abs=1e-6)


def test_wide_and_deep_starts_where_the_wide_path_is(data):
    model = classifier(data)
    model.names_from(data, "data")  # no trainer: the names come from the data directly
    data.setup("fit")
    batch = next(iter(data.train_dataloader()))
    model.eval()
    with torch.no_grad():
        together = model(batch.inputs, batch.lengths)
        wide = model.wide(model.texts_of(batch.inputs, batch.lengths))
    assert torch.equal(together, wide)  # the head's last layer starts at zero


def test_the_wide_path_has_its_own_group_and_is_not_fitted_again_on_resume(tmp_path, data, monkeypatch):
    model = classifier(data, lr_scale=4.0, l2=1e-3)
    run = trainer(tmp_path, max_epochs=1)
    run.fit(model, datamodule=data)
    groups = run.optimizers[0].param_groups
    assert groups[1]["weight_decay"] == 0.0 and groups[1]["lr"] == pytest.approx(4.0 * groups[0]["lr"])
    assert {id(p) for p in groups[1]["params"]} == {id(p) for p in model.wide.parameters()}
    path = tmp_path / "one.ckpt"
    run.save_checkpoint(path)
    calls = []
    monkeypatch.setattr(WideNgrams, "prefit", lambda self, *args, **kwargs: calls.append(1))
    resumed = classifier(data, lr_scale=4.0, l2=1e-3)
    trainer(tmp_path, max_epochs=2).fit(resumed, datamodule=data, ckpt_path=path)
    assert calls == [] and bool(resumed.wide.fitted)
    assert torch.equal(resumed.wide.idf, model.wide.idf)


def test_an_average_is_the_mixture_of_both_paths_probabilities_with_the_weight_chosen_on_validation(tmp_path, data):
    model = classifier(data, mix="average", l2=1e-3)
    run = trainer(tmp_path, max_epochs=2, num_sanity_val_steps=0)
    run.fit(model, datamodule=data)
    assert not any(p.requires_grad for p in model.wide.parameters())  # fixed after its pre-fit
    assert model.head.net[-1].weight.abs().sum() > 0  # the recurrent path trained on its own loss
    texts, targets = model.texts_and_targets(data.val_dataloader())
    batches = list(data.val_dataloader())
    model.eval()
    with torch.no_grad():
        recurrent = torch.cat([model.path_logits(b.inputs, b.lengths)[0] for b in batches]).softmax(-1)
        wide = model.wide(texts).softmax(-1)
        mixed = {w: (1 - w) * recurrent + w * wide for w in MIX_WEIGHTS}
        log_loss = {w: torch.nn.functional.nll_loss(p.log(), targets).item() for w, p in mixed.items()}
        weight = min(log_loss, key=log_loss.get)
        assert model.wide_weight.item() == pytest.approx(weight)
        assert run.callback_metrics["val/wide_weight"].item() == pytest.approx(weight)
        accuracy = (mixed[weight].argmax(-1) == targets).float().mean().item()
        assert run.callback_metrics["val/acc"].item() == pytest.approx(accuracy, abs=1e-6)  # the chosen mixture's
        batch = batches[0]
        expected = mixed[weight][: len(batch.targets)]
        assert torch.allclose(model(batch.inputs, batch.lengths).exp(), expected, atol=1e-5)
    path = tmp_path / "average.ckpt"
    run.save_checkpoint(path)
    restored = classifier(data, mix="average", l2=1e-3)
    restored.load_state_dict(torch.load(path, weights_only=True)["state_dict"])
    assert restored.wide_weight.item() == pytest.approx(weight) and bool(restored.wide.fitted)


def test_settings_that_leave_no_path_or_the_wrong_input_are_refused():
    with pytest.raises(ValueError, match=r"wide_mix='average' mixes two paths: give the wide path \(wide\)"):
        SequenceClassifier(num_classes=3, vocab_size=10, wide_mix="average")
    with pytest.raises(ValueError, match="wide_mix must be 'sum' or 'average', got 'stack'"):
        SequenceClassifier(num_classes=3, vocab_size=10, wide=WideNgrams, wide_mix="stack")
    with pytest.raises(ValueError, match=r"recurrent=False leaves no path: give the wide path \(wide\)"):
        SequenceClassifier(num_classes=3, vocab_size=10, recurrent=False)
    with pytest.raises(ValueError, match=r"wide applies to token inputs \(vocab_size\), not to float features"):
        SequenceClassifier(num_classes=3, feature_size=4, wide=WideNgrams)


def test_export_refuses_a_model_with_a_wide_path_by_name(tmp_path, data):
    from lightning_seq.deploy.export import export

    with pytest.raises(ValueError, match=r"no export for this SequenceClassifier: the wide path \(wide\) counts"):
        export(classifier(data), tmp_path / "model.onnx")
