"""Which text classifier holds up on real short texts: the sentiment recipe's ablation on both embedded corpora.

    python benchmarks/text_ablation.py [--scale 1.0] [--variants NAME ...] [--json FILE]

Each variant is the recipe ``recipes/sentiment_bilstm.yaml`` with a few CLI overrides (the ``VARIANTS`` table: what
it changes, in the recipe's own keys), fitted and tested through ``lightning-seq`` on the ``long_tail`` corpus (real
tweets' statistics: most word types seen once, labels mostly lexical) and on the ``word_order`` corpus (the
default, where word order decides many labels). One process, one variant after another, the same seed; prints (and
optionally writes) one JSON line, then README's table: test accuracy and macro-F1 per variant and corpus, the epoch
early stopping kept, and seconds per fit. ``--scale`` shrinks the corpora and caps the epochs (for its test).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from lightning_seq.cli import run

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "recipes" / "sentiment_bilstm.yaml"
QUIET = ["--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]
CHARS = ["--data.tokenizer=lightning_seq.data.CharTokenizer", "--data.tokenizer.lowercase=true"]
SUBWORD = ["--data.tokenizer=lightning_seq.data.SentencePieceTokenizer", "--data.tokenizer.vocab_size=4000"]
UNK_MAX = ["--model.unknown_word_dropout=0.1", "--model.pooling=max"]
VARIANTS: dict[str, list[str]] = {
    "recipe (word BiLSTM, last step)": [],
    "min_freq 2 (rare words -> <unk>)": ["--data.min_freq=2"],
    "unknown-word dropout 0.1": ["--model.unknown_word_dropout=0.1"],
    "unknown-word dropout 0.2": ["--model.unknown_word_dropout=0.2"],
    "max pooling": ["--model.pooling=max"],
    "mean pooling": ["--model.pooling=mean"],
    "attention pooling": ["--model.pooling=attention"],
    "embedding dropout 0.5": ["--model.embedding_dropout=0.5"],
    "weight decay 0.1": ["--model.optimizer.init_args.weight_decay=0.1"],
    "early stopping on val/loss": ["@val/loss"],
    "word bag beside the LSTM": ["--model.ngram_buckets=50000", "--model.ngram_order=1"],
    "word + word-pair bag beside the LSTM": ["--model.ngram_buckets=50000", "--model.ngram_order=2"],
    "characters": CHARS,
    "subword (unigram 4k)": SUBWORD,
    "subword + unk dropout 0.1 + max": [*SUBWORD, *UNK_MAX],
    "subword + unk dropout 0.1 + max + word bag": [
        *SUBWORD, *UNK_MAX, "--model.ngram_buckets=50000", "--model.ngram_order=1"],
    "subword + unk dropout 0.2 + max": [*SUBWORD, "--model.unknown_word_dropout=0.2", "--model.pooling=max"],
    "characters + max pooling": [*CHARS, "--model.pooling=max"],
    "characters + unk dropout 0.1 + max": [*CHARS, *UNK_MAX],
}
CORPORA = ("long_tail", "word_order")


def recipe_monitoring(folder: Path, monitor: str) -> Path:
    """A copy of the recipe whose checkpoint, early stopping and verdict watch ``monitor`` (a loss: minimised)."""
    text = RECIPE.read_text(encoding="utf-8")
    text = text.replace("monitor: val/acc", f"monitor: {monitor}")
    if monitor.endswith("loss"):
        text = text.replace("mode: max", "mode: min")
    path = folder / "recipe.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def fit_and_test(
    overrides: list[str], corpus: str, size: int, max_epochs: int | None, recipe: Path = RECIPE
) -> dict[str, float]:
    """Fit ``recipe`` with ``overrides`` on ``corpus`` in a fresh folder; its test metrics and the kept epoch.

    An override ``@<metric>`` makes checkpointing and early stopping watch that metric instead of ``val/acc``
    (``recipe`` must then be the sentiment recipe, whose copy is edited).
    """
    monitors = [o[1:] for o in overrides if o.startswith("@")]
    overrides = [o for o in overrides if not o.startswith("@")]
    extra = [*overrides, f"--data.generated_corpus={corpus}", f"--data.generated_size={size}", *QUIET]
    if max_epochs is not None:
        extra.append(f"--trainer.max_epochs={max_epochs}")
    here = Path.cwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        recipe = recipe_monitoring(Path(folder), monitors[0]) if monitors else recipe
        try:
            start = time.perf_counter()
            fitted = run(["fit", "--config", str(recipe), *extra])
            seconds = time.perf_counter() - start
            best = fitted.trainer.checkpoint_callback.best_model_path
            tested = run(["test", "--config", str(recipe), *extra, "--ckpt_path", best])
        finally:
            os.chdir(here)
    metrics = tested.trainer.callback_metrics
    return {
        "test_acc": round(float(metrics["test/acc"]), 4),
        "test_f1": round(float(metrics["test/f1"]), 4),
        "epochs": fitted.trainer.current_epoch,
        "fit_seconds": round(seconds, 1),
    }


def markdown(result: dict) -> str:
    """README's ablation table: test accuracy (macro-F1) and kept epoch per variant and corpus, the best in bold."""
    corpora = [c for c in CORPORA if c in next(iter(result["variants"].values()))]
    best = {c: max(v[c]["test_acc"] for v in result["variants"].values()) for c in corpora}
    header = " | ".join(f"`{c}`: test accuracy (F1), epochs" for c in corpora)
    lines = [f"| variant (recipe `sentiment_bilstm` with) | {header} |", "|---|" + "---|" * len(corpora)]
    for name, variant in result["variants"].items():
        cells = []
        for corpus in corpora:
            scores = variant[corpus]
            acc = f"{scores['test_acc']:.3f}"
            acc = f"**{acc}**" if scores["test_acc"] == best[corpus] else acc
            cells.append(f"{acc} ({scores['test_f1']:.3f}), {scores['epochs']}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0, help="share of the recipe's 8,000 training posts")
    parser.add_argument("--variants", nargs="*", default=None, help="names from VARIANTS (default: all)")
    parser.add_argument("--corpora", nargs="*", default=list(CORPORA), choices=CORPORA)
    parser.add_argument("--json", type=Path, default=None, help="also write the result to this file")
    args = parser.parse_args()
    names = args.variants or list(VARIANTS)
    unknown = sorted(set(names) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variants {unknown}; known: {list(VARIANTS)}")
    size = max(60, round(8000 * args.scale))
    max_epochs = None if args.scale >= 1.0 else 2
    result: dict = {"size": size, "variants": {}}
    for name in names:
        result["variants"][name] = {
            "overrides": VARIANTS[name],
            **{corpus: fit_and_test(VARIANTS[name], corpus, size, max_epochs) for corpus in args.corpora},
        }
        print(json.dumps({name: result["variants"][name]}), flush=True)
    line = json.dumps(result)
    if args.json is not None:
        args.json.write_text(line + "\n", encoding="utf-8")
    print(line)
    print(markdown(result))


if __name__ == "__main__":
    main()
