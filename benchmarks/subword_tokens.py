"""Subword against word tokens on the embedded sentiment and seq2seq data: README's tokenizer table.

    python benchmarks/subword_tokens.py [--size tiny|default] [--markdown]

Each row is a recipe with only its tokenizers changed (``--data.init_args.tokenizer`` or the source and target
tokenizers), trained with ``lightning-seq fit`` and scored with ``lightning-seq test`` on the best checkpoint, same
seed. Subword models join their pieces back into text (``target_joiner: ""``), so the seq2seq CER compares the same
strings whatever the tokenizer. Prints JSON and, with ``--markdown``, README's table. ``--size tiny`` (one epoch on
100 samples, words and HF BPE only) is what the test suite runs; README's figures come from ``default``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from seq2seq_variants import QUIET, inside, table_script_main

from lightning_seq.cli import run

ROOT = Path(__file__).resolve().parents[1]
TOKENIZERS = {
    "words": None,
    "SentencePiece unigram": ("lightning_seq.data.SentencePieceTokenizer", "unigram"),
    "SentencePiece BPE": ("lightning_seq.data.SentencePieceTokenizer", "bpe"),
    "HF BPE": ("lightning_seq.data.HFTokenizer", "bpe"),
    "HF unigram": ("lightning_seq.data.HFTokenizer", "unigram"),
}
TASKS = {
    # recipe, tokenizer arguments, subword vocabulary size, metrics reported, the joiner argument
    "sentiment": ("sentiment_bilstm", ["tokenizer"], 2000, ("acc", "f1"), None),
    "seq2seq": ("seq2seq_attention", ["source_tokenizer", "target_tokenizer"], 60, ("exact", "cer"), "target_joiner"),
}
SIZES = {
    "tiny": ["--data.init_args.generated_size=100", "--trainer.max_epochs=1", "--trainer.num_sanity_val_steps=0"],
    "default": [],
}


def options(task: str, tokenizer: str) -> list[str]:
    """The command-line options that give ``task``'s recipe the ``tokenizer`` row's tokenizers."""
    recipe, names, vocab_size, _, joiner = TASKS[task]
    chosen = TOKENIZERS[tokenizer]
    words = ["--config", str(ROOT / "recipes" / f"{recipe}.yaml")]
    if chosen is None:
        return words
    class_path, model_type = chosen
    lowercase = "true" if task == "sentiment" else "false"  # as the word tokenizer each recipe uses
    for name in names:
        words += [f"--data.init_args.{name}={class_path}", f"--data.init_args.{name}.vocab_size={vocab_size}",
                  f"--data.init_args.{name}.model_type={model_type}", f"--data.init_args.{name}.lowercase={lowercase}"]
    if joiner is not None:
        words.append(f"--model.init_args.{joiner}=")
    return words


def score(task: str, tokenizer: str, size: str) -> dict[str, float]:
    """Fit ``task``'s recipe with ``tokenizer``, test its best checkpoint, return the test metrics and sizes."""
    recipe, names, _, metrics, _ = TASKS[task]
    words = [*options(task, tokenizer), *SIZES[size], *QUIET, "--trainer.accelerator=cpu"]
    with tempfile.TemporaryDirectory() as folder, inside(Path(folder)):
        fitted = run(["fit", *words])
        best = f"runs/{recipe}/checkpoints/best.ckpt"
        tested = run(["test", *words, "--ckpt_path", best])
        found = tested.trainer.callback_metrics
        result = {name: round(float(found[f"test/{name}"]), 4) for name in metrics}
        result["epochs"] = fitted.trainer.current_epoch
        result["vocab_size"] = fitted.datamodule.vocab_size
        return result


def run_all(size: str) -> dict[str, Any]:
    """Every tokenizer on every task (``tiny``: words and one subword tokenizer, to keep the test suite short)."""
    names = list(TOKENIZERS) if size == "default" else ["words", "HF BPE"]
    return {"size": size, "tasks": {t: {k: score(t, k, size) for k in names} for t in TASKS}}


def markdown(results: dict[str, Any]) -> str:
    """README's table: one row per tokenizer, the sentiment and seq2seq test metrics side by side."""
    sentiment, seq2seq = results["tasks"]["sentiment"], results["tasks"]["seq2seq"]
    lines = [
        "| tokenizer | sentiment: vocabulary | test accuracy | macro-F1 | seq2seq: source vocabulary | test exact "
        "match | CER |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in sentiment:
        a, b = sentiment[name], seq2seq[name]
        lines.append(
            f"| {name} | {a['vocab_size']} | {a['acc']:.4f} | {a['f1']:.4f} | {b['vocab_size']} | {b['exact']:.4f} "
            f"| {b['cer']:.4f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    table_script_main(__doc__.splitlines()[0], SIZES, run_all, markdown)
