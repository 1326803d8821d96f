"""Recipes' test metrics with their int8 ONNX graphs against fp32: what dynamic quantization costs in accuracy.

    python benchmarks/int8_accuracy.py --runs DIR [--recipes sentiment_bilstm,audio_ctc_bilstm] [--out results.json]

``DIR`` is where the recipes were trained (it holds ``runs/<recipe>/checkpoints/best.ckpt``, as ``lightning-seq
fit --config recipes/<recipe>.yaml`` writes them). For each recipe the checkpoint is tested three ways on the
recipe's own test split, with the task's own metric code: eager PyTorch, the exported fp32 ONNX graph and its int8
twin (``lightning-seq-export --quantize int8``) in ONNX Runtime on 2 threads; the graphs replace the task's forward,
so batching, decoding and metrics are the same. Classifiers report accuracy (target: int8 within 0.5 points of
fp32), CTC transcribers CER (target: at most +0.005). Encoder-decoder recipes are not covered here (their decoding
loop runs the step graph outside the task); their int8 graphs are checked in ``tests/test_export.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
import torch
from harness import met_cell

from lightning_seq.cli import run as cli_run
from lightning_seq.deploy.export import export
from lightning_seq.deploy.quantize import fp32_recurrent_ops, quantize_int8
from lightning_seq.tasks import CTCTranscriber, SequenceClassifier

ROOT = Path(__file__).resolve().parents[1]
RECIPES = ("sentiment_bilstm", "short_text_bilstm", "rowscan_digits_lstm", "audio_keywords_gru",
           "audio_keywords_stream_gru", "audio_ctc_bilstm", "ocr_crnn_ctc")
"""Every recipe whose task exports one graph (classifiers and CTC transcribers)."""
GRAPH_OVERRIDES = {"short_text_bilstm": ["--model.init_args.wide=null", "--model.init_args.wide_mix=sum"]}
"""Recipes whose default does not export one graph, and the overrides that leave the part that does (train with them
too): the short-text recipe's averaged wide path counts n-grams in Python, so its recurrent path is measured."""
QUIET = ["--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false", "--trainer.logger=false"]


@contextlib.contextmanager
def graph_forward(task: Any, path: Path, threads: int) -> Iterator[None]:
    """Within the block, ``task(inputs, lengths)`` runs the ONNX graph at ``path`` instead of the PyTorch modules."""
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def forward(inputs: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        feeds = {"inputs": inputs.cpu().numpy(), "lengths": lengths.cpu().numpy()}
        return torch.from_numpy(np.asarray(session.run(None, feeds)[0]))

    task.forward = forward  # an instance attribute: nn.Module.__call__ finds it before the class's forward
    try:
        yield
    finally:
        del task.forward


def evaluate(name: str, runs: Path, extra: list[str], threads: int) -> dict[str, Any]:
    """Test one recipe's checkpoint eagerly, as an fp32 graph and as an int8 graph."""
    recipe = str(ROOT / "recipes" / f"{name}.yaml")
    ckpt = runs / "runs" / name / "checkpoints" / "best.ckpt"
    own = GRAPH_OVERRIDES.get(name, [])
    if not ckpt.is_file():
        fit = " ".join(["lightning-seq fit --config", recipe, *own])
        raise FileNotFoundError(f"{ckpt}: train the recipe first ({fit})")
    cli = cli_run(["test", "--config", recipe, "--ckpt_path", str(ckpt), *QUIET, *own, *extra])
    task, data = cli.model, cli.datamodule
    if not isinstance(task, SequenceClassifier | CTCTranscriber):
        raise TypeError(f"{name}: int8 accuracy covers classifiers and CTC transcribers, not {type(task).__name__}")
    metric = "test/acc" if isinstance(task, SequenceClassifier) else "test/cer"
    scores = {"eager": float(cli.trainer.callback_metrics[metric])}
    with tempfile.TemporaryDirectory() as folder:
        (fp32,) = export(task.eval(), Path(folder) / f"{name}.onnx")
        int8 = quantize_int8(fp32)
        for kind, path in (("fp32", fp32), ("int8", int8)):
            with graph_forward(task, path, threads):
                scores[kind] = float(cli.trainer.test(task, datamodule=data, verbose=False)[0][metric])
        sizes = {"fp32_bytes": fp32.stat().st_size, "int8_bytes": int8.stat().st_size}
        kept = fp32_recurrent_ops(int8)
    change = scores["int8"] - scores["fp32"]
    met = change >= -0.005 if metric == "test/acc" else change <= 0.005
    target = "int8 >= fp32 - 0.005" if metric == "test/acc" else "int8 <= fp32 + 0.005"
    return {"recipe": name, "metric": metric, "test_rows": len(data.dataset("test")),
            **{k: round(v, 5) for k, v in scores.items()},
            "change": round(change, 5), "target": target, "met": met, "fp32_ops_kept": kept, **sizes}


def markdown(results: list[dict[str, Any]]) -> str:
    """README's table: one line per recipe."""
    lines = ["| recipe | metric | test rows | eager | fp32 ONNX | int8 ONNX | change | target | met | int8 size |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        kept = f" ({', '.join(r['fp32_ops_kept'])} fp32)" if r["fp32_ops_kept"] else ""
        size = f"{r['int8_bytes'] / r['fp32_bytes']:.2f}x{kept}"
        lines.append(f"| `{r['recipe']}` | {r['metric']} | {r['test_rows']} | {r['eager']:g} | {r['fp32']:g} | "
                     f"{r['int8']:g} | {r['change']:+g} | {r['target']} | {met_cell(r['met'])} | {size} |")
    return "\n".join(lines)


def main() -> None:
    """Parse the command line, evaluate each recipe, print the table and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", required=True, help="the folder the recipes were trained in (holds runs/)")
    parser.add_argument("--recipes", default=",".join(RECIPES), help="comma-separated recipe names")
    parser.add_argument("--threads", type=int, default=2, help="ONNX Runtime and torch threads (default 2)")
    parser.add_argument("--out", help="write the results as JSON here")
    parser.add_argument("--extra", default="", help="more CLI words for every recipe, space-separated; give them "
                        "as --extra='--data.init_args.x=1 ...' (a value that starts with -- needs the =)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    runs = Path(args.runs).resolve()
    os.chdir(runs)  # recipes write their outputs (predictions, plots) relative to the working folder
    results = [evaluate(name, runs, args.extra.split(), args.threads) for name in args.recipes.split(",")]
    print(markdown(results))
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
