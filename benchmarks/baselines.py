"""Simple baselines on the embedded data sets, on the splits the recipes use (README quotes them beside each recipe).

    python benchmarks/baselines.py [--scale 1.0] [--json benchmarks/results/baselines.json]

* sentiment, on both embedded corpora (``word_order``, the recipe's default, and ``long_tail``, real tweets'
  statistics): tf-idf logistic regression over word unigrams, over unigrams + bigrams (the strong classic) and over
  character 2-5-grams within words (what a character model could read without order), and
  a fastText-style bag of embeddings (the mean of hashed word and word-pair vectors, then a linear layer; Adam,
  the epoch best on validation); and the share of the long-tail training split's word types seen once;
* digits: logistic regression over the 784 pixels;
* audio keywords: logistic regression over each clip's mean and standard deviation of its 32 log-mel bands (a bag
  of frames: it sees the spectrum, not the order);
* character language model: interpolated Kneser-Ney n-grams of orders 3-9 (``lightning_seq.baselines``) on the
  char-LM recipe's embedded corpus and on real text every machine here has (the installed packages'
  documentation and licences, ``lightning_seq.data.readers.package_texts``), each on the token stream the recipe reads;
  perplexity and bits per character on validation and test, and the order best on validation.

Each is fitted on the training split, its regularisation (or order) chosen on the validation split, and scored on
the test split. ``--scale`` shrinks every embedded set and the package texts' training stream (for the test of
this script). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import torch
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from lightning_seq.baselines import KneserNeyLM, token_symbols
from lightning_seq.data import AudioKeywordsDataModule, RowScanImageDataModule, TextCorpusDataModule
from lightning_seq.data.modules.records import generated_splits
from lightning_seq.data.readers.package_texts import write_package_text_splits
from lightning_seq.data.synthetic.sentiment import generate_sentiment_corpus
from lightning_seq.data.synthetic.short_texts import generate_short_text_corpus, hapax_share
from lightning_seq.data.text.tokenizers import WordTokenizer
from lightning_seq.data.text.vocab import Vocabulary
from lightning_seq.nn import AudioFeatures, NgramBag

RECIPE_SIZES = {"sentiment": 8000, "digits": 10000, "audio": 2400, "charlm": 4000}  # generated_size in each recipe
ORDERS = (3, 4, 5, 6, 7, 8, 9)
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


def bag_of_embeddings(data: dict[str, tuple[list[str], list[str]]], epochs: int = 4) -> float:
    """fastText-style: the mean of hashed n-gram embeddings (dim 32), a linear layer, Adam (lr 0.01, batch 32).

    Words only or words and word pairs, and every word or those seen twice (the rest one ``<unk>``): the setting
    and the epoch best on validation; its test accuracy.
    """
    tokenize = WordTokenizer()
    names = sorted(set(data["train"][1]))
    scored = []
    for min_freq in (1, 2):
        vocab = Vocabulary.build([tokenize(t) for t in data["train"][0]], min_freq=min_freq)
        encoded = {}
        for split, (texts, labels) in data.items():
            rows = [torch.tensor(vocab.encode(tokenize(t)) or [1]) for t in texts]
            ids = torch.nn.utils.rnn.pad_sequence(rows, batch_first=True)  # (N, T)
            targets = torch.tensor([names.index(y) for y in labels])
            encoded[split] = (ids, torch.tensor([len(r) for r in rows]), targets)
        for order in (1, 2):
            torch.manual_seed(0)
            bag, out = NgramBag(num_buckets=50_000, embedding_dim=32, max_order=order), torch.nn.Linear(32, len(names))
            optimizer = torch.optim.Adam([*bag.parameters(), *out.parameters()], lr=0.01)
            ids, lengths, targets = encoded["train"]
            for _ in range(epochs):
                for batch in torch.randperm(len(targets)).split(32):
                    logits = out(bag(ids[batch], lengths[batch]))
                    loss = torch.nn.functional.cross_entropy(logits, targets[batch])
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                with torch.no_grad():
                    scored.append(tuple(
                        (out(bag(x, n)).argmax(-1) == y).float().mean().item()
                        for x, n, y in (encoded["val"], encoded["test"])))
    return round(max(scored, key=lambda pair: pair[0])[1], 4)


def sentiment(size: int, corpus: str) -> dict[str, float]:
    """The bag-of-words baselines on the embedded corpus ``corpus`` (the recipe's splits)."""
    make_corpus = generate_short_text_corpus if corpus == "long_tail" else generate_sentiment_corpus
    splits = {s: make_corpus(n, seed) for s, n, seed in generated_splits(size, 0, minimum=3)}
    data = {s: ([t for t, _ in rows], [lab for _, lab in rows]) for s, rows in splits.items()}
    tokenize = WordTokenizer()
    results = {}
    for name, ngrams in (("tfidf_unigram_logreg", (1, 1)), ("tfidf_bigram_logreg", (1, 2))):
        def make(c: float, ngrams: tuple[int, int] = ngrams):
            vectorizer = TfidfVectorizer(tokenizer=tokenize, token_pattern=None, lowercase=False,
                                         ngram_range=ngrams, sublinear_tf=True)
            return make_pipeline(vectorizer, LogisticRegression(C=c, max_iter=3000))
        results[name] = best_on_val(make, data["train"], data["val"], data["test"])

    def make_chars(c: float):
        vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=True, sublinear_tf=True)
        return make_pipeline(vectorizer, LogisticRegression(C=c, max_iter=3000))
    results["tfidf_char_logreg"] = best_on_val(make_chars, data["train"], data["val"], data["test"])
    results["bag_of_embeddings"] = bag_of_embeddings(data)
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


