"""The real text yardstick: bag-of-words baselines and the short-text recipes on the standard library's docstrings.

    python benchmarks/text_yardstick.py [--scale 1.0] [--variants NAME ...] [--json FILE] [--markdown]

The data is ``SentimentDataModule(generated_corpus="docstring_topics")``: real human-written text with real labels
(the first paragraph of docstrings of 17 standard-library modules, labelled by module; 3438 / 422 / 411 on Python
3.11.7, ``lightning_seq.data.readers.docstring_topics``), which every machine with Python has without a download.

* **Baselines**, fitted with scikit-learn on the training split, ``C`` chosen on validation from ``C_GRID``, scored on
  test: tf-idf logistic regression over word unigrams, word 1-2-grams, ``char_wb`` 2-5-grams, and the union of
  word 1-2-grams and char 2-5-grams (the features of ``lightning_seq.nn.WideNgrams``); and the fastText-style bag
  of embeddings of ``baselines.py``.
* **Variants**: the recipes ``short_text_bilstm`` (characters) and ``sentiment_bilstm`` (words) with a few CLI
  overrides (``VARIANTS``), each fitted and tested through ``lightning-seq`` (one process, one after another, the
  recipes' seed): alone, with the wide path summed (wide & deep), averaged with it (``wide_mix=average``, an
  ensemble whose weight is chosen on validation), the wide path alone, and started from the language model of
  ``recipes/short_text_lm.yaml`` (ULMFiT; fitted first, on the other modules' docstrings and the training split,
  its test perplexity reported).

Prints one JSON line (``--json`` also writes it) and, with ``--markdown``, README's table. ``--scale`` keeps that
share of the training texts for the baselines (every ``1/scale``-th; val and test whole) and caps each variant at one
epoch (for its test).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from baselines import bag_of_embeddings
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_union
from text_ablation import fit_and_test

from lightning_seq.cli import run
from lightning_seq.data.readers.docstring_topics import docstring_topic_splits
from lightning_seq.data.text.tokenizers import WordTokenizer

ROOT = Path(__file__).resolve().parents[1]
CHARS_RECIPE = ROOT / "recipes" / "short_text_bilstm.yaml"
WORDS_RECIPE = ROOT / "recipes" / "sentiment_bilstm.yaml"
C_GRID = (0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
WIDE = ["--model.init_args.wide=lightning_seq.nn.WideNgrams", "--model.init_args.wide_mix=sum"]
AVERAGE = ["--model.init_args.wide=lightning_seq.nn.WideNgrams", "--model.init_args.wide_mix=average"]
NO_WIDE = ["--model.init_args.wide=null", "--model.init_args.wide_mix=sum"]
"""Each variant names its wide path in full: the short-text recipe averages one in by default (the first row's result
decided that), the sentiment recipe has none."""
LM_RECIPE = ROOT / "recipes" / "short_text_lm.yaml"
TRANSFER = ["--model.init_args.language_model={lm}", "--model.init_args.transfer_lr_scale=0.3"]
VARIANTS: dict[str, tuple[Path, list[str]]] = {
    "characters alone": (CHARS_RECIPE, NO_WIDE),
    "characters + wide path (sum)": (CHARS_RECIPE, WIDE),
    "characters + wide path (average: short_text_bilstm)": (CHARS_RECIPE, AVERAGE),
    "words (sentiment_bilstm)": (WORDS_RECIPE, []),
    "words + wide path (sum)": (WORDS_RECIPE, WIDE),
    "words + wide path (average)": (WORDS_RECIPE, AVERAGE),
    "wide path alone (recurrent: false)": (CHARS_RECIPE, [*WIDE, "--model.init_args.recurrent=false"]),
    "characters + LM transfer (short_text_lm)": (CHARS_RECIPE, [*TRANSFER, *NO_WIDE]),
    "characters + LM transfer + wide path (average)": (CHARS_RECIPE, [*TRANSFER, *AVERAGE]),
}


def vectorizers() -> dict[str, object]:
    """The tf-idf feature sets of the baselines, by name (a fresh unfitted vectorizer each)."""
    def words(order: int) -> TfidfVectorizer:
        return TfidfVectorizer(tokenizer=WordTokenizer(), token_pattern=None, lowercase=False,
                               ngram_range=(1, order), sublinear_tf=True)

    def chars() -> TfidfVectorizer:
        return TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=True, sublinear_tf=True)

    return {
        "tfidf_unigram_logreg": words(1),
        "tfidf_bigram_logreg": words(2),
        "tfidf_char_logreg": chars(),
        "tfidf_word_char_logreg": make_union(words(2), chars()),
    }


def baselines(data: dict[str, tuple[list[str], list[str]]]) -> dict[str, dict[str, float]]:
    """Each baseline's ``C`` best on validation, and its validation and test accuracy there."""
    results = {}
    for name, vectorizer in vectorizers().items():
        features = vectorizer.fit(data["train"][0])
        rows = {split: (features.transform(texts), labels) for split, (texts, labels) in data.items()}
        scored = []
        for c in C_GRID:
            model = LogisticRegression(C=c, max_iter=3000).fit(*rows["train"])
            scored.append((model.score(*rows["val"]), model.score(*rows["test"]), c))
        val, test, c = max(scored, key=lambda row: row[0])
        results[name] = {"val_acc": round(val, 4), "test_acc": round(test, 4), "C": c}
    results["bag_of_embeddings"] = {"test_acc": bag_of_embeddings(data)}
    return results


