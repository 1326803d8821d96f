"""Bag-of-words baselines on the embedded sentiment corpus (the split `recipes/sentiment_bilstm.yaml` uses).

    python benchmarks/bow_baseline.py [--size 8000] [--seed 0]

Prints JSON with the test accuracy of a unigram logistic regression and of a unigram MLP. Both see word counts
only, so on a corpus where order decides the label they should stay near chance (0.5).
"""

from __future__ import annotations

import argparse
import json

import torch
from torch import nn

from lightning_seq.data import SentimentDataModule


def counts(dm: SentimentDataModule, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    data = dm.dataset(split)
    x = torch.zeros(len(data), dm.vocab_size)
    for row, seq in enumerate(data.sequences):
        x[row].index_add_(0, seq, torch.ones(len(seq)))
    return x, torch.tensor(data.targets)


def train(model: nn.Module, x: torch.Tensor, y: torch.Tensor, xv: torch.Tensor, yv: torch.Tensor) -> nn.Module:
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-4)
    best, best_state = -1.0, None
    for _ in range(300):
        model.train()
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
        model.eval()
        with torch.no_grad():
            acc = (model(xv).argmax(1) == yv).float().mean().item()
        if acc > best:
            best, best_state = acc, {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    return model


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(0)
    dm = SentimentDataModule(generated_size=args.size, seed=args.seed)
    dm.setup("fit")
    dm.setup("test")
    (x, y), (xv, yv), (xt, yt) = counts(dm, "train"), counts(dm, "val"), counts(dm, "test")
    results = {}
    for name, model in {
        "bow_logistic_regression": nn.Linear(dm.vocab_size, 2),
        "bow_mlp": nn.Sequential(nn.Linear(dm.vocab_size, 128), nn.ReLU(), nn.Linear(128, 2)),
    }.items():
        model = train(model, x, y, xv, yv)
        with torch.no_grad():
            results[name] = round((model(xt).argmax(1) == yt).float().mean().item(), 4)
    print(json.dumps({"corpus_size": args.size, "seed": args.seed, "test_size": len(yt), "test_accuracy": results}))


if __name__ == "__main__":
    main()