def kneser_ney(dm: TextCorpusDataModule, train_share: float = 1.0) -> dict:
    """Kneser-Ney orders 3-9 on ``dm``'s token streams: perplexity and bits per token, the best order on val."""
    train = token_symbols(dm.token_ids("train"))
    train = train[: max(2, round(len(train) * train_share))]
    evaluated = {split: token_symbols(dm.token_ids(split)) for split in ("val", "test")}
    orders = {}
    for order in ORDERS:
        model = KneserNeyLM(order).fit(train)
        bits = {split: model.bits_per_character(text) for split, text in evaluated.items()}
        orders[str(order)] = {f"{split}_ppl": round(2.0**b, 4) for split, b in bits.items()} | {
            f"{split}_bpc": round(b, 4) for split, b in bits.items()}
    best = min(orders, key=lambda order: orders[order]["val_ppl"])
    unigram = {f"{split}_ppl": round(dm.unigram_perplexity(split), 4) for split in evaluated}
    sizes = {"train": len(train), **{split: len(text) for split, text in evaluated.items()}}
    return {"tokens": sizes, "unigram": unigram, "kneser_ney": orders, "best_order": int(best),
            "best": orders[best]}


def language_model(size: int, train_share: float) -> dict:
    """The char-LM baselines on the recipe's embedded corpus and on the installed packages' texts."""
    with tempfile.TemporaryDirectory() as folder:
        paths = write_package_text_splits(folder)
        real = TextCorpusDataModule(train_path=str(paths["train"]), val_path=str(paths["val"]),
                                    test_path=str(paths["test"]))
        return {"embedded": kneser_ney(TextCorpusDataModule(generated_size=size)),
                "package_texts": kneser_ney(real, train_share)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0, help="share of each recipe's embedded size")
    parser.add_argument("--json", type=Path, default=None, help="also write the result to this file")
    args = parser.parse_args()
    sizes = {name: max(30, round(size * args.scale)) for name, size in RECIPE_SIZES.items()}
    result = {
        "sizes": sizes,
        "test_accuracy": {
            "sentiment": sentiment(sizes["sentiment"], "word_order"),
            "short_texts": sentiment(sizes["sentiment"], "long_tail"),
            "digits": digits(sizes["digits"]),
            "audio": audio(sizes["audio"]),
        },
        "short_texts_hapax_share": round(hapax_share([t for t, _ in generate_short_text_corpus(
            sizes["sentiment"], generated_splits(sizes["sentiment"], 0)[0][2])]), 3),
        "language_model": language_model(sizes["charlm"], min(1.0, args.scale)),
    }
    line = json.dumps(result)
    if args.json is not None:
        args.json.write_text(line + "\n", encoding="utf-8")
    print(line)


if __name__ == "__main__":
    main()
