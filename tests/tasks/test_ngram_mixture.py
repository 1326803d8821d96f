"""The Kneser-Ney n-gram inside LanguageModel: counted on the training stream, mixed per token, weight on validation."""

import math

import pytest
import pytorch_lightning as pl
import torch

from lightning_seq.baselines import KneserNeyLM, token_symbols
from lightning_seq.data import TextCorpusDataModule
from lightning_seq.nn import LSTMEncoder
from lightning_seq.tasks import LanguageModel
from lightning_seq.tasks.ngram_mixture import MIXTURE_WEIGHTS


def trainer(tmp_path, **kwargs):
    return pl.Trainer(default_root_dir=tmp_path, logger=False, enable_progress_bar=False, enable_model_summary=False,
                      enable_checkpointing=False, accelerator="cpu", **kwargs)  # fmt: skip


def reference_log_likelihoods(model, data, split, order):
    """Every token of ``split``'s streams scored apart: the LSTM reading each whole row, the n-gram from each row's
    start; the summed log-likelihood under every weight, and the count."""
    streams = data.streams(split)  # (B, n): the rows the loader's windows cut
    model.eval()
    with torch.no_grad():
        log_probs, _ = model(streams[:, :-1])  # (B, n - 1, V): one pass carries the state as the windows do
    lstm = log_probs.gather(-1, streams[:, 1:].unsqueeze(-1)).squeeze(-1).exp().double().flatten()
    ngram = KneserNeyLM(order).fit(token_symbols(data.token_ids("train")))
    rows = [token_symbols(row) for row in streams]
    counted = torch.tensor([ngram.probability(row[max(0, t - order + 1) : t], row[t])
                            for row in rows for t in range(1, len(row))], dtype=torch.float64)
    sums = torch.stack([torch.log(w * lstm + (1 - w) * counted).sum() for w in MIXTURE_WEIGHTS])
    return sums, lstm.numel()


@pytest.mark.parametrize("order", [1, 3, 5])
def test_the_mixture_weight_and_perplexities_equal_a_recomputation_over_every_token(tmp_path, order):
    data = TextCorpusDataModule(generated_size=150, batch_size=4, sequence_length=16)
    torch.manual_seed(0)
    model = LanguageModel(vocab_size=data.vocab_size, embedding_dim=8, tbptt_steps=8, ngram_order=order,
                          encoder=lambda size: LSTMEncoder(size, hidden_size=16))
    run = trainer(tmp_path, max_steps=6, num_sanity_val_steps=0)
    run.fit(model, datamodule=data)
    metrics = run.validate(model, datamodule=data, verbose=False)[0]
    sums, count = reference_log_likelihoods(model, data, "val", order)
    best = int(sums.argmax())
    assert metrics["val/ngram_weight"] == pytest.approx(MIXTURE_WEIGHTS[best])
    assert metrics["val/ppl_mixture"] == pytest.approx(math.exp(-sums[best].item() / count), rel=1e-4)
    assert metrics["val/ppl_ngram"] == pytest.approx(math.exp(-sums[0].item() / count), rel=1e-4)
    assert metrics["val/ppl"] == pytest.approx(math.exp(-sums[-1].item() / count), rel=1e-4)  # w = 1: the LSTM
    assert metrics["val/ppl_mixture"] <= min(metrics["val/ppl"], metrics["val/ppl_ngram"]) + 1e-6

    tested = run.test(model, datamodule=data, verbose=False)[0]
    sums, count = reference_log_likelihoods(model, data, "test", order)
    assert tested["test/ppl_mixture"] == pytest.approx(math.exp(-sums[best].item() / count), rel=1e-4)
    assert tested["test/ppl_ngram"] == pytest.approx(math.exp(-sums[0].item() / count), rel=1e-4)


def test_the_weight_travels_in_the_checkpoint_and_a_bad_order_is_named(tmp_path):
    data = TextCorpusDataModule(generated_size=150, batch_size=4, sequence_length=16)
    model = LanguageModel(vocab_size=data.vocab_size, embedding_dim=8, ngram_order=2,
                          encoder=lambda size: LSTMEncoder(size, hidden_size=8))
    run = trainer(tmp_path, max_steps=2, num_sanity_val_steps=0)
    run.fit(model, datamodule=data)
    run.save_checkpoint(tmp_path / "lm.ckpt")
    state = torch.load(tmp_path / "lm.ckpt", weights_only=True)["state_dict"]
    assert state["ngram_weight"].item() == pytest.approx(model.ngram_weight.item())
    assert model.ngram_weight.item() in [pytest.approx(w) for w in MIXTURE_WEIGHTS]
    with pytest.raises(ValueError, match="ngram_order must be an integer >= 1, got 0"):
        LanguageModel(vocab_size=data.vocab_size, ngram_order=0)
