"""Audio files to mono waveforms at one sample rate, through soundfile (WAV, FLAC, OGG; no FFmpeg needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile
import torch
from torch import Tensor

from lightning_seq.data.readers.resampling import resample, resampled_length


def audio_info(path: str | Path) -> tuple[int, int]:
    """``(frames, sample_rate)`` from the file header; a missing, unreadable or empty file raises naming it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"audio file not found: {path}")
    try:
        info = soundfile.info(str(path))
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as err:
        raise ValueError(f"cannot read audio {path}: {err}") from err
    if info.frames < 1:
        raise ValueError(f"audio file has no samples: {path}")
    return int(info.frames), int(info.samplerate)


def to_mono(waveform: Tensor) -> Tensor:
    """Average the channels of ``(N, C)`` (soundfile's layout) or pass ``(N,)`` through."""
    return waveform.mean(dim=1) if waveform.dim() == 2 else waveform


def load_audio(path: str | Path, sample_rate: int) -> Tensor:
    """Read a file as a float32 mono waveform ``(N,)`` at ``sample_rate`` (mixed down and resampled as needed)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"audio file not found: {path}")
    try:  # one read per clip: this runs for every sample the loader yields
        data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError) as err:
        raise ValueError(f"cannot read audio {path}: {err}") from err
    if data.shape[0] == 0:
        raise ValueError(f"audio file has no samples: {path}")
    if not np.isfinite(data).all():
        raise ValueError(f"audio file holds NaN or infinite samples: {path}")
    return resample(to_mono(torch.from_numpy(data)), rate, sample_rate)


def fit_duration(waveform: Tensor, samples: int) -> Tensor:
    """Zero-pad or crop ``(N,)`` to exactly ``samples``."""
    if waveform.numel() >= samples:
        return waveform[:samples]
    return torch.nn.functional.pad(waveform, (0, samples - waveform.numel()))


__all__ = ["audio_info", "fit_duration", "load_audio", "resample", "resampled_length", "to_mono"]
