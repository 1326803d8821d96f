"""Run the benchmark suite in one process and print its JSON (and, with ``--markdown``, the README table).

    python benchmarks/run.py                      # every benchmark at the default (2-core CPU) sizes
    python benchmarks/run.py --full               # bigger sizes
    python benchmarks/run.py --only memory,ctc_decoding --size tiny
    python benchmarks/run.py --device cuda --size gpu --precisions fp32,bf16 --only lightning_overhead,...

Each benchmark times the library against its baseline in the same process, interleaved, and reports ratios;
``rows`` of every result form the table (library, baseline, ratio, target, met?).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import platform
import time
import warnings
from pathlib import Path
from typing import Any

import torch
from harness import SIZE_NAMES, Settings, met_cell, threads

BENCHMARKS = (
    "lightning_overhead",
    "length_handling",
    "fused_vs_loop",
    "seq2seq_decoding",
    "ctc_decoding",
    "audio_features",
    "memory",
    "checkpoint_load",
    "streaming",
    "int8",
)


def machine() -> str:
    """A one-line description of where the suite ran."""
    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name(0)}, torch {torch.__version__}"
    cpu = platform.processor() or platform.machine()
    return f"{cpu}, {torch.get_num_threads()} CPU threads, torch {torch.__version__}"


def markdown(results: dict[str, Any]) -> str:
    """The README table of every result's rows, with the machine and the precision of each column."""
    lines = [f"Machine: {results['machine']}; sizes: `{results['size']}`; ran {results['date']}.", "",
             "| benchmark | metric | precision | library | baseline | ratio | target | met |",
             "|---|---|---|---|---|---|---|---|"]
    for precision, by_name in results["precisions"].items():
        for result in by_name.values():
            for r in result["rows"]:
                lines.append(f"| {r['benchmark']} | {r['metric']} | {precision} | {r['library']:g} | "
                             f"{r['baseline']:g} | {r['ratio']:g} | {r['target']} | {met_cell(r['met'])} |")
    return "\n".join(lines)


def main() -> None:
    """Parse the command line, run the chosen benchmarks for each precision, print JSON (and a table)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=SIZE_NAMES, default="default")
    parser.add_argument("--full", action="store_true", help="shorthand for --size full")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--precisions", default="fp32", help="comma-separated: fp32, bf16 (autocast)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated benchmark names")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    parser.add_argument("--markdown", action="store_true", help="print the README table after the JSON")
    args = parser.parse_args()
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmarks {unknown}; choose from {list(BENCHMARKS)}")
    precisions = [p.strip() for p in args.precisions.split(",")]
    if not set(precisions) <= {"fp32", "bf16"}:
        parser.error(f"--precisions takes fp32 and/or bf16, got {args.precisions!r}")
    size = "full" if args.full else args.size
    logging.getLogger("pytorch_lightning").setLevel(logging.WARNING)
    logging.getLogger("lightning_seq").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore")
    results: dict[str, Any] = {"machine": machine(), "size": size, "date": time.strftime("%Y-%m-%d"),
                               "precisions": {}, "seconds": {}}
    with threads(args.threads):
        results["machine"] = machine()
        for precision in precisions:
            settings = Settings(size, args.device, precision == "bf16", args.threads)
            by_name: dict[str, Any] = {}
            for name in names:
                start = time.perf_counter()
                by_name[name] = importlib.import_module(name).run(settings)
                results["seconds"][f"{precision}/{name}"] = round(time.perf_counter() - start, 1)
            results["precisions"][precision] = by_name
    text = json.dumps(results)
    if args.out is not None:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    if args.markdown:
        print(markdown(results))


if __name__ == "__main__":
    main()
