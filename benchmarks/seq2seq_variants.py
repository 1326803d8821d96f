"""The seq2seq variant table of README: exact match on the embedded test split for each decoder design switch.

    python benchmarks/seq2seq_variants.py [--size tiny|default] [--markdown]

Each variant is ``recipes/seq2seq_attention.yaml`` with one switch changed by a config fragment of
``configs/seq2seq/`` (context x conditioning, then the deep output and the input-aware attention query on top of the
recipe), trained with ``lightning-seq fit`` and scored with ``lightning-seq test`` on the best checkpoint, same seed.
``context: last`` with ``init`` copies the bidirectional encoder state, so its decoder is as wide as that state.
Prints JSON (test exact match, token accuracy and CER per variant) and, with ``--markdown``, README's tables.
``--size tiny`` (60 pairs, one epoch) is what the test suite runs; README's figures come from ``default``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from lightning_seq.cli import run

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "recipes" / "seq2seq_attention.yaml"
FRAGMENTS = ROOT / "configs" / "seq2seq"
CONTEXTS = ("last", "bridge", "attention")
CONDITIONINGS = ("init", "input", "input_and_prev")
SWITCHES = {"deep_output": "deep_output.yaml", "attention_query: state_and_input": "attention_query_input.yaml"}
SIZES = {
    "tiny": ["--data.init_args.generated_size=60", "--trainer.max_epochs=1", "--trainer.num_sanity_val_steps=0"],
    "default": [],
}
QUIET = ["--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false", "--trainer.logger=false"]


@contextlib.contextmanager
def inside(folder: Path) -> Iterator[None]:
    """Run in ``folder`` (the recipe writes ``runs/`` relative to the working directory)."""
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def variant(fragments: list[str], extra: list[str], size: str) -> dict[str, float]:
    """Fit the recipe with ``fragments`` and ``extra`` options, test its best checkpoint, return test metrics."""
    configs = ["--config", str(RECIPE)]
    for name in fragments:
        configs += ["--config", str(FRAGMENTS / name)]
    options = [*configs, *extra, *SIZES[size], *QUIET, "--trainer.accelerator=cpu"]
    with tempfile.TemporaryDirectory() as folder, inside(Path(folder)):
        run(["fit", *options])
        tested = run(["test", *options, "--ckpt_path", "runs/seq2seq_attention/checkpoints/best.ckpt"])
        metrics = tested.trainer.callback_metrics
        return {name: round(float(metrics[f"test/{name}"]), 4) for name in ("exact", "token_acc", "cer")}


def run_all(size: str) -> dict[str, Any]:
    """Every context x conditioning cell, then each extra switch on the recipe's own design."""
    grid: dict[str, dict[str, float]] = {}
    for context in CONTEXTS:
        for conditioning in CONDITIONINGS:
            wide = (context, conditioning) == ("last", "init")  # the copied encoder state is 256 wide
            extra = ["--model.init_args.decoder.init_args.hidden_size=256"] if wide else []
            fragments = [f"context_{context}.yaml", f"conditioning_{conditioning}.yaml"]
            grid[f"{context}/{conditioning}"] = variant(fragments, extra, size)
    switches = {name: variant([fragment], [], size) for name, fragment in SWITCHES.items()}
    return {"size": size, "grid": grid, "switches": switches}


def markdown(results: dict[str, Any]) -> str:
    """README's tables: exact match per context x conditioning, then the recipe with each extra switch."""
    grid, best = results["grid"], max(v["exact"] for v in results["grid"].values())
    lines = ["| context \\ conditioning | `init` | `input` | `input_and_prev` |", "|---|---|---|---|"]
    for context in CONTEXTS:
        cells = []
        for conditioning in CONDITIONINGS:
            value = grid[f"{context}/{conditioning}"]["exact"]
            cells.append(f"**{value:.3f}**" if value == best else f"{value:.3f}")
        lines.append(f"| `{context}` | " + " | ".join(cells) + " |")
    recipe = grid["attention/input_and_prev"]
    lines += ["", "| recipe (`attention`, `input_and_prev`) with | exact | token accuracy | CER |", "|---|---|---|---|",
              f"| nothing else | {recipe['exact']:.3f} | {recipe['token_acc']:.3f} | {recipe['cer']:.4f} |"]
    for name, value in results["switches"].items():
        lines.append(f"| `{name}` | {value['exact']:.3f} | {value['token_acc']:.3f} | {value['cer']:.4f} |")
    return "\n".join(lines)


def table_script_main(
    description: str,
    sizes: dict[str, list[str]],
    run_all: Callable[[str], dict[str, Any]],
    markdown: Callable[[dict[str, Any]], str],
) -> None:
    """The command line of a script that trains recipes for a README table: ``--size``, ``--markdown``.

    Runs ``run_all(size)`` quietly, prints its JSON on one line and, with ``--markdown``, the table after it.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--size", choices=sorted(sizes), default="default")
    parser.add_argument("--markdown", action="store_true", help="print README's table(s) after the JSON")
    args = parser.parse_args()
    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning_seq").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    results = run_all(args.size)
    print(json.dumps(results))
    if args.markdown:
        print(markdown(results))


if __name__ == "__main__":
    table_script_main(__doc__.splitlines()[0], SIZES, run_all, markdown)
