"""Audio clips (files or in-memory waveforms) as training samples: waveform or loader-side features."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from torch.utils.data import Dataset

from lightning_seq.data.augment.audio import WaveformAugment
from lightning_seq.data.batching.collate import pad_sequences
from lightning_seq.data.readers.audio import fit_duration, load_audio
from lightning_seq.nn.audio_features import AudioFeatures

AudioSource = Path | Tensor


class AudioClipDataset(Dataset):
    """Clips loaded (and resampled) on access; yields the waveform ``(N,)`` or loader-side features ``(T, F)``.

    Args:
        sources: audio file paths or waveforms already at ``features.sample_rate``.
        targets: one target per clip (class id or label-id tensor).
        lengths_in_samples: samples per clip after resampling and ``duration`` (for bucketing).
        features: computes features in the loader; None yields waveforms (features computed in the model).
        duration: pad/crop every clip to this many samples; None keeps each length.
        augment: training-only waveform augmentation, or None.
        sample_rate: the rate clips are resampled to.

    ``precompute()`` computes the loader-side features of all clips once and serves them from memory.
    """

    def __init__(
        self,
        sources: Sequence[AudioSource],
        targets: Sequence[Any],
        *,
        lengths_in_samples: Sequence[int],
        features: AudioFeatures | None,
        duration: int | None,
        augment: WaveformAugment | None,
        sample_rate: int,
    ) -> None:
        if not len(sources) == len(targets) == len(lengths_in_samples):
            raise ValueError("sources, targets and lengths must have one entry per clip")
        self.sources = list(sources)
        self.targets = list(targets)
        self.features = features
        self.duration = duration
        self.augment = augment
        self.sample_rate = sample_rate
        samples = torch.tensor(list(lengths_in_samples))
        self.lengths = (features.num_frames(samples) if features is not None else samples).tolist()
        self.cached: list[Tensor] | None = None

    def precompute(self, batch_size: int = 64) -> int:
        """Compute every clip's features once, in batches of similar length, and serve them from memory.

        Only for clips without waveform augmentation (their features never change); SpecAugment is still drawn
        per access in training mode. Returns the bytes held.
        """
        if self.features is None or self.augment is not None:
            raise ValueError("only loader-side features of clips without waveform augmentation can be precomputed")
        order = sorted(range(len(self)), key=lambda i: self.lengths[i])
        cached: list[Tensor | None] = [None] * len(self)
        training = self.features.training
        self.features.eval()
        try:
            for start in range(0, len(order), batch_size):
                chunk = order[start : start + batch_size]
                padded, lengths = pad_sequences([self.waveform(i) for i in chunk])  # (b, N), (b,)
                with torch.no_grad():
                    feats, frames = self.features(padded, lengths)  # (b, T, F), (b,)
                for i, row, count in zip(chunk, feats, frames.tolist(), strict=True):
                    cached[i] = row[:count].clone()
        finally:
            self.features.train(training)
        self.cached = cached  # type: ignore[assignment]
        return sum(t.numel() * t.element_size() for t in self.cached)

    def waveform(self, index: int) -> Tensor:
        """The clip as a mono waveform at ``sample_rate`` (with ``duration`` applied; not augmented)."""
        source = self.sources[index]
        wave = source.clone() if isinstance(source, Tensor) else load_audio(source, self.sample_rate)
        return fit_duration(wave, self.duration) if self.duration is not None else wave

    def __len__(self) -> int:
        return len(self.sources)

    def __getitem__(self, index: int) -> tuple[Tensor, Any, int]:
        if self.cached is not None:
            feats = self.cached[index]
            if self.features is not None and self.features.training:
                feats = self.features.spec_augment(feats.unsqueeze(0), torch.tensor([feats.size(0)]))[0]
            return feats, self.targets[index], index
        wave = self.waveform(index)
        if self.augment is not None:
            wave = self.augment(wave)
            if self.duration is not None:
                wave = fit_duration(wave, self.duration)
        if self.features is None:
            return wave, self.targets[index], index
        with torch.no_grad():
            feats, _ = self.features(wave.unsqueeze(0), torch.tensor([wave.numel()]))
        return feats[0], self.targets[index], index
