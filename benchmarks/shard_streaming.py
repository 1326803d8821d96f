"""Benchmark: one training epoch from Parquet shards (``ShardedDataModule``'s stream) against the in-memory path.

    python benchmarks/shard_streaming.py [--size tiny|default] [--json FILE]

Generated token sequences shaped like short texts (lengths 3-120, log-normal around 20; ids 2-5000), and
generated audio features at a tenth of the count (50-150 frames of 40 floats), are written once as shards
(``write_split``, 50k samples a file, row groups of 1024). Each epoch runs in its own fresh process; its peak RSS
(``VmHWM``) is reported whole and above the RSS once the imports are done (torch, Lightning and Arrow alone hold
about 0.8 GB):

- **in memory**: the samples as tensors in a ``SequenceDataset`` (what every data module holds today), batched by
  ``BucketBatchSampler`` (32 a batch, pools of 16 batches), collated;
- **streaming**: ``ShardStream`` over the shards (32 a batch, a 2048-sample buffer).

Both read in the training process (``num_workers=0``, the project's default) and, at the larger size, again with
one loader worker process each.

Both train the same small model one step per batch (embedding 32 → mean over the true lengths → 3 classes, SGD):
the loader's cost shows beside real work without a recurrent model making the epoch minutes long. Rows:
samples, peak RSS in MB (whole, and above the imports), samples/s, padding fraction (padded positions that are
not tokens). Targets: streaming's peak RSS grows at most 1.2× from the smaller to the larger size (in memory
grows with the data); streaming throughput at least 0.9× in memory at the larger size; streaming's padding
fraction within 10% of in memory's.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from lightning_seq.data.batching.collate import collate_sequences
from lightning_seq.data.batching.sampler import BucketBatchSampler
from lightning_seq.data.shards import Batching, ShardLoader, ShardStream, read_lengths, write_split

SIZES = {"tiny": {"text": [1_000, 4_000], "audio": [100, 400]},
         "default": {"text": [100_000, 1_000_000], "audio": [10_000, 100_000]}}
MELS = 40
BATCH, POOL_BATCHES, BUFFER, ROWS_PER_SHARD, ROW_GROUP = 32, 16, 2048, 50_000, 1024
TARGETS = {"rss_growth": 1.2, "throughput_ratio": 0.9, "padding_ratio": 1.1}


class Generated:
    """Sample ``i`` made from seed ``i`` on demand (so writing the shards holds no more than one shard).

    ``text``: token ids, lengths 3-120 (log-normal around 20). ``audio``: 40 log-mel-like float features per
    frame, 50-150 frames (0.5-1.5 s at a 10 ms hop).
    """

    def __init__(self, size: int, kind: str = "text") -> None:
        rng = np.random.default_rng(0)
        if kind == "text":
            self.lengths = np.clip(rng.lognormal(3.0, 0.6, size).astype(np.int64), 3, 120).tolist()
        else:
            self.lengths = rng.integers(50, 151, size).tolist()
        self.kind = kind

    def __len__(self) -> int:
        return len(self.lengths)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int, int]:
        generator = torch.Generator().manual_seed(index)
        if self.kind == "text":
            return torch.randint(2, 5000, (self.lengths[index],), generator=generator), index % 3, index
        return torch.randn(self.lengths[index], MELS, generator=generator), index % 3, index


def status_mb(key: str) -> float:
    """A memory line of ``/proc/self/status`` (``VmRSS``, ``VmHWM``) in MB."""
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> float:
    """Start the peak-RSS count afresh past the imports' peak (``5`` into ``/proc/self/clear_refs``); the RSS now."""
    Path("/proc/self/clear_refs").write_text("5", encoding="utf-8")
    return status_mb("VmRSS")


def epoch(batches: Any, kind: str) -> dict[str, float]:
    """Train the small model one step per batch; the samples, seconds and padding fraction of the epoch."""
    torch.manual_seed(0)
    embed, head = (nn.Embedding(5000, 32) if kind == "text" else nn.Linear(MELS, 32)), nn.Linear(32, 3)
    optimizer = torch.optim.SGD([*embed.parameters(), *head.parameters()], lr=0.1)
    samples = tokens = padded = 0
    start = time.perf_counter()
    for batch in batches:
        mask = torch.arange(batch.inputs.size(1)) < batch.lengths.unsqueeze(1)  # (B, T)
        padded += mask.numel()
        pooled = (embed(batch.inputs) * mask.unsqueeze(2)).sum(1) / batch.lengths.unsqueeze(1)  # (B, 32)
        loss = nn.functional.cross_entropy(head(pooled), batch.targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        samples += len(batch.lengths)
        tokens += int(batch.lengths.sum())
    seconds = time.perf_counter() - start
    return {"samples": samples, "seconds": seconds, "padding": 1 - tokens / padded}


def child(path: str, size: int, kind: str, folder: Path, workers: int) -> dict[str, float]:
    """One epoch of ``path`` (``memory`` or ``stream``) in this process; its peak RSS included."""
    torch.set_num_threads(1)
    baseline = reset_peak()
    if path == "memory":
        data = Generated(size, kind)
        samples = [data[i] for i in range(size)]  # what a data module holds
        from lightning_seq.data.datasets.sequences import SequenceDataset

        dataset = SequenceDataset([s[0] for s in samples], [s[1] for s in samples])
        del samples
        sampler = BucketBatchSampler(dataset.lengths, BATCH, shuffle=True, pool_batches=POOL_BATCHES, seed=0)
        loader = torch.utils.data.DataLoader(dataset, batch_sampler=sampler, collate_fn=collate_sequences,
                                             num_workers=workers)
    else:
        entry = json.loads((folder / "entry.json").read_text(encoding="utf-8"))
        stream = ShardStream(folder, entry, read_lengths(folder, "train", entry["rows"]),
                             Batching(BATCH, None, BUFFER, True, 0), collate_sequences, workers=workers)
        loader = ShardLoader(stream, lambda: 0)
    result = epoch(loader, kind)
    peak = status_mb("VmHWM")
    return {**result, "peak_rss_mb": peak, "above_imports_mb": peak - baseline}


def measure(path: str, size: int, kind: str, folder: Path, workers: int = 0) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--child", path, str(size), kind, str(folder), str(workers)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {"kind": kind, "path": path, "workers": workers, "size": size,
            "peak_rss_mb": round(result["peak_rss_mb"], 1),
            "above_imports_mb": round(result["above_imports_mb"], 1),
            "samples_per_s": round(result["samples"] / result["seconds"], 1), "padding": round(result["padding"], 4),
            "samples": result["samples"]}


