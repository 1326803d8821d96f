"""Length-aware encoder vs plain padded nn.LSTM vs PackedSequence: forward+backward time, interleaved.

    python benchmarks/encoder_padding.py [--batch 32] [--hidden 128] [--max-len 200] [--repeats 5]

Same weights, same batch (lognormal lengths). Prints JSON: median seconds per step of each, the ratios, and the
largest difference of the library's outputs and final states from the packed reference. Plain padded nn.LSTM
is the speed floor but is wrong for the backward direction on padded rows; packed is exact but slow.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from lightning_seq.nn import LSTMEncoder
from lightning_seq.nn.packed import packed_reference, to_torch_rnn


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--max-len", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    encoder = LSTMEncoder(args.hidden, args.hidden, bidirectional=True)
    reference = to_torch_rnn(encoder)
    lengths = torch.distributions.LogNormal(torch.log(torch.tensor(args.max_len * 0.45)), 0.5).sample((args.batch,))
    lengths = lengths.round().clamp(1, args.max_len).long()
    x = torch.randn(args.batch, int(lengths.max()), args.hidden)

    def library() -> None:
        out, state = encoder(x, lengths)
        (out.sum() + state.hidden.sum()).backward()

    def padded() -> None:
        out, (h, _) = reference(x)
        (out.sum() + h.sum()).backward()

    def packed() -> None:
        out, state = packed_reference(reference, x, lengths)
        (out.sum() + state.hidden.sum()).backward()

    runs = {"library": library, "padded_nn_lstm": padded, "packed_nn_lstm": packed}
    times: dict[str, list[float]] = {name: [] for name in runs}
    for fn in runs.values():
        fn()  # warm-up
    for _ in range(args.repeats):
        for name, fn in runs.items():  # interleaved A/B/C
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    median = {name: statistics.median(t) for name, t in times.items()}
    with torch.no_grad():
        out, state = encoder.eval()(x, lengths)
        ref_out, ref_state = packed_reference(reference.eval(), x, lengths)
    result = {
        "config": vars(args) | {"mean_length": float(lengths.float().mean()), "padded_length": int(lengths.max())},
        "median_s": {k: round(v, 5) for k, v in median.items()},
        "library_time_over_padded": round(median["library"] / median["padded_nn_lstm"], 3),
        "library_speedup_over_packed": round(median["packed_nn_lstm"] / median["library"], 3),
        "max_abs_diff_vs_packed": {
            "outputs": float((out - ref_out).abs().max()),
            "hidden": float((state.hidden - ref_state.hidden).abs().max()),
            "cell": float((state.cell - ref_state.cell).abs().max()),
        },
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
