"""Benchmark 5: CTC decoding: vectorised greedy vs batched prefix beam search (width 10), cost and CER.

    python benchmarks/ctc_decoding.py [--size tiny|default|full]

Utterances of 100 frames hold random label sequences (about one label per 4 frames, repeats and blanks between),
scored like an imperfect acoustic model: the aligned label gets a margin over noisy competitors, so greedy
decoding makes some errors and a beam can fix part of them. Rounds alternate greedy / beam over the whole batch.
Prints JSON: ms per utterance of each (target: beam <= 10 ms per 100-frame utterance) and the character error
rate of each against the true labels.
"""

from __future__ import annotations

from typing import Any

import torch
from harness import Settings, interleave, main, row
from torchmetrics.functional.text import char_error_rate

from lightning_seq.tasks.ctc_decoding import ctc_greedy_decode, ctc_prefix_beam_search

SIZES = {
    "tiny": {"batch": 2, "frames": 12, "vocab": 6, "beam": 3, "repeats": 1},
    "default": {"batch": 64, "frames": 100, "vocab": 30, "beam": 10, "repeats": 5},
    "full": {"batch": 256, "frames": 100, "vocab": 30, "beam": 10, "repeats": 5},
    "gpu": {"batch": 256, "frames": 100, "vocab": 30, "beam": 10, "repeats": 5},
}
MARGIN, NOISE = 4.0, 1.0  # aligned label logit margin and noise scale


def utterances(batch: int, frames: int, vocab: int, seed: int = 0) -> tuple[torch.Tensor, list[list[int]]]:
    """Log-probabilities ``(B, T, V)`` (blank 0) and the true label sequence of each utterance."""
    generator = torch.Generator().manual_seed(seed)
    frame_ids = torch.zeros(batch, frames, dtype=torch.long)
    labels = []
    for b in range(batch):
        sequence, t = [], 0
        while t < frames:
            label = int(torch.randint(1, vocab, (1,), generator=generator))
            width = int(torch.randint(1, 4, (1,), generator=generator))  # frames the label lasts
            gap = int(torch.randint(0, 3, (1,), generator=generator))  # blanks after it
            if sequence and sequence[-1] == label:
                gap = max(gap, 1)  # a repeated label needs a blank between
            if t + width > frames:
                break
            frame_ids[b, t : t + width] = label
            sequence.append(label)
            t += width + gap
        labels.append(sequence)
    logits = torch.randn(batch, frames, vocab, generator=generator) * NOISE
    logits += torch.nn.functional.one_hot(frame_ids, vocab).float() * MARGIN
    return torch.log_softmax(logits, dim=-1), labels


def as_text(ids: list[int]) -> str:
    """Label ids as characters (for the CER)."""
    return "".join(chr(ord("A") + i) for i in ids)


def run(settings: Settings) -> dict[str, Any]:
    """Time greedy and beam decoding over one batch; CER of each."""
    size = SIZES[settings.size]
    log_probs, labels = utterances(size["batch"], size["frames"], size["vocab"])
    log_probs = log_probs.to(settings.device)
    lengths = torch.full((size["batch"],), size["frames"], device=settings.device)
    outputs: dict[str, list[list[int]]] = {}

    def greedy() -> None:
        outputs["greedy"] = ctc_greedy_decode(log_probs, lengths)

    def beam() -> None:
        outputs["beam"], _ = ctc_prefix_beam_search(log_probs, lengths, beam_size=size["beam"])

    timings = interleave({"greedy": greedy, "beam": beam}, settings.repeats or size["repeats"], settings)
    truth = [as_text(seq) for seq in labels]
    cer = {name: float(char_error_rate([as_text(s) for s in out], truth)) for name, out in outputs.items()}
    per_utterance_ms = {name: 1000 * t.min / size["batch"] * 100 / size["frames"] for name, t in timings.items()}
    beam_ms = per_utterance_ms["beam"]
    return {
        "benchmark": "ctc_decoding",
        "settings": vars(settings) | size,
        "ms_per_100_frames": {k: round(v, 4) for k, v in per_utterance_ms.items()},
        "cer": {k: round(v, 4) for k, v in cer.items()},
        "mean_labels": round(sum(map(len, labels)) / len(labels), 1),
        "rows": [
            row("5 CTC decoding", f"beam-{size['beam']} ms per 100 frames (vs greedy)", beam_ms,
                per_utterance_ms["greedy"], beam_ms / per_utterance_ms["greedy"], "<= 10 ms", beam_ms <= 10),
            row("5 CTC decoding", "CER beam (vs greedy)", cer["beam"], cer["greedy"],
                cer["beam"] / max(cer["greedy"], 1e-9), "<= 1 (beam no worse)", cer["beam"] <= cer["greedy"]),
        ],
    }


if __name__ == "__main__":
    main(run, __doc__.splitlines()[0])
