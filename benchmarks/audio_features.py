"""Benchmark 6: where audio features are computed: the default vs in the loader vs in the model vs precomputed.

    python benchmarks/audio_features.py [--size tiny|default|full]

One training epoch (forward, backward, AdamW step) of a BiGRU keyword classifier over the same generated clips
and the same batches, four ways:

* ``default``: ``AudioKeywordsDataModule`` as configured by default: log-mel features computed once in ``setup``
  (batched) and served from memory (``cache_features``);
* ``loader``: ``cache_features=False``: features computed per clip in the loader (0 workers), every epoch;
* ``in_model``: ``features_on_device=True``: the loader yields waveforms, the model computes features per batch;
* ``precomputed``: features computed by hand beforehand and stored as a list of tensors (the baseline).

Epochs alternate the four. Prints JSON: clips/s of each and each relative to precomputed (target: the default
within 10%, i.e. >= 0.9).
"""

from __future__ import annotations

import functools
from typing import Any

import torch
import torch.nn.functional as F
from harness import Settings, interleave, main, row
from torch.utils.data import DataLoader

from lightning_seq.data import AudioKeywordsDataModule
from lightning_seq.nn import GRUEncoder
from lightning_seq.tasks import SequenceClassifier

SIZES = {
    "tiny": {"clips": 30, "batch": 4, "hidden": 8, "repeats": 1},
    "default": {"clips": 600, "batch": 32, "hidden": 64, "repeats": 3},
    "full": {"clips": 3000, "batch": 32, "hidden": 128, "repeats": 3},
    "gpu": {"clips": 3000, "batch": 64, "hidden": 128, "repeats": 3},
}


def train_epoch(model: SequenceClassifier, loader: DataLoader, settings: Settings) -> int:
    """One epoch of plain training; returns the clips seen."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model.train()
    seen = 0
    for batch in loader:
        inputs, lengths = batch.inputs.to(settings.device), batch.lengths.to(settings.device)
        with settings.autocast():
            logits = model(inputs, lengths)
        loss = F.cross_entropy(logits.float(), batch.targets.to(settings.device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        seen += lengths.numel()
    return seen


def run(settings: Settings) -> dict[str, Any]:
    """Train one epoch each way, interleaved; clips/s relative to precomputed features."""
    size = SIZES[settings.size]
    common = {"generated_size": size["clips"], "batch_size": size["batch"], "seed": 0}
    modules = {
        "default": AudioKeywordsDataModule(**common),
        "loader": AudioKeywordsDataModule(**common, cache_features=False),
        "in_model": AudioKeywordsDataModule(**common, features_on_device=True),
    }
    for dm in modules.values():
        dm.setup("fit")
    reference = modules["loader"]
    stored = [reference.dataset("train")[i] for i in range(len(reference.dataset("train")))]
    precomputed = DataLoader(stored, batch_sampler=reference.train_dataloader().batch_sampler,
                             collate_fn=reference.collate_fn)
    loaders = {name: dm.train_dataloader() for name, dm in modules.items()} | {"precomputed": precomputed}
    encoder = functools.partial(GRUEncoder, hidden_size=size["hidden"], bidirectional=True)
    models = {}
    for name, dm in modules.items():
        torch.manual_seed(0)
        models[name] = SequenceClassifier(
            num_classes=dm.num_classes, feature_size=dm.feature_size, encoder=encoder, pooling="mean",
            input_features=getattr(dm, "input_features", None) if name == "in_model" else None,
        ).to(settings.device)
    models["precomputed"] = models["loader"]
    contenders = {name: functools.partial(train_epoch, models[name], loaders[name], settings) for name in loaders}
    timings = interleave(contenders, settings.repeats or size["repeats"], settings)
    clips = len(stored)
    per_s = {name: clips / t.min for name, t in timings.items()}
    relative = {name: per_s[name] / per_s["precomputed"] for name in per_s}
    rows = [
        row("6 Audio features", f"{name} clips/s vs precomputed", per_s[name], per_s["precomputed"],
            relative[name], ">= 0.9" if name == "default" else "report",
            relative[name] >= 0.9 if name == "default" else None)
        for name in ("default", "in_model", "loader")
    ]
    return {
        "benchmark": "audio_features",
        "settings": vars(settings) | size,
        "train_clips": clips,
        "clips_per_s": {k: round(v, 1) for k, v in per_s.items()},
        "relative_to_precomputed": {k: round(v, 3) for k, v in relative.items()},
        "seconds_per_epoch": {k: t.summary() for k, t in timings.items()},
        "rows": rows,
    }


if __name__ == "__main__":
    main(run, __doc__.splitlines()[0])
