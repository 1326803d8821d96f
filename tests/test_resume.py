"""Exact resumption: a run stopped mid-epoch and resumed from its checkpoint equals an uninterrupted run."""

import functools
import warnings

import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import ModelCheckpoint

from lightning_seq.data import SentimentDataModule, TextCorpusDataModule
from lightning_seq.nn import GRUEncoder, LSTMEncoder
from lightning_seq.tasks import LanguageModel, SequenceClassifier


class SeenBatches(pl.Callback):
    """Records each training batch's epoch and what identifies it (sample indices, or first column of tokens)."""

    def __init__(self):
        self.seen = []
        self.epoch_losses = {}  # the previous epoch's train/loss_epoch, read when the next epoch starts

    def on_train_batch_start(self, trainer, module, batch, batch_idx):
        key = batch.inputs[:, 0].tolist() if isinstance(module, LanguageModel) else batch.indices.tolist()
        self.seen.append((trainer.current_epoch, key))
        previous = trainer.callback_metrics.get("train/loss_epoch")  # absent right after resuming at an epoch end
        if batch_idx == 0 and trainer.current_epoch > 0 and previous is not None:
            self.epoch_losses[trainer.current_epoch - 1] = previous.clone()


class EpochStartOnRestart(pl.Callback):
    """Runs the module's ``on_train_epoch_start`` when training starts, as Lightning versions that call it on a
    mid-epoch restart do (2.6 does not): the resumed state must survive it."""

    def on_train_start(self, trainer, module):
        module.on_train_epoch_start()


