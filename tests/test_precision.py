"""Mixed precision: every recipe trains under bf16 autocast (on CPU here); the numerically delicate parts (CTC,
log-softmax, attention masking) stay in fp32 under bf16 and fp16. Lightning maps ``16-mixed`` to ``bf16-mixed`` on
a CPU, so fp16 end to end runs on a GPU (``benchmarks/gpu_check.sh``); here fp16 is checked on the modules."""

import functools
import math

import pytest
import torch

from lightning_seq.cli import run
from lightning_seq.nn import GRUEncoder, LSTMEncoder
from lightning_seq.nn.attention import Attention
from lightning_seq.nn.masking import lengths_to_mask
from lightning_seq.tasks import CTCTranscriber

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
QUIET = ["--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]
RECIPES = sorted(str(p) for p in (ROOT / "recipes").glob("*.yaml"))


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.rsplit("/", 1)[-1].removesuffix(".yaml"))
def test_every_recipe_trains_a_step_in_bf16(tmp_path, monkeypatch, recipe):
    monkeypatch.chdir(tmp_path)
    cli = run(["fit", "--config", recipe, "--config", str(ROOT / "configs/trainer/bf16.yaml"),
               "--trainer.accelerator=cpu", "--trainer.fast_dev_run=true",
               "--data.init_args.generated_size=60", "--data.init_args.batch_size=8", *QUIET])
    assert cli.trainer.precision == "bf16-mixed"
    loss = float(cli.trainer.callback_metrics["train/loss_step"])
    assert cli.trainer.state.finished and math.isfinite(loss) and loss > 0
    assert all(torch.isfinite(p).all() for p in cli.model.parameters())
    assert all(p.dtype == torch.float32 for p in cli.model.parameters())  # weights stay fp32


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_ctc_log_probabilities_are_fp32_under_autocast(dtype):
    vocabulary = ["<pad>", "<unk>", "<bos>", "<eos>", "a", "b", "c", "d"]
    model = CTCTranscriber(feature_size=5, vocabulary=vocabulary, encoder=functools.partial(GRUEncoder, hidden_size=6))
    with torch.autocast("cpu", dtype=dtype):
        log_probs = model(torch.randn(2, 7, 5), torch.tensor([7, 4]))
    assert log_probs.dtype == torch.float32
    torch.testing.assert_close(log_probs.exp().sum(-1), torch.ones(2, 7))


@pytest.mark.parametrize("kind", ["additive", "dot", "general"])
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_attention_gives_exactly_zero_weight_to_padding_in_low_precision(kind, dtype):
    torch.manual_seed(0)
    attention = Attention(6, 6, kind, attention_size=4)
    outputs = (torch.randn(3, 5, 6) * 50).to(dtype)  # large scores: overflow would show as NaN
    mask = lengths_to_mask(torch.tensor([5, 2, 1]), 5)
    with torch.autocast("cpu", dtype=dtype):
        context, weights = attention(torch.randn(3, 6).to(dtype), attention.memory(outputs, mask))
    assert torch.isfinite(weights).all() and torch.isfinite(context).all()
    assert (weights[~mask] == 0).all()
    torch.testing.assert_close(weights.float().sum(-1), torch.ones(3), atol=1e-2, rtol=0)


@pytest.mark.parametrize("encoder_cls", [LSTMEncoder, GRUEncoder])
def test_encoders_under_bf16_stay_close_to_fp32_and_zero_on_padding(encoder_cls):
    torch.manual_seed(0)
    encoder = encoder_cls(4, 8, num_layers=2, bidirectional=True)
    x, lengths = torch.randn(3, 9, 4), torch.tensor([9, 5, 1])
    reference, _ = encoder(x, lengths)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        low, state = encoder(x, lengths)
    assert (low[~lengths_to_mask(lengths, 9)] == 0).all()
    torch.testing.assert_close(low.float(), reference, atol=5e-2, rtol=0)
    assert torch.isfinite(state.hidden).all()
