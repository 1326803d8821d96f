"""Waveforms to frame features: raw frames, log-mel spectrogram or MFCC; optional normalisation and SpecAugment.

One module serves both places features can be computed: the data loader (per clip) and the model (per batch, on
the accelerator). Frames are not centred: a clip of ``N`` samples gives ``1 + (N - frame_length) // hop_length``
frames (clips shorter than one frame are zero-padded to one frame).
"""

from __future__ import annotations

from typing import Any, Literal

import torch
import torchaudio
from torch import Tensor, nn

from lightning_seq.nn.masking import lengths_to_mask

FeatureKind = Literal["raw", "logmel", "mfcc"]
Normalization = Literal["none", "utterance", "global"]


class AudioFeatures(nn.Module):
    """Frame a batch of waveforms and compute features.

    Args:
        kind: ``raw`` (each frame's samples are its features), ``logmel`` or ``mfcc``.
        sample_rate: sample rate of the waveforms.
        frame_length: samples per frame (the FFT size for ``logmel`` / ``mfcc``).
        hop_length: samples between frame starts.
        n_mels: mel bands (``logmel``, and the filterbank under ``mfcc``).
        n_mfcc: cepstral coefficients (``mfcc``).
        normalization: ``utterance`` (per clip, over its frames), ``global`` (train-set mean/std, set with
            ``set_statistics``) or ``none``.
        time_masks: SpecAugment time masks applied in training mode.
        time_mask_width: widest time mask, in frames.
        freq_masks: SpecAugment feature masks applied in training mode.
        freq_mask_width: widest feature mask, in features.
    """

    def __init__(
        self,
        kind: FeatureKind = "logmel",
        sample_rate: int = 16000,
        frame_length: int = 400,
        hop_length: int = 160,
        n_mels: int = 40,
        n_mfcc: int = 13,
        normalization: Normalization = "utterance",
        time_masks: int = 0,
        time_mask_width: int = 10,
        freq_masks: int = 0,
        freq_mask_width: int = 8,
    ) -> None:
        super().__init__()
        if kind not in ("raw", "logmel", "mfcc"):
            raise ValueError(f"kind must be 'raw', 'logmel' or 'mfcc', got {kind!r}")
        if normalization not in ("none", "utterance", "global"):
            raise ValueError(f"normalization must be 'none', 'utterance' or 'global', got {normalization!r}")
        for name, value in (("sample_rate", sample_rate), ("frame_length", frame_length), ("hop_length", hop_length),
                            ("n_mels", n_mels), ("n_mfcc", n_mfcc)):
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value!r}")
        if kind == "mfcc" and n_mfcc > n_mels:
            raise ValueError(f"n_mfcc ({n_mfcc}) cannot exceed n_mels ({n_mels})")
        if min(time_masks, time_mask_width, freq_masks, freq_mask_width) < 0:
            raise ValueError("SpecAugment mask counts and widths must be >= 0")
        self.kind = kind
        self.sample_rate = sample_rate
        self.frame_length = frame_length
        self.hop_length = hop_length
        self.n_mels = n_mels
        self.n_mfcc = n_mfcc
        self.normalization = normalization
        self.time_masks, self.time_mask_width = time_masks, time_mask_width
        self.freq_masks, self.freq_mask_width = freq_masks, freq_mask_width
        self.transform: nn.Module | None = None
        if kind == "logmel":
            self.transform = torchaudio.transforms.MelSpectrogram(
                sample_rate, n_fft=frame_length, hop_length=hop_length, n_mels=n_mels, center=False)
        elif kind == "mfcc":
            self.transform = torchaudio.transforms.MFCC(
                sample_rate, n_mfcc=n_mfcc, log_mels=True,
                melkwargs={"n_fft": frame_length, "hop_length": hop_length, "n_mels": n_mels, "center": False})
        self.register_buffer("mean", torch.zeros(self.feature_size))
        self.register_buffer("std", torch.ones(self.feature_size))

    @property
    def feature_size(self) -> int:
        """Features per frame ``F``."""
        return {"raw": self.frame_length, "logmel": self.n_mels, "mfcc": self.n_mfcc}[self.kind]

    def num_frames(self, samples: Tensor) -> Tensor:
        """Frames for clips of ``samples`` samples: ``1 + (N - frame_length) // hop_length``, at least 1."""
        return 1 + (samples.clamp(min=self.frame_length) - self.frame_length) // self.hop_length

    def config(self) -> dict[str, Any]:
        """Plain-data settings and statistics, enough to rebuild this module with ``from_config``."""
        return {"kind": self.kind, "sample_rate": self.sample_rate, "frame_length": self.frame_length,
                "hop_length": self.hop_length, "n_mels": self.n_mels, "n_mfcc": self.n_mfcc,
                "normalization": self.normalization, "time_masks": self.time_masks,
                "time_mask_width": self.time_mask_width, "freq_masks": self.freq_masks,
                "freq_mask_width": self.freq_mask_width, "mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> AudioFeatures:
        """Rebuild a module from ``config()``."""
        settings = {k: v for k, v in config.items() if k not in ("mean", "std")}
        module = cls(**settings)
        if "mean" in config:
            module.set_statistics(torch.tensor(config["mean"]), torch.tensor(config["std"]))
        return module

    def set_statistics(self, mean: Tensor, std: Tensor) -> None:
        """Set the train-set mean and std ``(F,)`` used by ``global`` normalisation."""
        self.mean.copy_(mean)
        self.std.copy_(std.clamp(min=1e-5))

    def features(self, waveforms: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """Features before normalisation: ``(B, N)`` waveforms -> ``(B, T, F)``, frame lengths ``(B,)``."""
        lengths = lengths.to(waveforms.device)
        # a clip shorter than one frame is read as zero-padded to a frame: its padding must be zeros, whatever the
        # batch holds there (frames of longer clips never reach their padding: frames are not centred)
        waveforms = waveforms.masked_fill(~lengths_to_mask(lengths, waveforms.size(1)), 0.0)  # (B, N)
        if waveforms.size(1) < self.frame_length:
            waveforms = nn.functional.pad(waveforms, (0, self.frame_length - waveforms.size(1)))
        frames = self.num_frames(lengths)  # (B,)
        if self.kind == "raw":
            out = waveforms.unfold(1, self.frame_length, self.hop_length)  # (B, T, frame_length)
        elif torch.onnx.is_in_onnx_export():
            out = self._real_dft_features(waveforms.float())  # (B, T, F)
        else:
            out = torch.log(self.transform(waveforms.float()) + 1e-6) if self.kind == "logmel" else \
                self.transform(waveforms.float())
            out = out.transpose(1, 2)  # (B, T, F)
        mask = lengths_to_mask(frames, out.size(1)).unsqueeze(-1)  # (B, T, 1)
        return out.masked_fill(~mask, 0.0), frames

    def _real_dft_features(self, waveforms: Tensor) -> Tensor:
        """The same log-mel / MFCC features with the DFT as real convolutions: ``(B, N)`` -> ``(B, T, F)``.

        ONNX has no complex-valued STFT (nor a length-dynamic unfold), so an exported graph computes the power
        spectrum with two strided convolutions whose kernels are the windowed cosines and sines (equal to the FFT's
        to float rounding); training keeps the FFT.
        """
        assert self.transform is not None
        mel_transform = self.transform if self.kind == "logmel" else self.transform.MelSpectrogram
        n_fft = self.frame_length
        angle = 2 * torch.pi * torch.outer(torch.arange(n_fft // 2 + 1), torch.arange(n_fft)) / n_fft  # (K, n_fft)
        window = mel_transform.spectrogram.window  # (n_fft,)
        kernels = torch.cat([torch.cos(angle), torch.sin(angle)]) * window  # (2K, n_fft)
        samples = torch._shape_as_tensor(waveforms)[1]  # a graph value: the exported length stays dynamic
        count = self.num_frames(samples)  # clips shorter than a frame give one zero-padded frame, as offline
        padded = nn.functional.pad(waveforms, (0, n_fft - 1))
        parts = nn.functional.conv1d(padded.unsqueeze(1), kernels.unsqueeze(1), stride=self.hop_length)
        parts = parts[:, :, :count]  # (B, 2K, T)
        real, imaginary = parts.chunk(2, dim=1)  # (B, K, T) each
        power = (real.square() + imaginary.square()).transpose(1, 2)  # (B, T, K)
        out = torch.log(power @ mel_transform.mel_scale.fb + 1e-6)  # (B, T, n_mels)
        return out if self.kind == "logmel" else out @ self.transform.dct_mat  # (B, T, F)

    def forward(self, waveforms: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """Waveforms ``(B, N)`` with sample lengths ``(B,)`` -> features ``(B, T, F)`` and frame lengths ``(B,)``.

        Padded frames are zero. SpecAugment masks apply only in training mode.
        """
        out, frames = self.features(waveforms, lengths)
        mask = lengths_to_mask(frames, out.size(1)).unsqueeze(-1)  # (B, T, 1)
        if self.normalization == "utterance":
            count = frames.view(-1, 1, 1).to(out.dtype)
            mean = out.sum(1, keepdim=True) / count
            std = (((out - mean) * mask).square().sum(1, keepdim=True) / count).sqrt().clamp(min=1e-5)
            out = (out - mean) / std
        elif self.normalization == "global":
            out = (out - self.mean) / self.std
        if self.training:
            out = self.spec_augment(out, frames)
        return out.masked_fill(~mask, 0.0), frames

    def spec_augment(self, out: Tensor, frames: Tensor) -> Tensor:
        """Random SpecAugment time and feature masks on features ``(B, T, F)`` with frame lengths ``(B,)``."""
        batch, steps, size = out.shape
        keep = torch.ones_like(out, dtype=torch.bool)
        time = torch.arange(steps, device=out.device).view(1, -1)
        feat = torch.arange(size, device=out.device).view(1, -1)
        for _ in range(self.time_masks):
            width = torch.randint(0, self.time_mask_width + 1, (batch, 1), device=out.device)
            start = (torch.rand(batch, 1, device=out.device) * (frames.view(-1, 1) - width).clamp(min=1)).long()
            keep &= ~((time >= start) & (time < start + width)).unsqueeze(-1)
        for _ in range(self.freq_masks):
            width = torch.randint(0, self.freq_mask_width + 1, (batch, 1), device=out.device)
            start = (torch.rand(batch, 1, device=out.device) * (size - width).clamp(min=1)).long()
            keep &= ~((feat >= start) & (feat < start + width)).unsqueeze(1)
        return out * keep
