"""CTC decoding cost: greedy vs batched prefix beam search, per 100-frame utterance, and their agreement.

    python benchmarks/ctc_decoding.py [--batch 32] [--frames 100] [--vocab 40] [--beam 10] [--repeats 5]

Log-probabilities are peaked like a trained model's (one label dominates each frame). Prints JSON: median
milliseconds per utterance for each decoder and how often beam and greedy agree.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from lightning_seq.tasks.ctc_decoding import ctc_greedy_decode, ctc_prefix_beam_search


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--vocab", type=int, default=40)
    parser.add_argument("--beam", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(0, args.vocab, (args.batch, args.frames), generator=generator)
    ids[torch.rand(args.batch, args.frames, generator=generator) < 0.5] = 0  # blanks between labels
    logits = torch.nn.functional.one_hot(ids, args.vocab).float() * 4
    log_probs = torch.log_softmax(logits + torch.randn(logits.shape, generator=generator), dim=-1)
    lengths = torch.full((args.batch,), args.frames)
    times: dict[str, list[float]] = {"greedy": [], "beam": []}
    for _ in range(args.repeats):
        start = time.perf_counter()
        greedy = ctc_greedy_decode(log_probs, lengths)
        times["greedy"].append(time.perf_counter() - start)
        start = time.perf_counter()
        beam, _ = ctc_prefix_beam_search(log_probs, lengths, args.beam)
        times["beam"].append(time.perf_counter() - start)
    per_utt = {name: round(1000 * statistics.median(t) / args.batch, 3) for name, t in times.items()}
    agree = sum(g == b for g, b in zip(greedy, beam, strict=True)) / args.batch
    print(json.dumps({"config": vars(args), "ms_per_utterance": per_utt, "beam_equals_greedy": agree}))


if __name__ == "__main__":
    main()
