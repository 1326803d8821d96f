"""Benchmark 9: streaming inference (carried state) against re-encoding the whole prefix on every chunk.

    python benchmarks/streaming.py [--size tiny|default|full]

Two unidirectional models with their features computed in the model, shaped like the audio recipes: a keyword
spotter (GRU-64 over 32 log-mel bands, 20 ms hop) and a CTC transcriber (2-layer LSTM-96 over 32 log-mel bands,
10 ms hop). After a stream has run for 1, 10 and 60 s, the next chunks (10 ms and 100 ms of audio) are processed
two ways, in turn: ``CTCStreamer`` / ``ClassifierStreamer.push`` (only the new frames, from the carried state) and
the naive way (the whole prefix through the model again). Rows: median per-chunk milliseconds of each (with the
ratio, which must grow with the stream's length), the streaming p99 and real-time factor, and how flat the
streaming cost stays from 1 s to the longest stream (target: within 1.5x).
"""

from __future__ import annotations

import functools
import statistics
import time
from typing import Any

import torch
from harness import Settings, main, row, rows_table

from lightning_seq.nn import AudioFeatures, GRUEncoder, LSTMEncoder
from lightning_seq.streaming import ClassifierStreamer, CTCStreamer
from lightning_seq.tasks import CTCTranscriber, SequenceClassifier

RATE = 16000
SIZES = {
    "tiny": {"lengths": [0.2, 0.4], "chunks_ms": [100], "stream_chunks": 3, "naive_chunks": 1},
    "default": {"lengths": [1, 10, 60], "chunks_ms": [10, 100], "stream_chunks": 60, "naive_chunks": 6},
    "full": {"lengths": [1, 10, 60], "chunks_ms": [10, 100], "stream_chunks": 200, "naive_chunks": 20},
    "gpu": {"lengths": [1, 10, 60], "chunks_ms": [10, 100], "stream_chunks": 60, "naive_chunks": 6},
}


def models() -> dict[str, tuple[Any, Any]]:
    """The keyword spotter and the CTC transcriber (random weights: speed does not depend on them)."""
    torch.manual_seed(0)
    kws_features = AudioFeatures("logmel", RATE, frame_length=400, hop_length=320, n_mels=32, normalization="none")
    kws = SequenceClassifier(num_classes=11, feature_size=32, pooling="last", input_features=kws_features.config(),
                             encoder=functools.partial(GRUEncoder, hidden_size=64)).eval()
    ctc_features = AudioFeatures("logmel", RATE, frame_length=400, hop_length=160, n_mels=32, normalization="none")
    ctc = CTCTranscriber(feature_size=32, vocab_size=12, input_features=ctc_features.config(),
                         encoder=functools.partial(LSTMEncoder, hidden_size=96, num_layers=2)).eval()
    ctc.set_names(vocabulary=["<pad>", "<unk>", "<bos>", "<eos>", *"abcdefgh"])
    return {"keywords GRU-64": (kws, ClassifierStreamer), "CTC LSTM-96x2": (ctc, CTCStreamer)}


def per_chunk(task: Any, streamer_class: Any, audio: torch.Tensor, start: int, chunk: int, size: dict[str, Any]
              ) -> tuple[list[float], list[float]]:
    """Seconds per chunk, streaming and naive, for the chunks after ``start`` samples (rounds interleaved)."""
    streamer = streamer_class(task)
    streamer.push([audio[:start]])  # the stream so far
    streamed, naive = [], []
    position = start
    with torch.no_grad():
        for i in range(size["stream_chunks"]):
            piece = audio[position : position + chunk]
            began = time.perf_counter()
            streamer.push([piece])
            streamed.append(time.perf_counter() - began)
            position += chunk
            if i < size["naive_chunks"]:
                prefix = audio[:position].unsqueeze(0)
                began = time.perf_counter()
                task(prefix, torch.tensor([position]))
                naive.append(time.perf_counter() - began)
    return streamed, naive


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run(settings: Settings) -> dict[str, Any]:
    """Per-chunk cost of streaming and of re-encoding the prefix, by model, chunk size and stream length."""
    size = SIZES[settings.size]
    longest = max(size["lengths"])
    generator = torch.Generator().manual_seed(0)
    extra = max(size["chunks_ms"]) * RATE // 1000 * size["stream_chunks"]
    audio = 0.1 * torch.randn(int(longest * RATE) + extra, generator=generator)
    rows, measured = [], {}
    for name, (task, streamer_class) in models().items():
        for chunk_ms in size["chunks_ms"]:
            chunk = chunk_ms * RATE // 1000
            previous_ratio, first_ms = 0.0, None
            for seconds in size["lengths"]:
                streamed, naive = per_chunk(task, streamer_class, audio, int(seconds * RATE), chunk, size)
                stream_ms, naive_ms = 1000 * statistics.median(streamed), 1000 * statistics.median(naive)
                p99_ms = 1000 * percentile(streamed, 0.99)
                ratio = naive_ms / stream_ms
                key = f"{name}, {chunk_ms} ms chunks, after {seconds:g} s"
                measured[key] = {"stream_ms": round(stream_ms, 4), "stream_p99_ms": round(p99_ms, 4),
                                 "naive_ms": round(naive_ms, 4), "rtf": round(stream_ms / chunk_ms, 4)}
                rows.append(row("9 streaming", f"{key}: ms per chunk (vs re-encoding the prefix)", stream_ms,
                                naive_ms, ratio, "ratio grows with length", ratio > previous_ratio))
                rows.append(row("9 streaming", f"{key}: p99 ms per chunk, real-time factor", p99_ms, chunk_ms,
                                stream_ms / chunk_ms, "report", None))
                previous_ratio = ratio
                first_ms = stream_ms if first_ms is None else first_ms
            flat = stream_ms / first_ms
            rows.append(row("9 streaming", f"{name}, {chunk_ms} ms chunks: streaming ms after {longest:g} s vs "
                            f"after {size['lengths'][0]:g} s", stream_ms, first_ms, flat, "<= 1.5 (flat)",
                            flat <= 1.5))
    return {"benchmark": "streaming", "settings": vars(settings) | size, "per_chunk": measured, "rows": rows}


def markdown(result: dict[str, Any]) -> str:
    """README's streaming table: one line per row (library = streaming, baseline = re-encoding the prefix)."""
    return rows_table(result["rows"], "streaming", "re-encoding the prefix / chunk")


if __name__ == "__main__":
    main(run, __doc__.splitlines()[0])
