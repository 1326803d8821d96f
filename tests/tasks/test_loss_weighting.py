"""Epoch losses are means over what each loss is a mean over: target tokens for seq2seq, the targets' class weights
for a weighted classifier. Checked against the loss recomputed over the whole split at once (batching cannot
matter), with a learning rate of 0 so the weights the epoch saw are the weights checked."""

import functools

import pytest
import pytorch_lightning as pl
import torch
import torch.nn.functional as F

from lightning_seq.data import ParallelTextDataModule, SentimentDataModule
from lightning_seq.nn import GRUEncoder, LSTMDecoder
from lightning_seq.tasks import Seq2SeqTask, SequenceClassifier
from lightning_seq.types import PAD_ID

FROZEN = functools.partial(torch.optim.SGD, lr=0.0)


def fit_one_epoch(model, dm, folder):
    trainer = pl.Trainer(accelerator="cpu", max_epochs=1, logger=False, enable_progress_bar=False,
                         enable_model_summary=False, enable_checkpointing=False, default_root_dir=folder,
                         num_sanity_val_steps=0)
    trainer.fit(model, datamodule=dm)
    return {name: float(value) for name, value in trainer.callback_metrics.items()}


def test_seq2seq_epoch_losses_are_means_over_target_tokens(tmp_path):
    torch.manual_seed(0)
    dm = ParallelTextDataModule(generated_size=150, batch_size=4)
    model = Seq2SeqTask(vocab_size=dm.vocab_size, target_vocab_size=dm.target_vocab_size, embedding_dim=8,
                        encoder=functools.partial(GRUEncoder, hidden_size=8),
                        decoder=functools.partial(LSTMDecoder, hidden_size=8, embedding_dim=8), max_length=4,
                        optimizer=FROZEN)
    logged = fit_one_epoch(model, dm, tmp_path)
    model.eval()
    for split, key in (("train", "train/loss_epoch"), ("val", "val/loss")):
        total, tokens, rows_mean = 0.0, 0, []
        loader = dm.train_dataloader() if split == "train" else dm.val_dataloader()
        with torch.no_grad():
            for batch in loader:
                inputs, gold = model.shift(batch)
                log_probs = model(batch.inputs, batch.lengths, inputs)
                nll = F.nll_loss(log_probs.reshape(-1, log_probs.size(-1)), gold.reshape(-1), ignore_index=PAD_ID,
                                 reduction="sum")
                total, tokens = total + float(nll), tokens + int((gold != PAD_ID).sum())
                rows_mean.append((float(nll) / int((gold != PAD_ID).sum()), batch.lengths.numel()))
        assert logged[key] == pytest.approx(total / tokens, rel=1e-5), split
        by_rows = sum(m * n for m, n in rows_mean) / sum(n for _, n in rows_mean)
        assert abs(by_rows - total / tokens) > 1e-4  # the check can tell the two weightings apart


def test_weighted_classifier_epoch_losses_are_means_over_the_targets_weights(tmp_path):
    torch.manual_seed(0)
    dm = SentimentDataModule(generated_size=150, batch_size=4)
    weights = torch.tensor([0.2, 1.0, 3.0])
    model = SequenceClassifier(num_classes=dm.num_classes, vocab_size=dm.vocab_size, embedding_dim=8,
                               encoder=functools.partial(GRUEncoder, hidden_size=8),
                               class_weights=weights.tolist(), optimizer=FROZEN)
    logged = fit_one_epoch(model, dm, tmp_path)
    model.eval()
    for split, key in (("train", "train/loss_epoch"), ("val", "val/loss")):
        loader = dm.train_dataloader() if split == "train" else dm.val_dataloader()
        with torch.no_grad():
            pairs = [(model(b.inputs, b.lengths), b.targets) for b in loader]
        logits, targets = torch.cat([p[0] for p in pairs]), torch.cat([p[1] for p in pairs])
        expected = F.cross_entropy(logits, targets, weight=weights)  # sum of w[y] * nll over sum of w[y]
        assert logged[key] == pytest.approx(float(expected), rel=1e-5), split
