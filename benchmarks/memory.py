"""Benchmark 7: peak memory (RSS) of a training step: the library's encoder vs a hand-written nn.LSTM loop.

    python benchmarks/memory.py [--size tiny|default|full]

A 2-layer bidirectional LSTM-256 over float features, batch 64, lengths up to 400 (padded batch), with a linear
head, cross-entropy, backward and an AdamW step; ``LSTMEncoder`` vs ``nn.LSTM`` with the same sizes. Each runs
in its own fresh process (peak RSS only grows), library and hand-written alternating, twice each. Prints JSON:
the process's peak RSS and its growth over the training steps (above the RSS after building model and batch),
in MB, and the ratios (target: peak ratio <= 1.1).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from typing import Any

import torch
from harness import Settings, main, row
from torch import nn

from lightning_seq.nn import LSTMEncoder
from lightning_seq.nn.masking import gather_step

SIZES = {
    "tiny": {"batch": 4, "steps": 20, "features": 8, "hidden": 16, "layers": 2, "runs": 1},
    "default": {"batch": 64, "steps": 400, "features": 64, "hidden": 256, "layers": 2, "runs": 2},
    "full": {"batch": 64, "steps": 400, "features": 128, "hidden": 512, "layers": 2, "runs": 2},
    "gpu": {"batch": 64, "steps": 400, "features": 128, "hidden": 512, "layers": 2, "runs": 2},
}


def peak_mb() -> float:
    """This process's peak resident set size so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(variant: str, size: dict[str, int], threads: int) -> dict[str, float]:
    """Build the model and batch, note the RSS, run two training steps, report peak and growth."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    batch, steps = size["batch"], size["steps"]
    x = torch.randn(batch, steps, size["features"])
    lengths = torch.randint(steps // 2, steps + 1, (batch,))
    lengths[0] = steps
    targets = torch.randint(0, 2, (batch,))
    head = nn.Linear(2 * size["hidden"], 2)
    if variant == "library":
        encoder: nn.Module = LSTMEncoder(size["features"], size["hidden"], size["layers"], bidirectional=True)
    else:
        encoder = nn.LSTM(size["features"], size["hidden"], size["layers"], batch_first=True, bidirectional=True)
    optimizer = torch.optim.AdamW([*encoder.parameters(), *head.parameters()], lr=1e-3)
    before = peak_mb()
    for _ in range(2):
        if variant == "library":
            out, _ = encoder(x, lengths)
        else:
            out, _ = encoder(x)
        logits = head(gather_step(out, lengths - 1))
        loss = nn.functional.cross_entropy(logits, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    peak = peak_mb()
    return {"peak_mb": peak, "step_growth_mb": peak - before}


def run(settings: Settings) -> dict[str, Any]:
    """Alternate fresh library and hand-written processes; peak RSS and step growth of each."""
    size = SIZES[settings.size]
    results: dict[str, list[dict[str, float]]] = {"library": [], "hand_loop": []}
    for _ in range(size["runs"]):
        for variant in results:
            done = subprocess.run(
                [sys.executable, __file__, "--child", variant, settings.size, str(settings.threads)],
                capture_output=True, text=True, check=True,
            )
            results[variant].append(json.loads(done.stdout.strip().splitlines()[-1]))
    peak = {k: min(r["peak_mb"] for r in v) for k, v in results.items()}
    growth = {k: min(r["step_growth_mb"] for r in v) for k, v in results.items()}
    ratio = peak["library"] / peak["hand_loop"]
    growth_ratio = growth["library"] / max(growth["hand_loop"], 1e-9)
    return {
        "benchmark": "memory",
        "settings": vars(settings) | size,
        "peak_rss_mb": {k: round(v, 1) for k, v in peak.items()},
        "step_growth_mb": {k: round(v, 1) for k, v in growth.items()},
        "peak_ratio": round(ratio, 3),
        "step_growth_ratio": round(growth_ratio, 3),
        "rows": [
            row("7 Memory", "peak RSS MB of a training step", peak["library"], peak["hand_loop"], ratio, "<= 1.1",
                ratio <= 1.1),
            row("7 Memory", "RSS growth MB over the step", growth["library"], growth["hand_loop"], growth_ratio,
                "report", None),
        ],
    }


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], SIZES[sys.argv[3]], int(sys.argv[4]))))
    else:
        main(run, __doc__.splitlines()[0])
