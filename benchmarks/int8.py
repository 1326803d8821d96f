"""Benchmark 10: int8 ONNX graphs (ONNX Runtime dynamic quantization) against their fp32 graphs, on CPU threads.

    python benchmarks/int8.py [--size tiny|default|full] [--threads 2]

Models shaped like the recipes (random weights: speed and size do not depend on the values), exported with
``lightning_seq.deploy.export.export`` and quantized with ``lightning_seq.deploy.quantize.quantize_int8``: the
sentiment BiLSTM (token ids in, 40 per row) and the same at twice its width, the audio CTC BiLSTM and the
streaming keyword GRU (waveforms in, 1.5 s, features computed in the graph), and the seq2seq encoder and
decoder-step graphs (encoder, then 10 greedy steps). Both graphs of a model run in one process in ONNX Runtime
sessions with the same thread count and no spin-waiting, in turn (fp32, int8, fp32, ...), at batch 1 and 32.
Rows: milliseconds per batch (fp32 over int8 = speed-up; target >= 1.8x at batch 32 for LSTM models, report for
GRU, whose op ONNX Runtime cannot quantize) and file size (target <= 0.3x for LSTM models). The recipes' test
metrics in int8 are ``benchmarks/int8_accuracy.py``.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
import torch
from harness import Settings, interleave, main, row, rows_table

from lightning_seq.deploy.export import STATE_NAMES, export
from lightning_seq.deploy.quantize import fp32_recurrent_ops, quantize_int8
from lightning_seq.nn import AudioFeatures, GRUEncoder, LSTMEncoder
from lightning_seq.tasks import CTCTranscriber, Seq2SeqTask, SequenceClassifier

SIZES = {
    "tiny": {"batches": [1, 4], "repeats": 2, "scale": 0.25},
    "default": {"batches": [1, 32], "repeats": 30, "scale": 1.0},
    "full": {"batches": [1, 32], "repeats": 50, "scale": 1.0},
    "gpu": {"batches": [1, 32], "repeats": 15, "scale": 1.0},
}
RATE = 8000


def width(n: int, scale: float) -> int:
    """A layer width scaled for the tiny run (at least 4)."""
    return max(4, int(n * scale))


def models(scale: float) -> dict[str, tuple[Any, Any]]:
    """``name -> (task, make_inputs(batch))``, shaped like the recipes."""
    torch.manual_seed(0)
    logmel = functools.partial(AudioFeatures, "logmel", RATE, frame_length=256, hop_length=160, n_mels=32,
                               normalization="global")
    sentiment = SequenceClassifier(
        num_classes=3, vocab_size=6000, embedding_dim=64, head_hidden_sizes=[64],
        encoder=functools.partial(LSTMEncoder, hidden_size=width(64, scale), num_layers=2, bidirectional=True))
    ctc = CTCTranscriber(feature_size=32, vocab_size=12, input_features=logmel().config(),
                         encoder=functools.partial(LSTMEncoder, hidden_size=width(96, scale), num_layers=2,
                                                   bidirectional=True))
    kws = SequenceClassifier(num_classes=11, feature_size=32, pooling="last", input_features=logmel().config(),
                             encoder=functools.partial(GRUEncoder, hidden_size=width(96, scale), num_layers=2))
    wider = SequenceClassifier(
        num_classes=3, vocab_size=6000, embedding_dim=64, head_hidden_sizes=[64],
        encoder=functools.partial(LSTMEncoder, hidden_size=width(128, scale), num_layers=2, bidirectional=True))
    seq2seq = Seq2SeqTask(vocab_size=40, target_vocab_size=40, embedding_dim=64, max_length=30,
                          encoder=functools.partial(LSTMEncoder, hidden_size=width(128, scale), bidirectional=True))
    words = int(40 * scale) + 2
    seconds = max(0.2, 1.5 * scale)

    def tokens(batch: int) -> tuple[torch.Tensor, ...]:
        return torch.randint(4, 6000, (batch, words)), torch.full((batch,), words)

    def waves(batch: int) -> tuple[torch.Tensor, ...]:
        samples = int(seconds * RATE)
        return 0.1 * torch.randn(batch, samples), torch.full((batch,), samples)

    def sources(batch: int) -> tuple[torch.Tensor, ...]:
        return torch.randint(4, 40, (batch, 20)), torch.full((batch,), 20)

    return {
        "sentiment BiLSTM-64x2": (sentiment, tokens),
        "text classifier BiLSTM-128x2": (wider, tokens),
        "audio CTC BiLSTM-96x2": (ctc, waves),
        "stream keywords GRU-96x2": (kws, waves),
        "seq2seq BiLSTM-128 encoder + LSTM-128 step": (seq2seq, sources),
    }


def session(path: Path, threads: int) -> onnxruntime.InferenceSession:
    """An ONNX Runtime CPU session with ``threads`` intra-op threads."""
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # no spin-waiting: the other session's idle threads would otherwise burn the cores the timed one needs
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def runner(paths: list[Path], threads: int, inputs: tuple[torch.Tensor, ...]) -> Any:
    """One inference on ``inputs``: the single graph, or the seq2seq encoder and then 10 decoder steps."""
    sessions = [session(p, threads) for p in paths]
    feeds = {"inputs": inputs[0].numpy(), "lengths": inputs[1].numpy()}
    if len(sessions) == 1:
        return lambda: sessions[0].run(None, feeds)
    encoder, step = sessions
    wanted = {i.name for i in step.get_inputs()}  # ONNX drops the state inputs a graph never reads

    def decode() -> None:
        state = encoder.run(None, feeds)
        tokens = np.full((inputs[0].shape[0],), 2, dtype=np.int64)
        for _ in range(10):
            named = dict(zip(STATE_NAMES, state, strict=True)) | {"tokens": tokens}
            log_probs, hidden, cell, feed = step.run(None, {k: v for k, v in named.items() if k in wanted})
            state = [hidden, cell, feed, *state[3:]]
            tokens = log_probs.argmax(-1)

    return decode


def run(settings: Settings) -> dict[str, Any]:
    """fp32 against int8 ONNX graphs: ms per batch at each batch size, and file sizes."""
    size = SIZES[settings.size]
    repeats = settings.repeats or size["repeats"]
    rows, measured = [], {}
    with tempfile.TemporaryDirectory() as folder:
        for name, (task, make_inputs) in models(size["scale"]).items():
            fp32 = export(task.eval(), Path(folder) / f"{name.split()[0]}.onnx")
            int8 = [quantize_int8(p) for p in fp32]
            kept = sorted({op for p in int8 for op in fp32_recurrent_ops(p)})
            lstm = not kept
            fp32_bytes, int8_bytes = (sum(p.stat().st_size for p in paths) for paths in (fp32, int8))
            entry: dict[str, Any] = {"fp32_bytes": fp32_bytes, "int8_bytes": int8_bytes, "fp32_ops_kept": kept}
            for batch in size["batches"]:
                inputs = make_inputs(batch)
                timings = interleave({"fp32": runner(fp32, settings.threads, inputs),
                                      "int8": runner(int8, settings.threads, inputs)}, repeats, settings)
                fp32_ms, int8_ms = 1000 * timings["fp32"].median, 1000 * timings["int8"].median
                entry[f"batch {batch}"] = {"fp32_ms": round(fp32_ms, 4), "int8_ms": round(int8_ms, 4)}
                target = ">= 1.8x" if lstm and batch >= 32 else "report"
                met = (fp32_ms / int8_ms >= 1.8) if target != "report" else None
                note = f" ({', '.join(kept)} kept fp32)" if kept else ""
                rows.append(row("10 int8", f"{name}{note}, batch {batch}: ms per batch, int8 (vs fp32)", int8_ms,
                                fp32_ms, fp32_ms / int8_ms, target, met))
            ratio = int8_bytes / fp32_bytes
            rows.append(row("10 int8", f"{name}: file size MB, int8 (vs fp32)", int8_bytes / 1e6, fp32_bytes / 1e6,
                            ratio, "<= 0.3x" if lstm else "report", (ratio <= 0.3) if lstm else None))
            measured[name] = entry
    return {"benchmark": "int8", "settings": vars(settings) | size, "models": measured, "rows": rows}


def markdown(result: dict[str, Any]) -> str:
    """README's int8 table: one line per row (library = int8, baseline = fp32)."""
    return rows_table(result["rows"], "int8", "fp32", "ratio (speed: fp32 / int8, size: int8 / fp32)")


if __name__ == "__main__":
    main(run, __doc__.splitlines()[0])