def yardstick_texts(scale: float) -> dict[str, tuple[list[str], list[str]]]:
    """``(texts, labels)`` per split; of the training split every ``round(1 / scale)``-th text (every module kept)."""
    splits = docstring_topic_splits()
    splits["train"] = splits["train"][:: max(1, round(1 / scale))]
    return {split: ([r.text for r in rows], [r.label for r in rows]) for split, rows in splits.items()}


def pretrain_language_model(folder: Path, max_epochs: int | None) -> tuple[Path, dict[str, float]]:
    """Fit ``recipes/short_text_lm.yaml`` in ``folder``; its best checkpoint and its test perplexity."""
    extra = ["--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]
    if max_epochs is not None:
        extra += [f"--trainer.max_epochs={max_epochs}", "--trainer.limit_train_batches=5"]
    here = Path.cwd()
    os.chdir(folder)
    try:
        start = time.perf_counter()
        fitted = run(["fit", "--config", str(LM_RECIPE), *extra])
        seconds = time.perf_counter() - start
        best = Path(fitted.trainer.checkpoint_callback.best_model_path).resolve()
        tested = run(["test", "--config", str(LM_RECIPE), *extra, "--ckpt_path", str(best)])
    finally:
        os.chdir(here)
    scores = {"test_ppl": round(float(tested.trainer.callback_metrics["test/ppl"]), 4),
              "epochs": fitted.trainer.current_epoch, "fit_seconds": round(seconds, 1)}
    return best, scores


def markdown(result: dict) -> str:
    """README's table: every baseline and variant with its test accuracy (macro-F1 where the CLI reported it)."""
    lines = ["| model (on `docstring_topics`) | test accuracy | macro-F1 | epochs | fit seconds |",
             "|---|---|---|---|---|"]
    for name, scores in result["baselines"].items():
        c = f", C={scores['C']:g}" if "C" in scores else ""
        lines.append(f"| baseline `{name}`{c} | {scores['test_acc']:.3f} | - | - | - |")
    for name, scores in result["variants"].items():
        lines.append(f"| {name} | {scores['test_acc']:.3f} | {scores['test_f1']:.3f} | {scores['epochs']} | "
                     f"{scores['fit_seconds']:.0f} |")
    lm = result.get("language_model")
    if lm is not None:
        lines.append(f"| (the language model `short_text_lm` the transfer starts from: test perplexity "
                     f"{lm['test_ppl']:.3f}) | - | - | {lm['epochs']} | {lm['fit_seconds']:.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0, help="share of the training texts the baselines fit on")
    parser.add_argument("--variants", nargs="*", default=None, help="names from VARIANTS (default: all)")
    parser.add_argument("--json", type=Path, default=None, help="also write the result to this file")
    parser.add_argument("--markdown", action="store_true", help="also print README's table")
    args = parser.parse_args()
    names = list(VARIANTS) if args.variants is None else args.variants
    unknown = sorted(set(names) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variants {unknown}; known: {list(VARIANTS)}")
    data = yardstick_texts(args.scale)
    result: dict = {"sizes": {split: len(texts) for split, (texts, _) in data.items()}, "baselines": baselines(data),
                    "variants": {}}
    max_epochs = None if args.scale >= 1.0 else 1
    with tempfile.TemporaryDirectory() as folder:
        lm = None
        if any("{lm}" in " ".join(VARIANTS[name][1]) for name in names):
            lm, result["language_model"] = pretrain_language_model(Path(folder), max_epochs)
            print(json.dumps({"language_model": result["language_model"]}), flush=True)
        for name in names:
            recipe, overrides = VARIANTS[name]
            given = [o.replace("{lm}", str(lm)) for o in overrides]
            scores = fit_and_test(given, "docstring_topics", 8000, max_epochs, recipe=recipe)
            result["variants"][name] = {"recipe": recipe.name, "overrides": overrides, **scores}
            print(json.dumps({name: result["variants"][name]}), flush=True)
    line = json.dumps(result)
    if args.json is not None:
        args.json.write_text(line + "\n", encoding="utf-8")
    print(line)
    if args.markdown:
        print(markdown(result))


if __name__ == "__main__":
    main()
