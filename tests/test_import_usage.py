"""A user's own LightningModule built from library pieces, trained with a plain Trainer (as shown in README)."""

import pytorch_lightning as pl
import torch
from torch import nn

from lightning_seq.data import SentimentDataModule
from lightning_seq.nn import LSTMEncoder, MeanPooling


class MyClassifier(pl.LightningModule):
    def __init__(self, vocab_size: int, num_classes: int):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, 32, padding_idx=0)
        self.encoder = LSTMEncoder(32, hidden_size=32, bidirectional=True)
        self.pool = MeanPooling()
        self.out = nn.Linear(self.encoder.output_size, num_classes)

    def forward(self, tokens, lengths):
        outputs, _ = self.encoder(self.embed(tokens), lengths)  # (B, T, 64)
        return self.out(self.pool(outputs, lengths))  # (B, C)

    def training_step(self, batch, batch_idx):
        return nn.functional.cross_entropy(self(batch.inputs, batch.lengths), batch.targets)

    def validation_step(self, batch, batch_idx):
        acc = (self(batch.inputs, batch.lengths).argmax(-1) == batch.targets).float().mean()
        self.log("val_acc", acc, batch_size=len(batch.targets))

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=1e-2)


def test_own_module_with_library_encoder_pooling_and_datamodule(tmp_path):
    pl.seed_everything(0)
    data = SentimentDataModule(generated_size=400, batch_size=32)
    model = MyClassifier(data.vocab_size, data.num_classes)
    trainer = pl.Trainer(
        max_epochs=2,
        accelerator="cpu",
        default_root_dir=tmp_path,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    before = [p.detach().clone() for p in model.encoder.parameters()]
    trainer.fit(model, data)
    assert trainer.state.finished and trainer.global_step == 2 * 13
    assert all(not torch.equal(a, b) for a, b in zip(before, model.encoder.parameters(), strict=True))
    model.eval()
    with torch.no_grad():  # the logged accuracy is the trained model's accuracy on the validation split
        hits = [(model(b.inputs, b.lengths).argmax(-1) == b.targets).sum().item() for b in data.val_dataloader()]
    assert float(trainer.callback_metrics["val_acc"]) == __import__("pytest").approx(sum(hits) / 40, abs=1e-6)
