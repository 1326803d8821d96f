"""Benchmark 2: length handling on skewed (IMDB-like) lengths: the library's default vs the two obvious ways.

    python benchmarks/length_handling.py [--size tiny|default|full|gpu] [--device cuda] [--bf16]

One epoch of forward + backward of a bidirectional LSTM over the same sequences (lognormal lengths, median ~180,
sigma 0.75, truncated at 400, like IMDB reviews in words), three ways, same weights:

* ``library``: ``BucketBatchSampler`` batches (the data modules' default), padded to each batch's longest, and
  ``LSTMEncoder`` (exact on padded rows: the backward direction reverses each row within its length);
* ``random_padded``: shuffled batches padded to the batch's longest and a plain bidirectional ``nn.LSTM``
  (fast but wrong for the backward direction of every row shorter than the batch);
* ``packed``: shuffled batches through ``pack_padded_sequence`` and the same ``nn.LSTM`` (exact, slow).

512 sequences are one sorting pool of the sampler's default 16 batches of 32: the padding a real data set of
any size gets. Epochs alternate library / random-padded / packed. Prints JSON: valid tokens/s of each, the
ratios, the share of padded steps, and the largest difference of the library's final states from packed on the
library's batches.
"""

from __future__ import annotations

from typing import Any

import torch
from harness import Settings, interleave, main, max_abs_diff, row

from lightning_seq.data.batching.collate import pad_sequences
from lightning_seq.data.batching.sampler import BucketBatchSampler
from lightning_seq.nn import LSTMEncoder
from lightning_seq.nn.packed import packed_reference, to_torch_rnn

SIZES = {
    "tiny": {"sequences": 16, "batch": 4, "features": 8, "hidden": 8, "median": 10, "cap": 20, "repeats": 1},
    "default": {"sequences": 512, "batch": 32, "features": 64, "hidden": 128, "median": 180, "cap": 400,
                "repeats": 2},
    "full": {"sequences": 1024, "batch": 32, "features": 128, "hidden": 256, "median": 180, "cap": 400,
             "repeats": 3},
    "gpu": {"sequences": 4096, "batch": 64, "features": 128, "hidden": 256, "median": 180, "cap": 400,
            "repeats": 3},
}
SIGMA = 0.75


def skewed_lengths(count: int, median: int, cap: int, seed: int = 0) -> torch.Tensor:
    """``count`` lognormal lengths with the given median, truncated to ``[1, cap]``."""
    generator = torch.Generator().manual_seed(seed)
    normal = torch.randn(count, generator=generator, dtype=torch.float64)
    return (median * torch.exp(SIGMA * normal)).round().clamp(1, cap).long()


def make_batches(
    sequences: list[torch.Tensor], order: list[list[int]], device: str
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Pad each batch of ``order`` to its longest sequence: ``(B, T, F)`` inputs and ``(B,)`` lengths."""
    batches = []
    for indices in order:
        x, lengths = pad_sequences([sequences[i] for i in indices])
        batches.append((x.to(device), lengths.to(device)))
    return batches


def run(settings: Settings) -> dict[str, Any]:
    """One epoch each way, interleaved; tokens/s, padding share and exactness against packed."""
    size = SIZES[settings.size]
    torch.manual_seed(0)
    lengths = skewed_lengths(size["sequences"], size["median"], size["cap"])
    sequences = [torch.randn(int(n), size["features"]) for n in lengths]
    bucketed = list(BucketBatchSampler(lengths.tolist(), size["batch"], shuffle=True, seed=0, num_replicas=1, rank=0))
    shuffled = torch.randperm(len(sequences), generator=torch.Generator().manual_seed(1)).split(size["batch"])
    ways = {
        "library": make_batches(sequences, bucketed, settings.device),
        "random_padded": make_batches(sequences, [s.tolist() for s in shuffled], settings.device),
    }
    ways["packed"] = ways["random_padded"]
    encoder = LSTMEncoder(size["features"], size["hidden"], bidirectional=True).to(settings.device)
    reference = to_torch_rnn(encoder).to(settings.device)

    def library() -> None:
        for x, n in ways["library"]:
            with settings.autocast():
                out, state = encoder(x, n)
            (out.float().sum() + state.hidden.float().sum()).backward()

    def random_padded() -> None:
        for x, _ in ways["random_padded"]:
            with settings.autocast():
                out, (h, _) = reference(x)
            (out.float().sum() + h.float().sum()).backward()

    def packed() -> None:
        for x, n in ways["packed"]:
            with settings.autocast():
                out, state = packed_reference(reference, x, n)
            (out.float().sum() + state.hidden.float().sum()).backward()

    timings = interleave({"library": library, "random_padded": random_padded, "packed": packed},
                         settings.repeats or size["repeats"], settings)
    tokens = int(lengths.sum())
    per_s = {name: tokens / t.min for name, t in timings.items()}
    padded_steps = {
        name: 1 - tokens / sum(x.size(0) * x.size(1) for x, _ in ways[name]) for name in ("library", "random_padded")
    }
    diffs = {"outputs": 0.0, "hidden": 0.0, "cell": 0.0}
    with torch.no_grad():
        for x, n in ways["library"]:
            out, state = encoder(x, n)
            ref_out, ref_state = packed_reference(reference, x, n)
            diffs["outputs"] = max(diffs["outputs"], max_abs_diff(out, ref_out))
            diffs["hidden"] = max(diffs["hidden"], max_abs_diff(state.hidden, ref_state.hidden))
            diffs["cell"] = max(diffs["cell"], max_abs_diff(state.cell, ref_state.cell))
    worst = max(diffs.values())
    vs_padded = per_s["library"] / per_s["random_padded"]
    vs_packed = per_s["library"] / per_s["packed"]
    return {
        "benchmark": "length_handling",
        "settings": vars(settings) | size,
        "mean_length": round(float(lengths.float().mean()), 1),
        "tokens_per_s": {k: round(v, 1) for k, v in per_s.items()},
        "seconds_per_epoch": {k: t.summary() for k, t in timings.items()},
        "padded_step_share": {k: round(v, 3) for k, v in padded_steps.items()},
        "speedup_vs_random_padded": round(vs_padded, 3),
        "speedup_vs_packed": round(vs_packed, 3),
        "max_abs_diff_vs_packed": diffs,
        "rows": [
            row("2 Length handling", "tokens/s vs random batches padded", per_s["library"], per_s["random_padded"],
                vs_padded, ">= 1.8x", vs_padded >= 1.8),
            row("2 Length handling", "tokens/s vs PackedSequence", per_s["library"], per_s["packed"], vs_packed,
                ">= 3x", vs_packed >= 3.0),
            row("2 Length handling", "max abs diff of states vs packed", worst, 0.0, worst, "<= 1e-5",
                worst <= 1e-5),
        ],
    }


if __name__ == "__main__":
    main(run, __doc__.splitlines()[0])
