"""What every benchmark shares: interleaved timing, ratios, table rows, the device/precision context and a CLI.

Absolute times on shared machines are noise; ratios measured in one process, with the contenders run in turn
(A, B, A, B, ...) after a warm-up, are not. Every benchmark module exposes ``SIZES`` (``tiny`` for the test
suite, ``default`` for 2 CPU cores, ``full`` and ``gpu``) and ``run(settings) -> dict`` whose ``rows`` feed the
README table.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch

SIZE_NAMES = ("tiny", "default", "full", "gpu")


@dataclass(frozen=True)
class Settings:
    """How one benchmark runs: its size preset, device, bf16 autocast, CPU threads and repeats.

    Attributes:
        size: a key of the benchmark's ``SIZES``.
        device: ``cpu`` or ``cuda``.
        bf16: run the timed work under bf16 autocast.
        threads: ``torch.set_num_threads`` for CPU runs.
        repeats: timed rounds per contender (None: the size preset's).
    """

    size: str = "default"
    device: str = "cpu"
    bf16: bool = False
    threads: int = 2
    repeats: int | None = None

    def autocast(self) -> contextlib.AbstractContextManager[Any]:
        """bf16 autocast on the device when asked for, otherwise a no-op context."""
        if not self.bf16:
            return contextlib.nullcontext()
        return torch.autocast(self.device, dtype=torch.bfloat16)

    def synchronize(self) -> None:
        """Wait for queued GPU work, so a timer stops when the work is done."""
        if self.device == "cuda":
            torch.cuda.synchronize()


@dataclass
class Timing:
    """Seconds of each timed round of one contender."""

    seconds: list[float] = field(default_factory=list)

    @property
    def min(self) -> float:
        """Fastest round (the least disturbed by other load)."""
        return min(self.seconds)

    @property
    def median(self) -> float:
        """Median round."""
        return statistics.median(self.seconds)

    def summary(self, scale: float = 1.0) -> dict[str, float]:
        """``min`` and ``median`` seconds times ``scale`` (e.g. ``1000 / items`` for ms per item), rounded."""
        return {"min": round(self.min * scale, 6), "median": round(self.median * scale, 6)}


def interleave(
    contenders: dict[str, Callable[[], Any]], repeats: int, settings: Settings, warmup: int = 1
) -> dict[str, Timing]:
    """Time each contender ``repeats`` times, in turn (A, B, C, A, B, C, ...), after ``warmup`` untimed rounds.

    Each callable does one round of work; it is timed with ``perf_counter`` and a device synchronisation on both
    sides, so queued GPU work is counted where it was issued.
    """

    def timed(fn: Callable[[], Any]) -> Callable[[], float]:
        def wrapper() -> float:
            settings.synchronize()
            start = time.perf_counter()
            fn()
            settings.synchronize()
            return time.perf_counter() - start

        return wrapper

    return interleave_self_timed({name: timed(fn) for name, fn in contenders.items()}, repeats, warmup)


def interleave_self_timed(
    contenders: dict[str, Callable[[], float]], repeats: int, warmup: int = 1
) -> dict[str, Timing]:
    """Like ``interleave`` for contenders that time themselves: each round returns the seconds that count.

    For work with set-up that is not being compared (building a ``Trainer``, the first step's lazy
    initialisation): the contender measures only the steady part.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats!r}")
    for _ in range(warmup):
        for fn in contenders.values():
            fn()
    timings = {name: Timing() for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            timings[name].seconds.append(fn())
    return timings


def speedup(baseline: Timing, library: Timing) -> float:
    """How many times faster the library is: baseline time over library time, each its fastest round.

    The fastest round is the one least disturbed by other load on a shared machine (as ``timeit`` advises).
    """
    return round(baseline.min / library.min, 3)


def row(
    benchmark: str, metric: str, library: float, baseline: float, ratio: float, target: str, met: bool | None
) -> dict[str, Any]:
    """One line of the README table: what was measured for the library and its baseline, and the target.

    A row with target ``report`` has no target to meet: its ``met`` is None (the table shows a dash).
    """
    if (target == "report") != (met is None):
        raise ValueError(f"{benchmark} / {metric}: a 'report' row has met=None, a row with a target a bool")
    return {
        "benchmark": benchmark,
        "metric": metric,
        "library": float(f"{library:.4g}"),
        "baseline": float(f"{baseline:.4g}"),
        "ratio": float(f"{ratio:.4g}"),
        "target": target,
        "met": None if met is None else bool(met),
    }


def met_cell(met: bool | None) -> str:
    """A row's ``met`` as README shows it: ``yes``, ``**no**``, or ``-`` for a ``report`` row."""
    return "-" if met is None else ("yes" if met else "**no**")


def rows_table(rows: list[dict[str, Any]], library: str, baseline: str, ratio: str = "ratio") -> str:
    """One benchmark's rows as a README table whose figure columns are named ``library``, ``baseline``, ``ratio``."""
    lines = [f"| metric | {library} | {baseline} | {ratio} | target | met |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['metric']} | {r['library']:g} | {r['baseline']:g} | {r['ratio']:g} | {r['target']} | "
                     f"{met_cell(r['met'])} |")
    return "\n".join(lines)


def max_abs_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    """Largest absolute difference of two tensors, in fp32."""
    return float((a.float() - b.float()).abs().max())


@contextlib.contextmanager
def threads(count: int) -> Iterator[None]:
    """Run with ``count`` intra-op CPU threads, restoring the previous setting afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def parse_settings(description: str, argv: list[str] | None = None) -> Settings:
    """The command line every benchmark script shares: ``--size``, ``--full``, ``--device``, ``--bf16``, ..."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--size", choices=SIZE_NAMES, default="default", help="size preset")
    parser.add_argument("--full", action="store_true", help="shorthand for --size full")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--bf16", action="store_true", help="time under bf16 autocast")
    parser.add_argument("--threads", type=int, default=2, help="CPU intra-op threads")
    parser.add_argument("--repeats", type=int, default=None, help="timed rounds (default: the preset's)")
    args = parser.parse_args(argv)
    size = "full" if args.full else args.size
    return Settings(size, args.device, args.bf16, args.threads, args.repeats)


def main(run: Callable[[Settings], dict[str, Any]], description: str) -> None:
    """Parse the shared command line, run one benchmark and print its JSON on one line."""
    settings = parse_settings(description)
    with threads(settings.threads):
        print(json.dumps(run(settings)))
