"""Raw recordings (a WAV/FLAC path, file bytes, or samples with their rate) to what an audio model reads.

What a recording claims is checked before anything is allocated for it: its sample rate (``MIN_SAMPLE_RATE`` to
``MAX_SAMPLE_RATE``), its channels (``MAX_AUDIO_CHANNELS``) and, against ``max_steps``, the frames it gives once
resampled to the model's rate, read from its header; encoded bytes are then decoded a block at a time and refused as
soon as they pass the limit, so a header that lies about its length gains nothing.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import soundfile
import torch
from torch import Tensor

from lightning_seq.data.preprocessing.inputs import AUDIO_KIND
from lightning_seq.data.readers.audio import audio_info, fit_duration, load_audio, to_mono
from lightning_seq.data.readers.resampling import check_sample_rate, resample, resampled_length
from lightning_seq.deploy.limits import MAX_AUDIO_CHANNELS, check_steps, without_addresses
from lightning_seq.nn.audio_features import AudioFeatures

BLOCK_FRAMES = 1 << 16
"""Frames decoded at a time from encoded bytes."""


def checked_waveform(samples: Any, rate: Any, position: int) -> tuple[Tensor, int]:
    """Float samples ``(N,)`` or ``(N, channels)`` and their rate, checked; errors name ``position``."""
    rate = check_sample_rate(rate, f"input {position}")
    values = samples if isinstance(samples, Tensor) else torch.from_numpy(np.asarray(samples))
    if not values.is_floating_point():
        raise TypeError(f"input {position}: audio samples must be floats in [-1, 1], got {values.dtype}")
    if values.ndim not in (1, 2) or values.size(0) == 0:
        raise ValueError(f"input {position}: audio samples must be (N,) or (N, channels) with N > 0, got "
                         f"{tuple(values.shape)}")
    if values.ndim == 2 and values.size(1) > MAX_AUDIO_CHANNELS:
        raise ValueError(f"input {position}: {values.size(1)} channels, over the limit of {MAX_AUDIO_CHANNELS}")
    if not torch.isfinite(values).all():
        raise ValueError(f"input {position}: audio samples hold NaN or infinite values")
    values = values.float()
    return (values if values.ndim == 1 else to_mono(values)), rate


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

    def steps_of(self, frames: int, rate: int) -> int:
        """Feature frames a recording of ``frames`` samples at ``rate`` gives once resampled to the model's rate."""
        samples = resampled_length(frames, rate, self.sample_rate)
        length = self.features.frame_length
        return 1 + (max(samples, length) - length) // self.features.hop_length

    def decode(self, data: bytes, position: int, max_steps: int | None) -> tuple[Tensor, int]:
        """An encoded recording (WAV, FLAC, OGG) from memory as mono samples and their rate, checked as it is read.

        The header's rate, channels and frames are checked first; the samples are then decoded ``BLOCK_FRAMES`` at
        a time, refused as soon as they pass ``max_steps``.
        """
        try:
            with soundfile.SoundFile(io.BytesIO(data)) as audio:
                rate = check_sample_rate(int(audio.samplerate), f"input {position}")
                if audio.channels > MAX_AUDIO_CHANNELS:
                    raise ValueError(f"input {position}: {audio.channels} channels, over the limit of "
                                     f"{MAX_AUDIO_CHANNELS}")
                check_steps(self.steps_of(max(int(audio.frames), 0), rate), max_steps, position)
                blocks, frames = [], 0
                while True:
                    block = audio.read(BLOCK_FRAMES, dtype="float32", always_2d=True)
                    if block.shape[0] == 0:
                        break
                    frames += block.shape[0]
                    check_steps(self.steps_of(frames, rate), max_steps, position)
                    blocks.append(block)
        except (soundfile.SoundFileError, RuntimeError, TypeError) as err:
            raise ValueError(f"input {position}: cannot decode the audio bytes: {without_addresses(str(err))}"
                             ) from None
        if frames == 0:
            raise ValueError(f"input {position}: the audio holds no samples")
        return checked_waveform(np.concatenate(blocks), rate, position)

    def waveform(self, value: Any, position: int, max_steps: int | None = None) -> Tensor:
        """``value`` as a mono waveform at the model's rate (``duration`` applied); see ``encode``."""
        if isinstance(value, str | Path):
            try:
                frames, rate = audio_info(value)
                check_sample_rate(rate, f"input {position}: {value}")
                check_steps(self.steps_of(frames, rate), max_steps, position)
                wave = load_audio(value, self.sample_rate)
            except (FileNotFoundError, ValueError) as err:
                if str(err).startswith(f"input {position}"):
                    raise
                raise type(err)(f"input {position}: {err}") from None
        else:
            if isinstance(value, bytes | bytearray):
                samples, rate = self.decode(bytes(value), position, max_steps)
            elif isinstance(value, tuple) and len(value) == 2:
                samples, rate = checked_waveform(*value, position)
                check_steps(self.steps_of(samples.numel(), rate), max_steps, position)
            else:
                raise TypeError(
                    f"input {position}: expected audio (a file path, file bytes or a (samples, sample_rate) pair), "
                    f"got {type(value).__name__}"
                )
            wave = resample(samples, rate, self.sample_rate)
        return fit_duration(wave, self.duration) if self.duration is not None else wave

    def encode(self, value: Any, position: int, max_steps: int | None = None) -> Tensor:
        """One recording to the model's input: ``(N,)`` samples or ``(T, F)`` features.

        Args:
            value: a path, encoded bytes or a ``(samples, sample_rate)`` pair.
            position: the input's position (errors name it).
            max_steps: the most feature frames the recording may give at the model's rate (before ``duration``
                pads or crops it); a longer one raises ``InputTooLong`` before it is read or resampled.
        """
        wave = self.waveform(value, position, max_steps)
        if self.features_on_device:
            return wave
        with torch.no_grad():
            feats, _ = self.features(wave.unsqueeze(0), torch.tensor([wave.numel()]))  # (1, T, F)
        return feats[0]

    def describe_input(self, value: Any) -> str:
        """A path as given; recordings in memory as an empty string."""
        return str(value) if isinstance(value, str | Path) else ""
