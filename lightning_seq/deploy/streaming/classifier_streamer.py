"""Streaming sequence classification: the class posteriors of each stream so far, after every chunk."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from lightning_seq.deploy.streaming.encoder_stream import EncoderStreams, check_streamable
from lightning_seq.nn.pooling import LastPooling, MaxPooling, MeanPooling, merge_directions
from lightning_seq.tasks.classification import SequenceClassifier


class ClassifierStreamer:
    """Run a trained ``SequenceClassifier`` on live streams: after each chunk, the posteriors of everything so far.

    The pooling is kept as a running value (last step, running mean or running maximum of the encoder outputs), so
    the posteriors after a chunk equal the offline classifier's on the whole stream up to that chunk's last
    complete frame.

    Args:
        task: a trained classifier with a unidirectional encoder, no front-end and ``last``, ``mean`` or ``max``
            pooling (put in eval mode here). Inputs are waveform samples when its features are computed in the
            model, token ids for a token model, else feature steps.
        num_streams: how many streams run side by side.
    """

    def __init__(self, task: SequenceClassifier, num_streams: int = 1) -> None:
        check_streamable(task.encoder, task.frontend)
        if not isinstance(task.pooling, LastPooling | MeanPooling | MaxPooling):
            raise ValueError(
                "attention pooling weighs every step against all the others, so its value changes with each new "
                "step: stream a classifier trained with last, mean or max pooling"
            )
        self.task = task.eval()
        self.streams = EncoderStreams(task.encoder, task.features, num_streams)
        size = task.encoder.output_size
        self.total = torch.zeros(num_streams, size)  # running sum (mean pooling)
        self.peak = torch.full((num_streams, size), -torch.inf)  # running maximum (max pooling)
        self.last = torch.zeros(num_streams, size)  # the latest output (last pooling)
        self.count = torch.zeros(num_streams, dtype=torch.long)  # steps so far

    def push(self, chunks: Sequence[Tensor]) -> Tensor:
        """The next chunk of each stream -> posteriors ``(num_streams, C)`` of each stream so far.

        A stream that has not completed a step yet has a row of NaN.
        """
        self.push_frames(chunks)
        return self.posteriors()

    def push_frames(self, chunks: Sequence[Tensor]) -> list[Tensor]:
        """The next chunk of each stream -> for each stream, the posteriors after each new step ``(T_new, C)``.

        Row ``t`` is the classifier's output on the stream up to that step (with ``last`` pooling: that step's
        encoder output alone), the per-frame posteriors keyword spotting smooths and thresholds.
        """
        if self.task.embedding is not None:
            chunks = [self.task.embedding(c.long().unsqueeze(0))[0] for c in chunks]  # ids (n,) -> (n, E)
        return self._update(self.streams.steps(chunks))

    def flush(self) -> list[Tensor]:
        """End every stream (a stream shorter than one frame gets its one padded frame): the last frames' posteriors."""
        return self._update(self.streams.final_steps())

    def reset(self, stream: int) -> None:
        """Start ``stream`` afresh."""
        self.streams.reset(stream)
        self.total[stream], self.peak[stream], self.last[stream], self.count[stream] = 0.0, -torch.inf, 0.0, 0

    @torch.no_grad()
    def posteriors(self) -> Tensor:
        """Posteriors ``(num_streams, C)`` of each stream so far (NaN rows for streams without a step)."""
        probabilities = self._classify(self._pooled(self.total, self.peak, self.last, self.count))
        return probabilities.masked_fill((self.count == 0).unsqueeze(-1), float("nan"))

    def _pooled(self, total: Tensor, peak: Tensor, last: Tensor, count: Tensor) -> Tensor:
        pooling = self.task.pooling
        if isinstance(pooling, MeanPooling):
            return total / count.clamp(min=1).unsqueeze(-1).to(total.dtype)
        if isinstance(pooling, MaxPooling):
            return peak.clamp(min=torch.finfo(peak.dtype).min)
        return last

    def _classify(self, pooled: Tensor) -> Tensor:
        return self.task.head(merge_directions(pooled, 1, self.task.direction_merge)).softmax(-1)

    @torch.no_grad()
    def _update(self, steps: Sequence[Tensor]) -> list[Tensor]:
        frames = []
        for stream, outputs in enumerate(self.streams.encode(steps)):
            n = outputs.size(0)
            if n == 0:
                frames.append(outputs.new_zeros(0, self.task.num_classes))
                continue
            total = self.total[stream] + outputs.cumsum(0)  # (T, H) running sums after each step
            peak = torch.maximum(self.peak[stream], outputs.cummax(0).values)  # (T, H)
            count = self.count[stream] + torch.arange(1, n + 1)  # (T,)
            frames.append(self._classify(self._pooled(total, peak, outputs, count)))  # (T, C)
            self.total[stream], self.peak[stream], self.last[stream] = total[-1], peak[-1], outputs[-1]
            self.count[stream] = count[-1]
        return frames
