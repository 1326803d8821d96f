"""The char LM, the Kneser-Ney n-gram and their interpolation, per token on one stream.

    python benchmarks/lm_interpolation.py --ckpt_path runs/charlm_package_texts/checkpoints/best.ckpt [--json FILE]

Reads the recipe's corpus (by default the installed packages' texts, ``generated_corpus="package_texts"``; or
``--train/--val/--test`` files), counts an interpolated Kneser-Ney n-gram of ``--order`` on the training stream and
scores every token of the validation and test streams with both models: the LSTM reads each split as one stream
from a zero state (full left context, unlike the recipe's 32 parallel streams), the n-gram from its last
``order - 1`` tokens. The linear mixture ``w * p_lstm + (1 - w) * p_ngram`` (the classical combination of a neural
and an n-gram LM) gets its weight ``w`` on validation (0, 0.05, ..., 1) and is reported on test. Prints one JSON
line: perplexity and bits per token of each model and of the mixture, per split.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from lightning_seq.baselines.kneser_ney import KneserNeyLM, token_symbols
from lightning_seq.data import TextCorpusDataModule
from lightning_seq.tasks import LanguageModel

WEIGHTS = [round(0.05 * i, 2) for i in range(21)]


def lstm_probabilities(model: LanguageModel, ids: Tensor, chunk: int = 4096) -> Tensor:
    """P(token i | tokens before i) of the model for i = 1 .. N-1, reading ``ids (N,)`` as one stream."""
    out, state = [], None
    with torch.inference_mode():
        for start in range(0, ids.numel() - 1, chunk):
            window = ids[start : min(start + chunk, ids.numel() - 1)]
            log_probs, state = model(window.unsqueeze(0), state)  # (1, T, V)
            targets = ids[start + 1 : start + 1 + window.numel()]
            out.append(log_probs[0].gather(1, targets.unsqueeze(1)).squeeze(1).exp().double())
    return torch.cat(out)


def ngram_probabilities(ngram: KneserNeyLM, ids: Tensor) -> Tensor:
    """P(token i | the ``order - 1`` tokens before i) of the n-gram for i = 1 .. N-1."""
    symbols = token_symbols(ids)
    keep = ngram.order - 1
    return torch.tensor([ngram.probability(symbols[max(0, i - keep) : i], symbols[i])
                         for i in range(1, len(symbols))], dtype=torch.float64)


def perplexity(probabilities: Tensor) -> float:
    """``exp`` of the mean negative log-probability."""
    return math.exp(-probabilities.log().mean().item())


def scores(lstm: Tensor, ngram: Tensor, weight: float) -> dict[str, float]:
    """Perplexity and bits per token of the LSTM, the n-gram and their mixture with ``weight`` on the LSTM."""
    mixed = weight * lstm + (1 - weight) * ngram
    out = {}
    for name, probabilities in (("lstm", lstm), ("ngram", ngram), ("mixture", mixed)):
        ppl = perplexity(probabilities)
        out[f"{name}_ppl"], out[f"{name}_bpc"] = round(ppl, 4), round(math.log2(ppl), 4)
    return out


def evaluate(model: LanguageModel, data: TextCorpusDataModule, order: int) -> dict[str, Any]:
    """Both models and the mixture on val and test; the mixture's weight chosen on val."""
    names = model.names("vocabulary")
    if names != data.vocabulary:
        raise ValueError("the checkpoint's vocabulary is not the data's: give the corpus it was trained on")
    ngram = KneserNeyLM(order).fit(token_symbols(data.token_ids("train")))
    probs = {}
    for split in ("val", "test"):
        ids = data.token_ids(split)
        probs[split] = (lstm_probabilities(model, ids), ngram_probabilities(ngram, ids))
    weight = min(WEIGHTS, key=lambda w: perplexity(w * probs["val"][0] + (1 - w) * probs["val"][1]))
    return {"order": order, "weight": weight, **{split: scores(*probs[split], weight) for split in probs}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ckpt_path", required=True, type=Path)
    parser.add_argument("--order", type=int, default=9, help="the n-gram's order (the baselines' best: 9)")
    parser.add_argument("--train", default=None, help="training text file (default: the package texts)")
    parser.add_argument("--val", default=None)
    parser.add_argument("--test", default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the result to this file")
    args = parser.parse_args()
    if args.train is None:
        data = TextCorpusDataModule(generated_corpus="package_texts")
    else:
        data = TextCorpusDataModule(train_path=args.train, val_path=args.val, test_path=args.test)
    model = LanguageModel.load_from_checkpoint(args.ckpt_path, map_location="cpu").eval()
    result = {"checkpoint": args.ckpt_path.name, **evaluate(model, data, args.order)}
    line = json.dumps(result)
    if args.json is not None:
        args.json.write_text(line + "\n", encoding="utf-8")
    print(line)


if __name__ == "__main__":
    main()
