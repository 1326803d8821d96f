"""Streaming CTC transcription: text as it becomes known, greedy and prefix-stable."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from lightning_seq.deploy.streaming.encoder_stream import EncoderStreams, check_streamable
from lightning_seq.tasks.ctc import BLANK, CTCTranscriber


class CTCStreamer:
    """Run a trained ``CTCTranscriber`` on live streams of audio samples (or feature columns).

    Each ``push`` takes the next chunk of every stream, computes the features the chunk completes (framing exactly
    as offline), carries the encoder state and returns the characters that became known. Greedy CTC decides each
    frame by itself (best label; repeats merge unless a blank separates them, across chunk boundaries too), so text
    once returned never changes and the concatenation equals offline greedy decoding of the whole stream.

    Args:
        task: a trained transcriber with a unidirectional encoder and no front-end (put in eval mode here).
        num_streams: how many streams run side by side.
    """

    def __init__(self, task: CTCTranscriber, num_streams: int = 1) -> None:
        check_streamable(task.encoder, task.frontend)
        self.task = task.eval()
        self.streams = EncoderStreams(task.encoder, task.features, num_streams)
        self.previous = [BLANK] * num_streams  # the last frame's label of each stream
        self.texts = [""] * num_streams

    def push(self, chunks: Sequence[Tensor]) -> list[str]:
        """The next chunk of each stream -> the text each stream added.

        Chunks are samples ``(n,)`` when the model computes its features, else feature steps ``(n, F)``; ``n`` may
        be 0.
        """
        return self._emit(self.streams.steps(chunks))

    def flush(self) -> list[str]:
        """End every stream: the text of a stream shorter than one frame (its one padded frame), else ``""``."""
        return self._emit(self.streams.final_steps())

    def reset(self, stream: int) -> None:
        """Start ``stream`` afresh (a new utterance on that channel)."""
        self.streams.reset(stream)
        self.previous[stream], self.texts[stream] = BLANK, ""

    def text(self, stream: int) -> str:
        """Everything ``stream`` has transcribed since its last reset."""
        return self.texts[stream]

    @torch.no_grad()
    def _emit(self, steps: Sequence[Tensor]) -> list[str]:
        added = []
        for stream, outputs in enumerate(self.streams.encode(steps)):
            if outputs.size(0) == 0:
                added.append("")
                continue
            best = self.task.classifier(outputs).argmax(-1).tolist()  # (T_new,) the label of each new frame
            ids = []
            for label in best:
                if label != BLANK and label != self.previous[stream]:
                    ids.append(label)
                self.previous[stream] = label
            text = self.task.text(ids)
            self.texts[stream] += text
            added.append(text)
        return added
