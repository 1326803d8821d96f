"""Resampling in bounded memory: the tap-by-tap filter equals torchaudio's kernel wherever that one can be built,
and a ratio with no common factor no longer builds a kernel the size of both rates multiplied."""

import resource

import numpy as np
import pytest
import torch
import torchaudio

from lightning_seq.data.readers.resampling import (
    MAX_KERNEL_VALUES,
    check_sample_rate,
    kernel_values,
    resample,
    resampled_length,
    sinc_resample,
)


@pytest.mark.parametrize(("orig", "new"), [(11025, 16000), (44100, 16000), (8000, 16000), (16000, 8000),
                                           (22050, 8000), (48000, 16000), (16000, 44100), (7919, 8000)])
@pytest.mark.parametrize("frames", [1, 37, 4000])
def test_tap_by_tap_resampling_equals_torchaudios_kernel(orig, new, frames):
    wave = torch.from_numpy(np.random.default_rng(frames).standard_normal(frames).astype(np.float32))
    ours = sinc_resample(wave, orig, new, block=997)
    assert ours.dtype == torch.float32 and ours.shape == (resampled_length(frames, orig, new),)
    # torchaudio's kernel in float64 (its float32 kernel places the phases only to about 1e-3 at 7919 -> 8000 Hz)
    exact = torchaudio.functional.resample(wave.double(), orig, new)
    torch.testing.assert_close(ours.double(), exact, rtol=0, atol=1e-6)
    torch.testing.assert_close(ours, torchaudio.functional.resample(wave, orig, new), rtol=0, atol=2e-3)


def test_awkward_ratios_resample_in_bounded_memory():
    """100003 Hz to 16 kHz: torchaudio's kernel would hold 1.6 G values (6.4 GB) even for one sample."""
    assert kernel_values(100003, 16000) > 1_000_000_000 > MAX_KERNEL_VALUES
    assert kernel_values(44100, 16000) < MAX_KERNEL_VALUES  # common rates keep torchaudio's own kernel
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MB
    for frames in (1, 100003):
        out = resample(torch.ones(frames), 100003, 16000)
        assert out.shape == (resampled_length(frames, 100003, 16000),)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - peak < 500  # not the 6.4 GB of the kernel
    wave = torch.sin(torch.arange(100003) * 2 * torch.pi * 440 / 100003)  # a 440 Hz tone keeps its frequency
    out = resample(wave, 100003, 16000)
    spectrum = torch.fft.rfft(out).abs()
    assert abs(int(spectrum.argmax()) * 16000 / len(out) - 440) < 2


def test_sample_rates_outside_the_documented_range_are_refused_by_name():
    assert check_sample_rate(1000, "x") == 1000 and check_sample_rate(384000, "x") == 384000
    for bad in (999, 384001, 0, -8000, 16000.0, True, "16000", None):
        with pytest.raises(ValueError, match=f"^clip.wav: the sample rate must be an integer from 1000 to 384000 Hz, "
                                             f"got {bad!r}$"):
            check_sample_rate(bad, "clip.wav")
