"""Forecast windows over prepared series, and their collate into a ``ForecastBatch``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from lightning_seq.data.batching.collate import pad_sequences
from lightning_seq.data.series.splits import Window
from lightning_seq.types import ForecastBatch


class PreparedSeries(NamedTuple):
    """One series as the model reads it (normalised on its training span).

    Attributes:
        past: ``(T, P)`` float32 readings known only once read (targets, observed inputs, observed indicators).
        known: ``(T', F)`` float32 inputs known in advance, ``T' >= T`` (past the data's end for prediction).
        targets: ``(T, K)`` float32 normalised targets, 0 where not read.
        observed: ``(T, K)`` bool, which targets were read.
        loc: ``(K,)`` the targets' locations.
        scale: ``(K,)`` the targets' scales.
        naive_error: ``(K,)`` the targets' seasonal-naive error on the training span, in original units.
    """

    past: np.ndarray
    known: np.ndarray
    targets: np.ndarray
    observed: np.ndarray
    loc: np.ndarray
    scale: np.ndarray
    naive_error: np.ndarray


ForecastSample = tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, int]


class ForecastWindows(Dataset):
    """Windows (``Window``: series, context start, forecast start) of ``horizon`` steps over prepared series.

    A sample is ``(context (L, P + F), future (H, F), targets (H, K), observed (H, K), loc, scale, naive_error,
    index)``; forecast steps past a series' end have target 0 and are unobserved (forecasts of the future).

    Args:
        series: the prepared series the windows index.
        windows: the windows, in order.
        horizon: forecast steps of every window.
    """

    def __init__(self, series: Sequence[PreparedSeries], windows: Sequence[Window], horizon: int) -> None:
        if horizon < 1:
            raise ValueError(f"horizon must be >= 1, got {horizon!r}")
        self.series = list(series)
        self.windows = list(windows)
        self.horizon = horizon
        for window in self.windows:
            steps, known = len(self.series[window.series].past), self.series[window.series].known
            if not 0 <= window.start < window.end <= steps:
                raise ValueError(f"window {window} does not fit its series ({steps} steps)")
            if window.end + horizon > len(known):
                raise ValueError(f"window {window} needs known inputs {horizon} steps past its end")
        self.lengths = [window.end - window.start for window in self.windows]
        # what every sample slices, built once: context features (past and known side by side) and float32 scales
        self.contexts = [np.concatenate([s.past, s.known[: len(s.past)]], axis=1) for s in self.series]
        self.scales = [tuple(torch.from_numpy(np.asarray(v, np.float32)) for v in (s.loc, s.scale, s.naive_error))
                       for s in self.series]

    def __len__(self) -> int:
        return len(self.windows)

    def __getitem__(self, index: int) -> ForecastSample:
        window = self.windows[index]
        s = self.series[window.series]
        context = self.contexts[window.series][window.start : window.end]
        stop = window.end + self.horizon
        targets = np.zeros((self.horizon, s.targets.shape[1]), np.float32)  # (H, K)
        observed = np.zeros((self.horizon, s.targets.shape[1]), bool)  # (H, K)
        read = s.targets[window.end : stop]
        targets[: len(read)], observed[: len(read)] = read, s.observed[window.end : stop]
        return (
            torch.from_numpy(context),
            torch.from_numpy(s.known[window.end : stop]),
            torch.from_numpy(targets),
            torch.from_numpy(observed),
            *self.scales[window.series],
            index,
        )


def collate_forecast(items: Sequence[ForecastSample]) -> ForecastBatch:
    """Collate forecast samples: contexts right-padded (zeros) with their lengths, the rest stacked."""
    inputs, lengths = pad_sequences([item[0] for item in items])
    stacked = [torch.stack([item[k] for item in items]) for k in range(1, 7)]
    indices = torch.tensor([item[7] for item in items], dtype=torch.long)  # (B,)
    return ForecastBatch(inputs, lengths, *stacked, indices)
