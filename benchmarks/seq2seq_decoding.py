"""Benchmark 4: batched vs one-at-a-time decoding of an attention encoder-decoder, greedy and beam-5.

    python benchmarks/seq2seq_decoding.py [--size tiny|default|full|gpu] [--device cuda] [--bf16]

Same model (random weights, the seq2seq recipe's sizes: BiLSTM-128 encoder, additive attention), same sources
(lengths 3-10). Batched decodes the whole batch at once (beam: all ``B × K`` hypotheses as one batch);
one-at-a-time calls ``generate`` per sentence. Rounds alternate batched / one-at-a-time. Prints JSON: seconds
for the whole batch each way, the speed-ups, and whether the batched outputs equal the one-at-a-time outputs.
"""

from __future__ import annotations

import functools
from typing import Any

import torch
from harness import Settings, interleave, main, row, speedup

from lightning_seq.data.text.vocab import SPECIALS
from lightning_seq.nn import LSTMEncoder
from lightning_seq.tasks import BeamSearch, Greedy, Seq2SeqTask
from lightning_seq.tasks.encoder_decoder import GeneratedSequences

SIZES = {
    "tiny": {"batch": 4, "beam": 5, "max_length": 5, "hidden": 16, "repeats": 1},
    "default": {"batch": 128, "beam": 5, "max_length": 20, "hidden": 128, "repeats": 3},
    "full": {"batch": 128, "beam": 5, "max_length": 40, "hidden": 256, "repeats": 5},
    "gpu": {"batch": 128, "beam": 5, "max_length": 40, "hidden": 256, "repeats": 5},
}
TARGETS = {"greedy": 8.0, "beam": 6.0}


def same_outputs(batched: GeneratedSequences, single: list[GeneratedSequences]) -> bool:
    """Whether every row of the batched result has exactly the tokens of its one-at-a-time result."""
    return all(
        batched.tokens[i, 0, : batched.lengths[i, 0]].tolist() == s.tokens[0, 0, : s.lengths[0, 0]].tolist()
        for i, s in enumerate(single)
    )


def run(settings: Settings) -> dict[str, Any]:
    """Time both ways for greedy and beam search; check the outputs agree."""
    size = SIZES[settings.size]
    torch.manual_seed(0)
    vocab = list(SPECIALS) + [chr(ord("a") + i) for i in range(20)]
    model = Seq2SeqTask(
        vocab_size=len(vocab),
        target_vocab_size=len(vocab),
        max_length=size["max_length"],
        encoder=functools.partial(LSTMEncoder, hidden_size=size["hidden"], bidirectional=True),
    )
    model.to(settings.device).eval()
    batch = size["batch"]
    lengths = torch.randint(3, 11, (batch,))
    sources = torch.randint(len(SPECIALS), len(vocab), (batch, int(lengths.max())))
    sources[torch.arange(sources.size(1)).unsqueeze(0) >= lengths.unsqueeze(1)] = 0
    sources, lengths = sources.to(settings.device), lengths.to(settings.device)
    result: dict[str, Any] = {"benchmark": "seq2seq_decoding", "settings": vars(settings) | size, "rows": []}
    outputs: dict[str, Any] = {}

    def batched() -> None:
        outputs["batched"] = model.generate(sources, lengths)

    def one_at_a_time() -> None:
        outputs["single"] = [
            model.generate(sources[i : i + 1, : int(lengths[i])], lengths[i : i + 1]) for i in range(batch)
        ]

    for mode, strategy in (("greedy", Greedy()), ("beam", BeamSearch(beam_size=size["beam"]))):
        model.decoding = strategy
        with torch.no_grad(), settings.autocast():
            timings = interleave({"batched": batched, "one_at_a_time": one_at_a_time}, size["repeats"], settings)
        ratio = speedup(timings["one_at_a_time"], timings["batched"])
        identical = same_outputs(outputs["batched"], outputs["single"])
        result[mode] = {
            "seconds": {k: t.summary() for k, t in timings.items()},
            "speedup": ratio,
            "identical_outputs": identical,
        }
        name = f"beam-{size['beam']}" if mode == "beam" else "greedy"
        result["rows"].append(
            row("4 Batched decoding", f"{name} sentences/s, batch {batch}", batch / timings["batched"].min,
                batch / timings["one_at_a_time"].min, ratio, f">= {TARGETS[mode]:g}x, identical",
                ratio >= TARGETS[mode] and identical)
        )
    return result


if __name__ == "__main__":
    main(run, __doc__.splitlines()[0])
