"""Raw recordings (a WAV/FLAC path, file bytes, or samples with their rate) to what an audio model reads."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import soundfile
import torch
from torch import Tensor

from lightning_seq.data.preprocessing.inputs import AUDIO_KIND
from lightning_seq.data.readers.audio import fit_duration, load_audio, resample, to_mono
from lightning_seq.nn.audio_features import AudioFeatures


def checked_waveform(samples: Any, rate: Any, position: int) -> tuple[Tensor, int]:
    """Float samples ``(N,)`` or ``(N, channels)`` and their rate, checked; errors name ``position``."""
    if isinstance(rate, bool) or not isinstance(rate, int) or rate < 1:
        raise ValueError(f"input {position}: the sample rate must be a positive integer, got {rate!r}")
    values = samples if isinstance(samples, Tensor) else torch.from_numpy(np.asarray(samples))
    if not values.is_floating_point():
        raise TypeError(f"input {position}: audio samples must be floats in [-1, 1], got {values.dtype}")
    if values.ndim not in (1, 2) or values.size(0) == 0:
        raise ValueError(f"input {position}: audio samples must be (N,) or (N, channels) with N > 0, got "
                         f"{tuple(values.shape)}")
    if not torch.isfinite(values).all():
        raise ValueError(f"input {position}: audio samples hold NaN or infinite values")
    values = values.float()
    return (values if values.ndim == 1 else to_mono(values)), rate


def decode_audio_bytes(data: bytes, position: int) -> tuple[Tensor, int]:
    """An encoded recording (WAV, FLAC, OGG) from memory, as mono samples and their rate."""
    try:
        samples, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as err:
        raise ValueError(f"input {position}: cannot decode the audio bytes: {err}") from None
    if samples.shape[0] == 0:
        raise ValueError(f"input {position}: the audio holds no samples")
    return checked_waveform(samples, int(rate), position)


class AudioInputs:
    """Recordings to waveforms ``(N,)`` at the model's rate, or to features ``(T, F)`` computed as in training.

    Accepts a path to a WAV/FLAC/OGG file, the bytes of such a file, or a ``(samples, sample_rate)`` pair (a float
    array ``(N,)`` or ``(N, channels)``); everything is mixed to mono and resampled to the model's rate.

    Args:
        features: the training data module's ``AudioFeatures`` (settings and train-set statistics).
        features_on_device: whether the model computes the features itself (it then reads waveforms).
        duration: samples every clip is padded or cropped to (as in training), or None.
    """

    kind = AUDIO_KIND

    def __init__(self, features: AudioFeatures, features_on_device: bool = False, duration: int | None = None) -> None:
        self.features = features.eval()
        self.features_on_device = features_on_device
        self.duration = duration
        self.sample_rate = features.sample_rate

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> AudioInputs:
        """Rebuild from ``audio_inputs_spec``'s dict."""
        return cls(AudioFeatures.from_config(spec["features"]), spec["features_on_device"], spec["duration"])

    def waveform(self, value: Any, position: int) -> Tensor:
        """``value`` as a mono waveform at the model's rate (``duration`` applied)."""
        if isinstance(value, str | Path):
            try:
                wave = load_audio(value, self.sample_rate)
            except (FileNotFoundError, ValueError) as err:
                raise type(err)(f"input {position}: {err}") from None
        else:
            if isinstance(value, bytes | bytearray):
                samples, rate = decode_audio_bytes(bytes(value), position)
            elif isinstance(value, tuple) and len(value) == 2:
                samples, rate = checked_waveform(*value, position)
            else:
                raise TypeError(
                    f"input {position}: expected audio (a file path, file bytes or a (samples, sample_rate) pair), "
                    f"got {type(value).__name__}"
                )
            wave = resample(samples, rate, self.sample_rate)
        return fit_duration(wave, self.duration) if self.duration is not None else wave

    def encode(self, value: Any, position: int) -> Tensor:
        """One recording to the model's input: ``(N,)`` samples or ``(T, F)`` features."""
        wave = self.waveform(value, position)
        if self.features_on_device:
            return wave
        with torch.no_grad():
            feats, _ = self.features(wave.unsqueeze(0), torch.tensor([wave.numel()]))  # (1, T, F)
        return feats[0]

    def describe_input(self, value: Any) -> str:
        """A path as given; recordings in memory as an empty string."""
        return str(value) if isinstance(value, str | Path) else ""
