"""Audio features computed chunk by chunk with exactly the frames the whole clip would give."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from lightning_seq.nn.audio_features import AudioFeatures


class FrameStream:
    """One stream's audio framing: keeps the samples the next frames still need between calls.

    Frames are not centred (as offline): frame ``k`` covers samples ``[k * hop, k * hop + frame_length)``, so a frame
    is computed as soon as its last sample has arrived, from exactly the samples the whole-clip computation uses. A
    stream shorter than one frame gives, at ``flush``, the one zero-padded frame the offline features give.

    Args:
        features: the model's feature module, in eval mode; its normalisation must be ``none`` or ``global``.
    """

    def __init__(self, features: AudioFeatures) -> None:
        if features.normalization == "utterance":
            raise ValueError(
                "utterance normalisation needs the whole clip's mean and std, which a stream does not have yet: "
                "train the model with normalization 'global' (train-set statistics) or 'none' to stream it"
            )
        self.features = features
        self.pending = torch.zeros(0)  # samples from the start of the next frame on
        self.frames = 0  # frames emitted so far
        self.samples = 0  # samples received so far

    def push(self, samples: Tensor) -> Tensor:
        """The frames completed by ``samples (n,)``: features ``(T_new, F)`` (``T_new`` may be 0)."""
        if samples.dim() != 1:
            raise ValueError(f"an audio chunk is one stream's samples (n,), got shape {tuple(samples.shape)}")
        self.pending = torch.cat([self.pending.to(samples.dtype), samples])
        self.samples += samples.numel()
        length, hop = self.features.frame_length, self.features.hop_length
        if self.pending.numel() < length:
            return self._empty()
        count = 1 + (self.pending.numel() - length) // hop
        used = (count - 1) * hop + length
        out = self._compute(self.pending[:used])
        self.pending = self.pending[count * hop :]
        self.frames += count
        return out

    def flush(self) -> Tensor:
        """At the end of the stream: the one zero-padded frame of a stream shorter than a frame, else nothing."""
        if self.frames > 0 or self.samples == 0:
            return self._empty()
        padded = nn.functional.pad(self.pending, (0, self.features.frame_length - self.pending.numel()))
        self.frames = 1
        return self._compute(padded)

    def _compute(self, segment: Tensor) -> Tensor:
        lengths = torch.tensor([segment.numel()])
        out, _ = self.features.features(segment.unsqueeze(0), lengths)  # (1, T, F), before normalisation
        if self.features.normalization == "global":
            out = (out - self.features.mean) / self.features.std
        return out[0]

    def _empty(self) -> Tensor:
        return torch.zeros(0, self.features.feature_size)
