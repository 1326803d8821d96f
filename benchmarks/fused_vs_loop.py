"""Benchmark 3: the library's encoders vs raw ``nn.LSTM`` / ``nn.GRU`` vs a per-step cell loop, train and inference.

    python benchmarks/fused_vs_loop.py [--size tiny|default|full|gpu] [--device cuda] [--bf16]

One bidirectional layer, the same weights three ways, on the same padded batch (lengths between 0.8 T and T, as
a bucketed batch has):

* ``library``: ``LSTMEncoder`` / ``GRUEncoder`` (fused kernels, exact on padded rows);
* ``raw``: ``nn.LSTM`` / ``nn.GRU(bidirectional=True)`` on the padded batch (the speed floor; its backward
  direction starts on padding);
* ``cell_loop``: ``nn.LSTMCell`` / ``nn.GRUCell`` stepped in Python over time, each direction, with the state
  held at padded steps (exact; what one writes without the fused kernels).

Train is forward + backward, inference is ``eval`` + ``no_grad`` forward. Rounds alternate the three. Prints JSON:
min and median ms of each, library speed relative to raw (target >= 0.95) and the speed-up over the cell loop
(ratios from each side's fastest round).
"""

from __future__ import annotations

from typing import Any

import torch
from harness import Settings, interleave, main, max_abs_diff, row, speedup
from torch import Tensor, nn

from lightning_seq.nn import GRUEncoder, LSTMEncoder
from lightning_seq.nn.masking import lengths_to_mask
from lightning_seq.nn.packed import to_torch_rnn
from lightning_seq.nn.recurrent import RecurrentEncoder

SIZES = {
    "tiny": {"batch": 4, "steps": 12, "features": 8, "hidden": 8, "repeats": 1},
    "default": {"batch": 32, "steps": 200, "features": 64, "hidden": 128, "repeats": 20},
    "full": {"batch": 64, "steps": 400, "features": 128, "hidden": 256, "repeats": 5},
    "gpu": {"batch": 64, "steps": 400, "features": 256, "hidden": 512, "repeats": 10},
}


class CellLoop(nn.Module):
    """A bidirectional layer as two ``nn.LSTMCell`` / ``nn.GRUCell`` stepped over time, state held on padding.

    Args:
        reference: a bidirectional one-layer ``nn.LSTM`` or ``nn.GRU`` whose weights the cells copy.
    """

    def __init__(self, reference: nn.RNNBase) -> None:
        super().__init__()
        kind = nn.LSTMCell if isinstance(reference, nn.LSTM) else nn.GRUCell
        self.cells = nn.ModuleList()
        for suffix in ("_l0", "_l0_reverse"):
            cell = kind(reference.input_size, reference.hidden_size)
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(cell, name).data.copy_(getattr(reference, name + suffix).data)
            self.cells.append(cell)
        self.is_lstm = kind is nn.LSTMCell

    def forward(self, x: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """``x (B, T, F)``, ``lengths (B,)`` -> outputs ``(B, T, 2H)`` (zero on padding), final hidden ``(B, 2H)``."""
        valid = lengths_to_mask(lengths, x.size(1)).unsqueeze(-1)  # (B, T, 1)
        outputs, finals = [], []
        for direction, cell in enumerate(self.cells):
            h = x.new_zeros(x.size(0), cell.hidden_size)  # (B, H)
            c = torch.zeros_like(h)
            steps = range(x.size(1)) if direction == 0 else reversed(range(x.size(1)))
            per_step: list[Tensor] = [h] * x.size(1)
            for t in steps:
                keep = valid[:, t]  # (B, 1)
                if self.is_lstm:
                    new_h, new_c = cell(x[:, t], (h, c))
                    c = torch.where(keep, new_c, c)
                else:
                    new_h = cell(x[:, t], h)
                h = torch.where(keep, new_h, h)
                per_step[t] = h
            outputs.append(torch.stack(per_step, dim=1))  # (B, T, H)
            finals.append(h)
        return torch.cat(outputs, dim=-1) * valid, torch.cat(finals, dim=-1)


def compare(
    encoder_cls: type[RecurrentEncoder], x: Tensor, lengths: Tensor, settings: Settings, repeats: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Train and inference timings of the three ways for one encoder class, and its exactness vs the loop."""
    batch = x.size(0)
    encoder = encoder_cls(x.size(-1), SIZES[settings.size]["hidden"], bidirectional=True).to(settings.device)
    raw = to_torch_rnn(encoder).to(settings.device)
    loop = CellLoop(raw).to(settings.device)
    device_lengths = lengths.to(settings.device)

    def library() -> Tensor:
        out, state = encoder(x, lengths)
        return out.float().sum() + state.hidden.float().sum()

    def plain() -> Tensor:
        out, state = raw(x)
        h = state[0] if isinstance(state, tuple) else state
        return out.float().sum() + h.float().sum()

    def cells() -> Tensor:
        out, h = loop(x, device_lengths)
        return out.float().sum() + h.float().sum()

    ways = {"library": library, "raw": plain, "cell_loop": cells}
    name = "LSTM" if encoder_cls is LSTMEncoder else "GRU"
    report: dict[str, Any] = {}
    rows = []
    for mode in ("train", "inference"):
        for module in (encoder, raw, loop):
            module.train(mode == "train")
        if mode == "train":
            contenders = {k: (lambda fn=fn: fn().backward()) for k, fn in ways.items()}
        else:
            contenders = {k: torch.no_grad()(fn) for k, fn in ways.items()}
        with settings.autocast():
            timings = interleave(contenders, repeats, settings)
        vs_raw = speedup(timings["raw"], timings["library"])
        vs_loop = speedup(timings["cell_loop"], timings["library"])
        report[mode] = {"ms": {k: t.summary(1000) for k, t in timings.items()}, "speed_vs_raw": vs_raw,
                        "speedup_vs_cell_loop": vs_loop}
        per_s = {k: batch / t.min for k, t in timings.items()}
        rows.append(row("3 Fused encoders", f"{name} {mode} sequences/s vs raw nn.{name}",
                        per_s["library"], per_s["raw"], vs_raw, ">= 0.95", vs_raw >= 0.95))
        rows.append(row("3 Fused encoders", f"{name} {mode} sequences/s vs cell loop",
                        per_s["library"], per_s["cell_loop"], vs_loop, "> 1", vs_loop > 1))
    encoder.eval()
    loop.eval()
    with torch.no_grad():
        out, state = encoder(x, lengths)
        loop_out, loop_h = loop(x, device_lengths)
    report["max_abs_diff_vs_cell_loop"] = max(max_abs_diff(out, loop_out), max_abs_diff(state.hidden[0], loop_h))
    return report, rows


def run(settings: Settings) -> dict[str, Any]:
    """Train and inference timings of the three ways for LSTM and GRU; exactness of the library vs the loop."""
    size = SIZES[settings.size]
    torch.manual_seed(0)
    batch, steps = size["batch"], size["steps"]
    x = torch.randn(batch, steps, size["features"], device=settings.device)
    lengths = torch.randint(int(0.8 * steps), steps + 1, (batch,))
    lengths[0] = steps
    result: dict[str, Any] = {"benchmark": "fused_vs_loop", "settings": vars(settings) | size, "rows": []}
    for encoder_cls in (LSTMEncoder, GRUEncoder):
        report, rows = compare(encoder_cls, x, lengths, settings, settings.repeats or size["repeats"])
        result["LSTM" if encoder_cls is LSTMEncoder else "GRU"] = report
        result["rows"] += rows
    return result


if __name__ == "__main__":
    main(run, __doc__.splitlines()[0])
