import functools

import numpy as np
import pytest
import pytorch_lightning as pl

from lightning_seq.callbacks import LearningCurves, judge
from lightning_seq.data import SentimentDataModule
from lightning_seq.nn import GRUEncoder
from lightning_seq.plots import render_learning_curves
from lightning_seq.tasks import SequenceClassifier
from tests.plots.pictures import assert_drawn, pixels, texts


def test_a_metric_that_fell_after_its_best_epoch_is_called_overfitting():
    # the keyword recipe on unseen speakers, as reported: validation accuracy per epoch
    verdict = judge([0.28, 0.38, 0.64, 0.62, 0.51], "val/acc", "max", 0.02)
    assert (verdict.best_epoch, verdict.best, verdict.last, verdict.warning) == (2, 0.64, 0.51, "overfitting")
    assert verdict.line == (
        "best epoch 3 of 5: val/acc 0.64; the last epoch's 0.51 is 0.13 worse than the best: overfitting"
    )
    # a validation loss that rose after its minimum (mode min)
    loss = judge([0.9, 0.65, 0.8, 1.09], "val/loss", "min", 0.02)
    assert (loss.best_epoch, loss.warning) == (1, "overfitting")


def test_a_metric_still_rising_at_the_last_epoch_is_called_undertrained():
    verdict = judge([0.69, 0.85, 0.91, 0.94, 0.96], "val/acc", "max", 0.02)
    assert (verdict.best_epoch, verdict.warning) == (4, "still improving")
    assert verdict.line.endswith("still improving at the last epoch: more epochs (max_epochs) would probably help")


def test_a_settled_metric_gets_no_warning():
    assert judge([0.5, 0.9, 0.95, 0.951, 0.949], "val/acc", "max", 0.02).warning is None  # within the tolerance
    assert judge([0.7], "val/acc", "max", 0.02).warning is None  # one epoch: nothing to compare
    assert judge([0.5, 0.4, 0.4], "val/loss", "min", 0.02).best_epoch == 1  # the first of equal bests
    with pytest.raises(ValueError, match="no values of 'val/acc' were logged"):
        judge([], "val/acc", "max", 0.02)


def test_invalid_arguments():
    with pytest.raises(ValueError, match="mode must be 'min' or 'max', got 'up'"):
        LearningCurves(mode="up")
    with pytest.raises(ValueError, match=r"tolerance must lie in \[0, 1\), got 1.5"):
        LearningCurves(tolerance=1.5)


def tiny_classifier() -> tuple[SequenceClassifier, SentimentDataModule]:
    pl.seed_everything(0)
    data = SentimentDataModule(generated_size=120, batch_size=16)
    model = SequenceClassifier(num_classes=data.num_classes, vocab_size=data.vocab_size, embedding_dim=8,
                               encoder=functools.partial(GRUEncoder, hidden_size=8))
    return model, data


def test_after_fit_the_curves_are_drawn_and_the_verdict_matches_the_logged_history(tmp_path, capsys):
    model, data = tiny_classifier()
    curves = LearningCurves(monitor="val/acc", mode="max")
    trainer = pl.Trainer(accelerator="cpu", max_epochs=3, default_root_dir=tmp_path, enable_progress_bar=False,
                         enable_model_summary=False, enable_checkpointing=False, callbacks=[curves],
                         logger=pl.loggers.CSVLogger(tmp_path, name=""))
    trainer.fit(model, data)
    history = curves.history
    assert [len(history[k]) for k in ("train/loss_epoch", "val/loss", "val/acc")] == [3, 3, 3]
    assert history["val/acc"][-1] == pytest.approx(float(trainer.callback_metrics["val/acc"]))
    assert history["train/loss_epoch"][-1] == pytest.approx(float(trainer.callback_metrics["train/loss_epoch"]))
    assert history["train/loss_epoch"][0] != history["train/loss_epoch"][-1]  # one value per epoch, not repeated
    assert curves.verdict == judge(history["val/acc"], "val/acc", "max", 0.02)
    assert curves.verdict.line in capsys.readouterr().out
    # the PNG is the figure of the logged history: losses on a log axis, the accuracy linear, epoch ticks, legends
    picture = assert_drawn(tmp_path / "version_0" / "learning_curves.png", 1000, 420)
    figure = render_learning_curves({k: history[k] for k in ("train/loss_epoch", "val/loss")}, "val/acc",
                                    history["val/acc"], curves.verdict.best_epoch, metric_log_scale=False)
    assert np.array_equal(picture, pixels(figure))
    assert {"losses", "val/acc", "train/loss_epoch", "val/loss", f"best epoch ({curves.verdict.best_epoch + 1})",
            "epoch"} <= set(texts(figure))
    assert [axes.get_yscale() for axes in figure.axes] == ["log", "linear"]


def test_a_run_ended_by_early_stopping_says_so_once(tmp_path, capsys):
    model, data = tiny_classifier()
    curves = LearningCurves(monitor="val/loss", mode="min")
    # an improvement must exceed 100 to count, so the run stops after patience=1 epoch without one
    stop = pl.callbacks.EarlyStopping(monitor="val/loss", mode="min", patience=1, min_delta=100.0)
    trainer = pl.Trainer(accelerator="cpu", max_epochs=5, default_root_dir=tmp_path, enable_progress_bar=False,
                         enable_model_summary=False, enable_checkpointing=False, callbacks=[stop, curves],
                         logger=False)
    trainer.fit(model, data)
    assert trainer.current_epoch == 2 and len(curves.history["val/loss"]) == 2
    out = capsys.readouterr()
    line = curves.verdict.line + " (early stopping ended the run at epoch 2; the best checkpoint holds the best)"
    assert out.out.count(line) == 1 and line not in out.err
