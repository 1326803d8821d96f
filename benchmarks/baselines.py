"""Simple baselines on the embedded data sets, on the splits the recipes use (README quotes them beside each recipe).

    python benchmarks/baselines.py [--scale 1.0] [--json benchmarks/results/baselines.json]

* sentiment: tf-idf logistic regression over word unigrams, and over unigrams + bigrams (the strong classic);
* digits: logistic regression over the 784 pixels;
* audio keywords: logistic regression over each clip's mean and standard deviation of its 32 log-mel bands (a bag
  of frames: it sees the spectrum, not the order).

Each is fitted on the training split, its regularisation chosen on the validation split, and scored on the test
split. ``--scale`` shrinks every embedded set (for the test of this script). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from lightning_seq.data import AudioKeywordsDataModule, RowScanImageDataModule
from lightning_seq.data.splits import generated_splits
from lightning_seq.data.synthetic.sentiment import generate_sentiment_corpus
from lightning_seq.data.tokenizers import WordTokenizer
from lightning_seq.nn import AudioFeatures

RECIPE_SIZES = {"sentiment": 8000, "digits": 10000, "audio": 2400}  # generated_size in each recipe
C_GRID = (0.1, 1.0, 10.0)


def best_on_val(make, train, val, test) -> float:
    """Fit one model per regularisation strength; the test accuracy of the one best on validation."""
    scored = []
    for c in C_GRID:
        model = make(c).fit(*train)
        scored.append((model.score(*val), model.score(*test)))
    return round(max(scored)[1], 4)


def feature_rows(dm, featurize) -> dict[str, tuple[np.ndarray, list[int]]]:
    """``(X, y)`` of every split: ``featurize`` maps one sample's ``(T, F)`` sequence to a flat vector."""
    dm.setup("fit")
    dm.setup("test")
    data = {}
    for split in ("train", "val", "test"):
        dataset = dm.dataset(split)
        rows = [dataset[i] for i in range(len(dataset))]
        data[split] = (np.stack([featurize(x).numpy() for x, _, _ in rows]), [y for _, y, _ in rows])
    return data


def sentiment(size: int) -> dict[str, float]:
    splits = {s: generate_sentiment_corpus(n, seed) for s, n, seed in generated_splits(size, 0, minimum=3)}
    data = {s: ([t for t, _ in rows], [lab for _, lab in rows]) for s, rows in splits.items()}
    tokenize = WordTokenizer()
    results = {}
    for name, ngrams in (("tfidf_unigram_logreg", (1, 1)), ("tfidf_bigram_logreg", (1, 2))):
        def make(c: float, ngrams: tuple[int, int] = ngrams):
            vectorizer = TfidfVectorizer(tokenizer=tokenize, token_pattern=None, lowercase=False,
                                         ngram_range=ngrams, sublinear_tf=True)
            return make_pipeline(vectorizer, LogisticRegression(C=c, max_iter=3000))
        results[name] = best_on_val(make, data["train"], data["val"], data["test"])
    return results


def digits(size: int) -> dict[str, float]:
    data = feature_rows(RowScanImageDataModule(generated_size=size), lambda x: x.reshape(-1))
    make = lambda c: make_pipeline(StandardScaler(), LogisticRegression(C=c / 100, max_iter=2000))  # noqa: E731
    return {"pixel_logreg": best_on_val(make, data["train"], data["val"], data["test"])}


def audio(size: int) -> dict[str, float]:
    features = AudioFeatures("logmel", 8000, frame_length=256, hop_length=160, n_mels=32, normalization="utterance")
    dm = AudioKeywordsDataModule(features=features, generated_size=size)
    data = feature_rows(dm, lambda x: torch.cat([x.mean(0), x.std(0)]))  # (2F,) per clip
    make = lambda c: make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=3000))  # noqa: E731
    return {"frame_stats_logreg": best_on_val(make, data["train"], data["val"], data["test"])}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0, help="share of each recipe's embedded size")
    parser.add_argument("--json", type=Path, default=None, help="also write the result to this file")
    args = parser.parse_args()
    sizes = {name: max(30, round(size * args.scale)) for name, size in RECIPE_SIZES.items()}
    result = {
        "sizes": sizes,
        "test_accuracy": {
            "sentiment": sentiment(sizes["sentiment"]),
            "digits": digits(sizes["digits"]),
            "audio": audio(sizes["audio"]),
        },
    }
    line = json.dumps(result)
    if args.json is not None:
        args.json.write_text(line + "\n", encoding="utf-8")
    print(line)


if __name__ == "__main__":
    main()
