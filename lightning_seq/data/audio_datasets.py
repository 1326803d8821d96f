"""Audio clips (files or in-memory waveforms) as training samples: waveform or loader-side features."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.data import Dataset

from lightning_seq.data.audio import fit_duration, load_audio
from lightning_seq.data.collate import pad_sequences
from lightning_seq.nn.audio_features import AudioFeatures

AudioSource = Path | Tensor


class WaveformAugment:
    """Training-only waveform augmentation: speed perturbation, a random time shift, noise on a fraction of clips.

    Args:
        max_shift: largest shift in samples (the clip is rolled by up to this many samples either way, with
            the wrapped part zeroed).
        snr_db: ``(low, high)`` range of signal-to-noise ratios in dB for added white noise; None adds none.
        noise_fraction: share of clips that get noise; the others keep their own background (digital silence
            included), so training still sees the clean clips that evaluation is made of.
        speed: ``(low, high)`` range of speed factors: the clip is resampled to ``length / factor`` samples, which
            changes tempo and pitch together (Kaldi-style speed perturbation); None keeps the speed.
        seed: seed of the augmentation draws.
    """

    def __init__(
        self,
        max_shift: int = 0,
        snr_db: tuple[float, float] | None = None,
        *,
        noise_fraction: float = 0.5,
        speed: tuple[float, float] | None = None,
        seed: int = 0,
    ) -> None:
        if max_shift < 0:
            raise ValueError(f"time shift must be >= 0, got {max_shift!r}")
        if snr_db is not None and (len(snr_db) != 2 or snr_db[0] > snr_db[1]):
            raise ValueError(f"noise_snr_db must be (low, high) with low <= high, got {snr_db!r}")
        if not 0.0 <= noise_fraction <= 1.0:
            raise ValueError(f"noise_fraction must lie in [0, 1], got {noise_fraction!r}")
        if speed is not None and (len(speed) != 2 or not 0.0 < speed[0] <= speed[1]):
            raise ValueError(f"speed must be (low, high) with 0 < low <= high, got {speed!r}")
        self.max_shift = max_shift
        self.snr_db = snr_db
        self.noise_fraction = noise_fraction
        self.speed = speed
        self.rng = random.Random(seed)

    @property
    def active(self) -> bool:
        """Whether any augmentation is switched on."""
        return self.max_shift > 0 or self.speed is not None or (self.snr_db is not None and self.noise_fraction > 0)

    def __call__(self, waveform: Tensor) -> Tensor:
        """Augment one mono waveform ``(N,)``; the length changes only under speed perturbation."""
        if self.speed is not None:
            factor = self.rng.uniform(*self.speed)
            size = max(1, round(waveform.numel() / factor))
            waveform = F.interpolate(waveform.view(1, 1, -1), size=size, mode="linear", align_corners=True).view(-1)
        if self.max_shift:
            shift = self.rng.randint(-self.max_shift, self.max_shift)
            waveform = torch.roll(waveform, shift)
            if shift > 0:
                waveform[:shift] = 0
            elif shift < 0:
                waveform[shift:] = 0
        if self.snr_db is not None and self.rng.random() < self.noise_fraction:
            snr = self.rng.uniform(*self.snr_db)
            power = waveform.square().mean().clamp(min=1e-8)
            noise = torch.randn(waveform.shape, generator=torch.Generator().manual_seed(self.rng.randrange(2**31)))
            waveform = waveform + noise * torch.sqrt(power / 10 ** (snr / 10))
        return waveform


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
