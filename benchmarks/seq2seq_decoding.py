"""Batched vs one-at-a-time decoding of an attention encoder-decoder: greedy and beam-5 at batch 128.

    python benchmarks/seq2seq_decoding.py [--batch 128] [--beam 5] [--max-length 20] [--repeats 3]

Same model (random weights, the recipe's sizes), same sources (lengths 3-10). Prints JSON: seconds for the whole
batch each way, the speed-up ratios, and whether batched outputs equal the one-at-a-time outputs.
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import time

import torch

from lightning_seq.data.vocab import SPECIALS
from lightning_seq.nn import LSTMEncoder
from lightning_seq.tasks import Seq2SeqTask


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument("--max-length", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    vocab = list(SPECIALS) + [chr(ord("a") + i) for i in range(20)]
    model = Seq2SeqTask(
        vocab_size=len(vocab),
        vocabulary=vocab,
        target_vocabulary=vocab,
        max_length=args.max_length,
        encoder=functools.partial(LSTMEncoder, hidden_size=128, bidirectional=True),
        beam_size=args.beam,
    )
    model.eval()
    lengths = torch.randint(3, 11, (args.batch,))
    sources = torch.randint(len(SPECIALS), len(vocab), (args.batch, int(lengths.max())))
    sources[torch.arange(sources.size(1)).unsqueeze(0) >= lengths.unsqueeze(1)] = 0
    result = {"config": vars(args)}
    for mode in ("greedy", "beam"):
        model.decoding = mode
        times = {"batched": [], "one_at_a_time": []}
        with torch.no_grad():
            for _ in range(args.repeats):
                start = time.perf_counter()
                batched = model.generate(sources, lengths)
                times["batched"].append(time.perf_counter() - start)
                start = time.perf_counter()
                single = [
                    model.generate(sources[i : i + 1, : lengths[i]], lengths[i : i + 1]) for i in range(args.batch)
                ]
                times["one_at_a_time"].append(time.perf_counter() - start)
        same = all(
            batched.tokens[i, 0, : batched.lengths[i, 0]].tolist() == s.tokens[0, 0, : s.lengths[0, 0]].tolist()
            for i, s in enumerate(single)
        )
        median = {k: statistics.median(v) for k, v in times.items()}
        result[mode] = {
            "seconds": {k: round(v, 4) for k, v in median.items()},
            "speedup": round(median["one_at_a_time"] / median["batched"], 2),
            "identical_outputs": same,
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