def run(size_name: str) -> dict[str, Any]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind, sizes in SIZES[size_name].items():
            for size in sizes:
                folder = Path(tmp) / f"{kind}{size}"
                folder.mkdir()
                entry = write_split(folder, "train", Generated(size, kind), ROWS_PER_SHARD, ROW_GROUP)
                (folder / "entry.json").write_text(json.dumps(entry), encoding="utf-8")
                for path in ("memory", "stream"):
                    rows.append(measure(path, size, kind, folder))
                if size == max(sizes):  # one loader worker process each, beside the training process
                    for path in ("memory", "stream"):
                        rows.append(measure(path, size, kind, folder, workers=1))
                shutil.rmtree(folder)
    return {"settings": {"size": size_name, "batch": BATCH, "pool_batches": POOL_BATCHES, "buffer": BUFFER},
            "rows": rows, "verdicts": verdicts(rows)}


def verdicts(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per kind: streaming's RSS growth, throughput and padding against in memory's, with the targets."""
    return {kind: kind_verdicts([r for r in rows if r["kind"] == kind]) for kind in sorted({r["kind"] for r in rows})}


def kind_verdicts(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """One kind's verdicts (two sizes, both paths; throughput also with one loader worker each)."""
    by = {(r["path"], r["size"]): r for r in rows if r["workers"] == 0}
    small, large = sorted({r["size"] for r in rows})
    worker = {r["path"]: r for r in rows if r["workers"] == 1}
    growth = {p: round(by[(p, large)]["peak_rss_mb"] / by[(p, small)]["peak_rss_mb"], 3) for p in ("memory", "stream")}
    throughput = round(by[("stream", large)]["samples_per_s"] / by[("memory", large)]["samples_per_s"], 3)
    padding = round(by[("stream", large)]["padding"] / by[("memory", large)]["padding"], 3)
    with_worker = round(worker["stream"]["samples_per_s"] / worker["memory"]["samples_per_s"], 3)
    return {
        "throughput_ratio_one_worker": with_worker,
        "rss_growth": growth, "rss_growth_met": growth["stream"] <= TARGETS["rss_growth"],
        "throughput_ratio": throughput, "throughput_met": throughput >= TARGETS["throughput_ratio"],
        "padding_ratio": padding, "padding_met": padding <= TARGETS["padding_ratio"],
    }


def markdown(result: dict[str, Any]) -> str:
    """README's table of a run."""
    lines = ["| data | path | loader workers | samples | peak RSS (MB) | of which above the imports (MB) | samples/s "
             "| padding fraction |", "|---|---|---|---|---|---|---|---|"]
    for r in result["rows"]:
        name = "in memory (`BucketBatchSampler`)" if r["path"] == "memory" else "shards (`ShardStream`)"
        lines.append(f"| {r['kind']} | {name} | {r['workers']} | {r['size']:,} | {r['peak_rss_mb']} | "
                     f"{r['above_imports_mb']} | "
                     f"{r['samples_per_s']:,} | {r['padding']} |")
    for kind, v in result["verdicts"].items():
        lines.append("")
        lines.append(f"{kind}: " + verdict_line(v))
    return "\n".join(lines)


def verdict_line(v: dict[str, Any]) -> str:
    """One kind's verdicts as a sentence."""
    return (
        f"Peak RSS from the smaller to the larger size: shards ×{v['rss_growth']['stream']} (target ≤ "
        f"{TARGETS['rss_growth']}: {'met' if v['rss_growth_met'] else 'not met'}), in memory "
        f"×{v['rss_growth']['memory']}; shards' throughput {v['throughput_ratio']}× in memory's (target ≥ "
        f"{TARGETS['throughput_ratio']}: {'met' if v['throughput_met'] else 'not met'}), "
        f"{v['throughput_ratio_one_worker']}× with one loader worker each; padding fraction "
        f"{v['padding_ratio']}× in memory's (target ≤ {TARGETS['padding_ratio']}: "
        f"{'met' if v['padding_met'] else 'not met'})."
    )


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(child(sys.argv[2], int(sys.argv[3]), sys.argv[4], Path(sys.argv[5]), int(sys.argv[6]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="default")
    parser.add_argument("--json", type=Path, default=None, help="also write the result here")
    args = parser.parse_args()
    result = run(args.size)
    text = json.dumps(result, indent=1)
    print(text)
    print(markdown(result))
    if args.json is not None:
        args.json.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
