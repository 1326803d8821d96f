"""Keyword events from per-frame posteriors: causal smoothing, a threshold and a refractory period."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import Tensor


class KeywordEvent(NamedTuple):
    """One detected keyword: its label, when it started and ended (seconds from the stream start), its score."""

    label: str
    start: float
    end: float
    score: float


class KeywordDetector:
    """Turn one stream's per-frame class posteriors into keyword events, as frames arrive.

    Each frame's posteriors are averaged with the ``smoothing - 1`` frames before it (causal, so nothing waits for
    later frames). An event opens when the best keyword's smoothed posterior exceeds ``threshold`` and lasts while
    that keyword stays above it; its score is the highest smoothed posterior it reached. An event that lasted less than
    ``min_duration`` is dropped (a blip, e.g. the first vowels of a longer keyword). After an event ends, no new event
    opens for ``refractory`` seconds (one spoken word, one event). The background class never makes events.

    Args:
        labels: class names by id (the classifier's ``label_names``).
        background: the class that means "no keyword" (e.g. ``_background_``).
        hop_seconds: time between frames (the feature hop, times a front-end's time reduction).
        frame_seconds: length of one frame; a frame's time is its centre.
        smoothing: frames averaged (1: none).
        threshold: smoothed posterior a keyword must exceed.
        refractory: seconds after an event's end during which no event opens.
        min_duration: seconds an event must last (from its first to its last frame above the threshold) to count;
            a shorter one is dropped and starts no refractory period.
    """

    def __init__(
        self,
        labels: Sequence[str],
        background: str,
        hop_seconds: float,
        frame_seconds: float = 0.0,
        smoothing: int = 5,
        threshold: float = 0.9,
        refractory: float = 0.5,
        min_duration: float = 0.2,
    ) -> None:
        if background not in labels:
            raise ValueError(f"background class {background!r} is not among the labels {list(labels)}")
        if hop_seconds <= 0 or frame_seconds < 0:
            raise ValueError(f"hop_seconds must be > 0 and frame_seconds >= 0, got {hop_seconds!r}, {frame_seconds!r}")
        if smoothing < 1:
            raise ValueError(f"smoothing must be >= 1 frame, got {smoothing!r}")
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"threshold must lie in (0, 1), got {threshold!r}")
        if refractory < 0:
            raise ValueError(f"refractory must be >= 0 seconds, got {refractory!r}")
        if min_duration < 0:
            raise ValueError(f"min_duration must be >= 0 seconds, got {min_duration!r}")
        self.labels, self.background = list(labels), list(labels).index(background)
        self.hop_seconds, self.frame_seconds = hop_seconds, frame_seconds
        self.smoothing, self.threshold, self.refractory = smoothing, threshold, refractory
        self.min_duration = min_duration
        self.reset()

    def reset(self) -> None:
        """Forget the stream: frame count, smoothing window, open event and refractory period."""
        self.frame = 0
        self.window = torch.zeros(0, len(self.labels))
        self.open: tuple[int, float, float, float] | None = None  # (label id, start, last time above, score)
        self.quiet_until = -1.0

    def time(self, frame: int) -> float:
        """Seconds from the stream start to the centre of ``frame``."""
        return frame * self.hop_seconds + self.frame_seconds / 2

    def push(self, posteriors: Tensor) -> list[KeywordEvent]:
        """The next frames' posteriors ``(T, C)`` -> the events that ended within them."""
        if posteriors.dim() != 2 or posteriors.size(1) != len(self.labels):
            raise ValueError(f"posteriors must be (T, {len(self.labels)}), got shape {tuple(posteriors.shape)}")
        events = []
        for row in posteriors.float():
            self.window = torch.cat([self.window, row.unsqueeze(0)])[-self.smoothing :]
            smoothed = self.window.mean(0)  # (C,)
            now = self.time(self.frame)
            self.frame += 1
            if self.open is not None:
                label, start, _, score = self.open
                if smoothed[label] > self.threshold:
                    self.open = (label, start, now, max(score, float(smoothed[label])))
                    continue
                events += self._close()
            if now < self.quiet_until:
                continue
            keywords = smoothed.clone()
            keywords[self.background] = -1.0
            best = int(keywords.argmax())
            if keywords[best] > self.threshold:
                self.open = (best, now, now, float(keywords[best]))
        return events

    def flush(self) -> list[KeywordEvent]:
        """End the stream: the event still open, if any."""
        return self._close() if self.open is not None else []

    def _close(self) -> list[KeywordEvent]:
        assert self.open is not None
        label, start, end, score = self.open
        self.open = None
        if end - start < self.min_duration - 1e-9:  # a blip: no event, no refractory period
            return []
        self.quiet_until = end + self.refractory
        return [KeywordEvent(self.labels[label], start, end, score)]