def train(tmp_path, model, data, max_epochs, max_steps, ckpt_path, checkpoint_every, replay=False):
    """Fit with a checkpoint every ``checkpoint_every`` steps; a non-resumable loader would warn (an error here)."""
    seen = SeenBatches()
    callbacks = [seen, EpochStartOnRestart()] if replay else [seen]
    if checkpoint_every is not None:
        callbacks.append(ModelCheckpoint(dirpath=tmp_path, every_n_train_steps=checkpoint_every, save_last=True))
    trainer = pl.Trainer(
        accelerator="cpu", max_epochs=max_epochs, max_steps=max_steps, logger=False, default_root_dir=tmp_path,
        enable_progress_bar=False,
        enable_model_summary=False, enable_checkpointing=checkpoint_every is not None, callbacks=callbacks,
        num_sanity_val_steps=0, limit_val_batches=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", category=pl.utilities.warnings.PossibleUserWarning)
        warnings.filterwarnings("ignore", ".*does not have many workers.*")
        warnings.filterwarnings("ignore", ".*log_every_n_steps.*")
        trainer.fit(model, datamodule=data, ckpt_path=ckpt_path)
    trainer.epoch_losses = seen.epoch_losses
    return model, seen.seen, trainer


def fit(tmp_path, max_epochs=None, max_steps=-1, ckpt_path=None, checkpoint_every=None, replay=False):
    torch.manual_seed(0)
    data = SentimentDataModule(generated_size=200, batch_size=16, seed=3)
    model = SequenceClassifier(
        num_classes=data.num_classes, vocab_size=data.vocab_size, embedding_dim=8,
        encoder=functools.partial(GRUEncoder, hidden_size=8, bidirectional=True),
    )
    return train(tmp_path, model, data, max_epochs, max_steps, ckpt_path, checkpoint_every, replay)


@pytest.mark.parametrize("replay", [False, True], ids=["lightning_2_6", "epoch_start_on_restart"])
def test_resume_mid_epoch_continues_with_the_unseen_batches_and_ends_with_the_same_weights(tmp_path, replay):
    straight, straight_seen, trainer = fit(tmp_path / "a", max_epochs=2)
    steps_per_epoch = trainer.num_training_batches
    assert steps_per_epoch == 13 and len(straight_seen) == 26  # 200 samples in batches of 16
    stop = 5
    _, first_seen, _ = fit(tmp_path / "b", max_steps=stop, checkpoint_every=stop)
    resumed, resumed_seen, resumed_trainer = fit(
        tmp_path / "b", max_epochs=2, ckpt_path=str(tmp_path / "b/last.ckpt"), replay=replay
    )
    assert first_seen + resumed_seen == straight_seen  # no batch repeated, none lost, same order
    assert resumed_trainer.global_step == 26
    # the interrupted epoch's mean training loss covers the batches before the stop too
    torch.testing.assert_close(resumed_trainer.epoch_losses[0], trainer.epoch_losses[0], rtol=0, atol=1e-7)
    for name, value in straight.state_dict().items():
        torch.testing.assert_close(resumed.state_dict()[name], value, rtol=0, atol=0, msg=name)


def test_resume_from_an_epoch_end_checkpoint_starts_the_next_epoch_whole(tmp_path):
    _, straight_seen, _ = fit(tmp_path / "a", max_epochs=2)
    _, first_seen, _ = fit(tmp_path / "b", max_steps=13, checkpoint_every=13)
    _, resumed_seen, _ = fit(tmp_path / "b", max_epochs=2, ckpt_path=str(tmp_path / "b/last.ckpt"))
    assert len(first_seen) == 13 and first_seen + resumed_seen == straight_seen


def fit_lm(tmp_path, max_epochs=None, max_steps=-1, ckpt_path=None, checkpoint_every=None, replay=False):
    torch.manual_seed(0)
    data = TextCorpusDataModule(generated_size=300, batch_size=4, sequence_length=20)
    model = LanguageModel(
        vocab_size=data.vocab_size, embedding_dim=8, tbptt_steps=10,
        encoder=functools.partial(LSTMEncoder, hidden_size=8),
    )
    return train(tmp_path, model, data, max_epochs, max_steps, ckpt_path, checkpoint_every, replay)


@pytest.mark.parametrize("replay", [False, True], ids=["lightning_2_6", "epoch_start_on_restart"])
def test_language_model_resumes_mid_epoch_with_its_windows_and_carried_state(tmp_path, replay):
    straight, straight_seen, trainer = fit_lm(tmp_path / "a", max_epochs=2)
    assert trainer.num_training_batches >= 6
    stop = 2 * 3  # TBPTT: two optimizer steps per window, so global step 6 is after window 3
    _, first_seen, _ = fit_lm(tmp_path / "b", max_steps=stop, checkpoint_every=stop)
    resumed, resumed_seen, _ = fit_lm(
        tmp_path / "b", max_epochs=2, ckpt_path=str(tmp_path / "b/last.ckpt"), replay=replay
    )
    assert len(first_seen) == 3 and first_seen + resumed_seen == straight_seen
    for name, value in straight.state_dict().items():
        torch.testing.assert_close(resumed.state_dict()[name], value, rtol=0, atol=0, msg=name)


def test_cli_fit_resumes_from_last_checkpoint_like_an_uninterrupted_run(tmp_path, monkeypatch):
    """The recipe's own checkpoint (saved at a mid-epoch validation) and ``fit --ckpt_path``, dropout included:
    the random-number state travels in the checkpoint."""
    from pathlib import Path

    from lightning_seq.cli import run

    recipe = str(Path(__file__).resolve().parents[1] / "recipes" / "sentiment_bilstm.yaml")
    common = ["--config", recipe, "--data.init_args.generated_size=200", "--data.init_args.batch_size=16",
              "--trainer.val_check_interval=5", "--trainer.enable_progress_bar=false",
              "--trainer.enable_model_summary=false"]
    for name in ("straight", "resumed"):
        (tmp_path / name).mkdir()
    monkeypatch.chdir(tmp_path / "straight")
    straight = run(["fit", *common, "--trainer.max_epochs=2"])
    monkeypatch.chdir(tmp_path / "resumed")
    run(["fit", *common, "--trainer.max_steps=5"])
    last = tmp_path / "resumed/runs/sentiment_bilstm/checkpoints/last.ckpt"
    assert torch.load(last, weights_only=True)["global_step"] == 5
    resumed = run(["fit", *common, "--trainer.max_epochs=2", "--ckpt_path", str(last)])
    assert resumed.trainer.global_step == straight.trainer.global_step
    for name, value in straight.model.state_dict().items():
        torch.testing.assert_close(resumed.model.state_dict()[name], value, rtol=0, atol=1e-6, msg=name)
