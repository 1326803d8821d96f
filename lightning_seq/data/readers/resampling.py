"""Band-limited resampling whose memory does not grow with how awkward the rate ratio is.

torchaudio's ``resample`` builds one windowed-sinc kernel per output phase: ``new/g × (orig/g + 2·width)`` values for
``g = gcd(orig, new)``. For common rates that is small (44.1 kHz → 16 kHz: 76 k values), but for two rates with no
common factor it is not (100,003 Hz → 16 kHz: 1.6 G values, 6.4 GB, for a clip of one sample). Above
``MAX_KERNEL_VALUES`` the same filter (Hann-windowed sinc, ``lowpass_filter_width`` zero crossings, ``rolloff``) is
evaluated directly at each output sample's own input taps, a block of output samples at a time: memory is
``block × taps`` and time is ``output samples × taps``, whatever the ratio.
"""

from __future__ import annotations

import math

import torch
import torchaudio
from torch import Tensor

MAX_KERNEL_VALUES = 1 << 22
"""The largest torchaudio kernel (values) built; larger ratios are resampled tap by tap (``sinc_resample``)."""

MIN_SAMPLE_RATE = 1_000
MAX_SAMPLE_RATE = 384_000
"""The sample rates audio may claim (Hz): every rate recorders and codecs write lies between them."""


def resampled_length(frames: int, orig_rate: int, new_rate: int) -> int:
    """Samples after resampling ``frames`` samples from ``orig_rate`` to ``new_rate`` (as torchaudio does)."""
    return frames if orig_rate == new_rate else math.ceil(frames * new_rate / orig_rate)


def kernel_values(orig_rate: int, new_rate: int, lowpass_filter_width: int = 6, rolloff: float = 0.99) -> int:
    """How many values torchaudio's kernel for this ratio holds."""
    g = math.gcd(orig_rate, new_rate)
    orig, new = orig_rate // g, new_rate // g
    width = math.ceil(lowpass_filter_width * orig / (min(orig, new) * rolloff))
    return new * (orig + 2 * width)


def sinc_resample(waveform: Tensor, orig_rate: int, new_rate: int, lowpass_filter_width: int = 6,
                  rolloff: float = 0.99, block: int = 8192) -> Tensor:
    """Resample ``(N,)`` with torchaudio's Hann-windowed sinc filter, evaluated tap by tap in blocks.

    Output sample ``j`` sits at input time ``j·orig/new``; it sums the input samples within ``width`` of it,
    weighted by the filter at their distance, as torchaudio's kernel row for its phase does (the kernel's other
    values are zero). Memory is ``block × (2·width + 2)`` whatever the ratio.
    """
    g = math.gcd(orig_rate, new_rate)
    orig, new = orig_rate // g, new_rate // g
    base = min(orig, new) * rolloff
    width = math.ceil(lowpass_filter_width * orig / base)
    frames = waveform.numel()
    total = resampled_length(frames, orig, new)
    source = waveform.to(torch.float64)
    taps = torch.arange(-width, width + 2, dtype=torch.int64)  # (K,)
    out = torch.empty(total, dtype=torch.float64)
    for start in range(0, total, block):
        j = torch.arange(start, min(total, start + block), dtype=torch.int64)  # (C,)
        index = (j * orig // new)[:, None] + taps  # (C, K) input samples around each output sample
        t = (index * new - j[:, None] * orig).to(torch.float64) / (orig * new) * base  # (C, K) in zero crossings
        t = t.clamp(-lowpass_filter_width, lowpass_filter_width)
        window = torch.cos(t * math.pi / lowpass_filter_width / 2) ** 2
        t = t * math.pi
        weights = torch.where(t == 0, torch.ones_like(t), t.sin() / t) * window * (base / orig)  # (C, K)
        inside = (index >= 0) & (index < frames)
        values = source[index.clamp(0, frames - 1)] * inside  # (C, K), zero outside the clip
        out[start:start + len(j)] = (values * weights).sum(dim=1)
    return out.to(waveform.dtype)


def resample(waveform: Tensor, orig_rate: int, new_rate: int) -> Tensor:
    """Resample a mono waveform ``(N,)`` (band-limited sinc interpolation), in bounded memory for any ratio."""
    if orig_rate == new_rate:
        return waveform
    if kernel_values(orig_rate, new_rate) <= MAX_KERNEL_VALUES:
        return torchaudio.functional.resample(waveform, orig_rate, new_rate)
    return sinc_resample(waveform, orig_rate, new_rate)


def check_sample_rate(rate: object, where: str) -> int:
    """``rate`` as an int in ``[MIN_SAMPLE_RATE, MAX_SAMPLE_RATE]``, or a ValueError naming ``where``."""
    if isinstance(rate, bool) or not isinstance(rate, int) or not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise ValueError(f"{where}: the sample rate must be an integer from {MIN_SAMPLE_RATE} to {MAX_SAMPLE_RATE} "
                         f"Hz, got {rate!r}")
    return rate


__all__ = ["MAX_SAMPLE_RATE", "MIN_SAMPLE_RATE", "check_sample_rate", "kernel_values", "resample",
           "resampled_length", "sinc_resample"]
