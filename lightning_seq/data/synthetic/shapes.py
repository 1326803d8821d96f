"""Generated time-series classification: classes that differ in shape and timing, not in level (no download).

Each case is two channels of 64 to 128 steps: a noisy baseline (its own level, scale and slow drift, so neither the
level nor the spread tells the class) carrying one event, and a second channel that follows the first smoothed and a
few steps late, with noise of its own. The classes:

* ``early_bump`` / ``late_bump``: one bump in the first or the last part of the case (where it is, relative to the
  case's length, is the class);
* ``two_bumps``: two smaller bumps (how many is the class);
* ``step``: the level steps up and stays (a change, not a transient);
* ``burst``: a few fast oscillations, as wide as a bump (the frequency is the class).
"""

from __future__ import annotations

import numpy as np

SHAPE_CLASSES = ("early_bump", "late_bump", "two_bumps", "step", "burst")


def _event(rng: np.random.Generator, kind: str, t: np.ndarray) -> np.ndarray:
    n = len(t)
    width = rng.uniform(0.05, 0.09) * n

    def bump(centre: float, height: float) -> np.ndarray:
        return height * np.exp(-0.5 * ((t - centre) / width) ** 2)

    if kind == "early_bump":
        return bump(rng.uniform(0.15, 0.42) * n, rng.uniform(2.0, 3.5))
    if kind == "late_bump":
        return bump(rng.uniform(0.58, 0.85) * n, rng.uniform(2.0, 3.5))
    if kind == "two_bumps":
        first = rng.uniform(0.15, 0.45) * n
        return bump(first, rng.uniform(1.4, 2.4)) + bump(first + rng.uniform(0.25, 0.4) * n, rng.uniform(1.4, 2.4))
    if kind == "step":
        at = rng.uniform(0.3, 0.7) * n
        return rng.uniform(1.5, 2.5) / (1 + np.exp(-(t - at) / rng.uniform(1.0, 3.0)))
    if kind == "burst":
        centre = rng.uniform(0.2, 0.8) * n
        envelope = np.exp(-0.5 * ((t - centre) / width) ** 2)
        return rng.uniform(2.0, 3.0) * envelope * np.sin(2 * np.pi * (t - centre) / rng.uniform(4.0, 7.0))
    raise ValueError(f"no class {kind!r}: the classes are {list(SHAPE_CLASSES)}")


def generate_shapes(size: int, seed: int) -> list[tuple[np.ndarray, str]]:
    """``size`` cases ``(values (T, 2), class)``, the classes in turn (balanced), T from 64 to 128."""
    if size < 1:
        raise ValueError(f"size must be >= 1, got {size!r}")
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(size):
        kind = SHAPE_CLASSES[i % len(SHAPE_CLASSES)]
        n = int(rng.integers(64, 129))
        t = np.arange(n, dtype=np.float64)
        noise = np.cumsum(rng.normal(0, 0.08, n))  # a slow drift
        first = _event(rng, kind, t) + noise + rng.normal(0, 0.35, n)
        lag = int(rng.integers(2, 7))
        smooth = np.convolve(first, np.ones(5) / 5, mode="same")
        second = np.concatenate([np.full(lag, smooth[0]), smooth[:-lag]]) + rng.normal(0, 0.3, n)
        level, scale = rng.normal(0, 2.0, 2), rng.uniform(0.5, 2.0)
        values = np.stack([first, second], axis=1) * scale + level
        cases.append((values, kind))
    order = rng.permutation(size)
    return [cases[i] for i in order]
