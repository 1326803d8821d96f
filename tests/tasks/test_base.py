"""Training-loss logging of every task: step values where they are read, an exact weighted epoch mean."""

import csv
import functools
import math

import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.loggers import CSVLogger
from torch.utils.data import DataLoader

from lightning_seq.nn import GRUEncoder
from lightning_seq.tasks import SequenceClassifier
from lightning_seq.types import SequenceBatch


class LossRecorder(pl.Callback):
    def __init__(self):
        self.losses = []

        self.shown = []

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
        self.losses.append((float(outputs["loss"]), batch.lengths.numel()))
        self.shown.append(trainer.progress_bar_metrics.get("train/loss_step"))


def batches(sizes):
    generator = torch.Generator().manual_seed(0)
    out = []
    for size in sizes:
        lengths = torch.randint(1, 6, (size,), generator=generator)
        tokens = torch.randint(4, 30, (size, int(lengths.max())), generator=generator)
        targets = torch.randint(0, 3, (size,), generator=generator)
        out.append(SequenceBatch(tokens, lengths, targets, torch.arange(size)))
    return out


def fit(tmp_path, sizes, **trainer_args):
    torch.manual_seed(0)
    model = SequenceClassifier(
        num_classes=3, vocab_size=30, embedding_dim=4, encoder=functools.partial(GRUEncoder, hidden_size=4)
    )
    recorder = LossRecorder()
    trainer = pl.Trainer(
        accelerator="cpu", max_epochs=1, logger=CSVLogger(tmp_path, name=""), enable_checkpointing=False,
        enable_model_summary=False, callbacks=[recorder], **trainer_args,
    )
    trainer.fit(model, train_dataloaders=DataLoader(batches(sizes), batch_size=None))
    with open(trainer.log_dir + "/metrics.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return recorder, rows


def test_step_loss_is_logged_on_the_logger_steps_only_and_the_epoch_loss_is_the_weighted_mean(tmp_path):
    sizes = [3, 5, 2, 4, 6]
    recorder, rows = fit(tmp_path, sizes, log_every_n_steps=2, enable_progress_bar=False)
    losses = recorder.losses
    steps = {int(r["step"]): float(r["train/loss_step"]) for r in rows if r.get("train/loss_step")}
    assert sorted(steps) == [1, 3]  # (batches stepped + 1) % 2 == 0
    for step, value in steps.items():
        assert value == pytest.approx(losses[step][0], abs=1e-6)
    epoch = [float(r["train/loss_epoch"]) for r in rows if r.get("train/loss_epoch")]
    expected = sum(loss * n for loss, n in losses) / sum(sizes)
    assert len(epoch) == 1 and epoch[0] == pytest.approx(expected, abs=1e-6)
    assert not math.isclose(expected, sum(loss for loss, _ in losses) / len(losses), abs_tol=1e-6)


@pytest.mark.parametrize("progress_bar", [True, False])
def test_the_progress_bar_gets_every_step_loss_and_nothing_is_logged_for_it_without_one(tmp_path, progress_bar):
    recorder, rows = fit(tmp_path, [2, 3, 2, 4], log_every_n_steps=50, enable_progress_bar=progress_bar)
    if progress_bar:
        assert recorder.shown == pytest.approx([loss for loss, _ in recorder.losses], abs=1e-6)
    else:
        assert recorder.shown == [None] * 4
    assert not [r for r in rows if r.get("train/loss_step")]  # the logger writes every 50 steps: none here


def test_checkpoints_of_models_built_in_python_are_plain_data_and_reload(tmp_path):
    torch.manual_seed(0)
    model = SequenceClassifier(
        num_classes=3, vocab_size=30, embedding_dim=4,
        encoder=functools.partial(GRUEncoder, hidden_size=5, bidirectional=True),
        optimizer=functools.partial(torch.optim.SGD, lr=0.1),
    )
    trainer = pl.Trainer(logger=False, enable_progress_bar=False, enable_model_summary=False)
    trainer.strategy.connect(model)
    path = tmp_path / "model.ckpt"
    trainer.save_checkpoint(path)
    checkpoint = torch.load(path, weights_only=True)  # no pickled code: functools.partial became plain data
    assert checkpoint["hyper_parameters"]["encoder"] == {
        "class_path": "lightning_seq.nn.recurrent.GRUEncoder", "init_args": {"hidden_size": 5, "bidirectional": True}
    }
    reloaded = SequenceClassifier.load_from_checkpoint(path)
    assert isinstance(reloaded.encoder, GRUEncoder) and reloaded.encoder.hidden_size == 5
    tokens, lengths = torch.randint(4, 30, (2, 6)), torch.tensor([6, 3])
    torch.testing.assert_close(reloaded.eval()(tokens, lengths), model.eval()(tokens, lengths))
    optimizer = reloaded.configure_optimizers()
    assert isinstance(optimizer, torch.optim.SGD) and optimizer.param_groups[0]["lr"] == 0.1
