"""Mixed precision: every recipe trains under bf16 autocast (on CPU here); the numerically delicate parts (CTC,
log-softmax, attention masking) stay in fp32 under bf16 and fp16. Lightning maps ``16-mixed`` to ``bf16-mixed`` on
a CPU, so fp16 end to end runs on a GPU (``benchmarks/gpu_check.sh``); here fp16 is checked on the modules."""

import functools
import logging
import math
import os
import subprocess
import sys

import pytest
import torch

from lightning_seq.cli import run
from lightning_seq.nn import (
    AdditiveAttention,
    DotAttention,
    GeneralAttention,
    GRUEncoder,
    LSTMEncoder,
    RNNEncoder,
    precision,
)
from lightning_seq.nn.masking import lengths_to_mask
from lightning_seq.nn.precision import cpu_has_native_bf16
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
    model = CTCTranscriber(feature_size=5, vocab_size=8, encoder=functools.partial(GRUEncoder, hidden_size=6))
    with torch.autocast("cpu", dtype=dtype):
        log_probs = model(torch.randn(2, 7, 5), torch.tensor([7, 4]))
    assert log_probs.dtype == torch.float32
    torch.testing.assert_close(log_probs.exp().sum(-1), torch.ones(2, 7))


@pytest.mark.parametrize("kind", [AdditiveAttention, DotAttention, GeneralAttention])
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_attention_gives_exactly_zero_weight_to_padding_in_low_precision(kind, dtype):
    torch.manual_seed(0)
    attention = kind(6, 6)
    outputs = (torch.randn(3, 5, 6) * 50).to(dtype)  # large scores: overflow would show as NaN
    mask = lengths_to_mask(torch.tensor([5, 2, 1]), 5)
    with torch.autocast("cpu", dtype=dtype):
        context, weights = attention(torch.randn(3, 6).to(dtype), attention.memory(outputs, mask))
    assert torch.isfinite(weights).all() and torch.isfinite(context).all()
    assert (weights[~mask] == 0).all()
    torch.testing.assert_close(weights.float().sum(-1), torch.ones(3), atol=1e-2, rtol=0)


BF16_EPS = torch.finfo(torch.bfloat16).eps  # 2**-7: one unit in the last place at magnitude 1


@pytest.mark.parametrize("encoder_cls", [LSTMEncoder, GRUEncoder, RNNEncoder])
def test_encoders_run_their_kernels_in_bf16_where_the_cpu_has_it_and_rows_equal_rows_alone(encoder_cls):
    """Under bf16 autocast every encoder's kernels really run in bf16 where the CPU runs bf16 natively (CPU autocast
    casts only the LSTM; the encoders cast GRU and RNN themselves), else in fp32. A padded row equals the same row
    encoded alone under bf16 within two bf16 units at magnitude 1 (the outputs are tanh-bounded), zero on padding."""
    torch.manual_seed(0)
    encoder = encoder_cls(4, 8, num_layers=2, bidirectional=True).eval()
    x, lengths = torch.randn(5, 9, 4), torch.tensor([9, 5, 1, 7, 3])
    reference, _ = encoder(x, lengths)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        low, state = encoder(x, lengths)
        alone = [encoder(x[r : r + 1, :n], lengths[r : r + 1]) for r, n in enumerate(lengths.tolist())]
    expected = torch.bfloat16 if cpu_has_native_bf16() else torch.float32
    assert low.dtype == state.hidden.dtype == expected
    assert (low[~lengths_to_mask(lengths, 9)] == 0).all()
    for r, n in enumerate(lengths.tolist()):
        one_out, one_state = alone[r]
        torch.testing.assert_close(low[r, :n].float(), one_out[0].float(), atol=2 * BF16_EPS, rtol=0)
        torch.testing.assert_close(
            state.hidden[:, r].float(), one_state.hidden[:, 0].float(), atol=2 * BF16_EPS, rtol=0
        )
    # against fp32: rounding of inputs, weights and every step's state, over 2 layers of 9 steps
    torch.testing.assert_close(low.float(), reference, atol=4 * BF16_EPS, rtol=0)
    if expected == torch.bfloat16:
        assert not torch.equal(low.float(), reference)  # it really ran in lower precision


@pytest.mark.parametrize("encoder_cls", [LSTMEncoder, GRUEncoder, RNNEncoder])
def test_without_native_bf16_the_kernels_run_in_fp32_and_say_so_once(encoder_cls, monkeypatch, caplog):
    """The capability decides (once per process), not an error caught per call: without native bf16, the recurrent
    kernels run in fp32 under bf16 autocast and give exactly the fp32 results; one log line says so."""
    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: False)
    precision._log_fallback.cache_clear()
    torch.manual_seed(0)
    encoder = encoder_cls(4, 8, num_layers=2, bidirectional=True)
    x, lengths = torch.randn(3, 9, 4), torch.tensor([9, 5, 1])
    reference, ref_state = encoder(x, lengths)
    with caplog.at_level(logging.WARNING, logger="lightning_seq.nn.precision"):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            for _ in range(3):
                low, state = encoder(x, lengths)
    assert low.dtype == torch.float32
    torch.testing.assert_close(low, reference, rtol=0, atol=0)
    torch.testing.assert_close(state.hidden, ref_state.hidden, rtol=0, atol=0)
    assert [r.getMessage() for r in caplog.records] == [
        "this CPU has no native bf16 support (oneDNN): under bf16 autocast the recurrent kernels run in fp32; "
        "everything else stays in bf16"
    ]
    precision._log_fallback.cache_clear()


def test_the_bf16_tests_pass_on_a_cpu_without_native_bf16():
    """oneDNN limited to AVX2 (``ONEDNN_MAX_CPU_ISA=AVX2``) behaves like an AVX2-only CPU: a bf16 LSTM under autocast
    fails there with "could not create a primitive descriptor". The precision and CTC tests must pass on it."""
    env = {**os.environ, "ONEDNN_MAX_CPU_ISA": "AVX2", "OMP_NUM_THREADS": "1"}
    probe = "import torch; print(torch.ops.mkldnn._is_mkldnn_bf16_supported())"
    answer = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert answer.stdout.strip() == "False"
    tests = [str(ROOT / "tests/test_precision.py"), str(ROOT / "tests/tasks/test_ctc.py")]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests,
         "-k", "not on_a_cpu_without_native_bf16"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert " passed" in done.stdout.splitlines()[-1] and "failed" not in done.stdout.splitlines()[-1]
