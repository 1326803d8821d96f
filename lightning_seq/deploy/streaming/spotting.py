"""Keyword spotting over a recording, chunk by chunk, as a live stream would deliver it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from torch import Tensor

from lightning_seq.deploy.streaming.classifier_streamer import ClassifierStreamer
from lightning_seq.deploy.streaming.keyword_events import KeywordDetector, KeywordEvent


def pieces(waveform: Tensor, chunk: int) -> Iterator[Tensor]:
    """``waveform (N,)`` as consecutive chunks of ``chunk`` samples (the last one shorter), as a stream delivers it."""
    if waveform.dim() != 1:
        raise ValueError(f"the recording must be mono samples (N,), got shape {tuple(waveform.shape)}")
    if chunk < 1:
        raise ValueError(f"chunk must be >= 1 sample, got {chunk!r}")
    for start in range(0, waveform.numel(), chunk):
        yield waveform[start : start + chunk]


def spot_keywords(
    streamer: ClassifierStreamer, detector: KeywordDetector, waveform: Tensor, chunk: int
) -> Iterator[KeywordEvent]:
    """Feed ``waveform (N,)`` to a one-stream ``streamer`` ``chunk`` samples at a time; yield each event once it ends.

    The events are those of a live stream: nothing after a chunk is used before that chunk is pushed. The streamer
    and the detector should be fresh (or reset); the stream is flushed at the end.
    """
    yield from spot_stream(streamer, detector, pieces(waveform, chunk))


def spot_stream(
    streamer: ClassifierStreamer, detector: KeywordDetector, chunks: Iterable[Tensor]
) -> Iterator[KeywordEvent]:
    """Like ``spot_keywords``, for chunks ``(n,)`` as they arrive (a microphone, a pipe): events as soon as they end."""
    if streamer.streams.num_streams != 1:
        raise ValueError(f"spot_stream runs one stream, the streamer has {streamer.streams.num_streams}")
    for piece in chunks:
        yield from detector.push(streamer.push_frames([piece])[0])
    yield from detector.push(streamer.flush()[0])
    yield from detector.flush()
