"""Source-filter synthesis of vowel "words" by simulated speakers, in simulated rooms.

A word is a sequence of vowels with a consonant-like burst before each. A speaker has a pitch (85-255 Hz, from deep
adult to child voices), a vocal-tract length (formants scaled by 0.85-1.2), a speaking rate, a spectral tilt,
breathiness and jitter. A recording has a loudness, leading and trailing silence, and, on a fraction of clips,
background noise and room reverberation. The same vowel by two speakers can therefore sit at different formants and
pitch, as in speech; words that share vowels differ only in their order, so frame statistics alone cannot tell them
apart.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import torch
from torch import Tensor

# first three formants (Hz) of an adult voice, Peterson & Barney style averages
VOWEL_FORMANTS = {
    "a": (730.0, 1090.0, 2440.0),
    "e": (530.0, 1840.0, 2480.0),
    "i": (270.0, 2290.0, 3010.0),
    "o": (570.0, 840.0, 2410.0),
    "u": (300.0, 870.0, 2240.0),
}


@dataclass(frozen=True)
class Speaker:
    """One simulated voice: pitch, vocal-tract scale, rate, spectral tilt, breathiness and jitter."""

    pitch: float
    tract: float
    rate: float
    tilt: float
    breath: float
    jitter: float

    @classmethod
    def draw(cls, rng: random.Random) -> Speaker:
        """A random speaker: the ranges span deep adult to child voices and slow to fast speech."""
        return cls(
            pitch=math.exp(rng.uniform(math.log(85.0), math.log(255.0))),
            tract=rng.uniform(0.85, 1.2),
            rate=rng.uniform(0.75, 1.3),
            tilt=rng.uniform(0.8, 1.6),
            breath=rng.uniform(0.0, 0.15),
            jitter=rng.uniform(0.0, 0.03),
        )


def _seeded_randn(rng: random.Random, size: int) -> Tensor:
    return torch.randn(size, generator=torch.Generator().manual_seed(rng.randrange(2**31)))


def _formant_track(word: str, tract: float, samples: list[int]) -> Tensor:
    """Per-sample formants ``(N, 3)``: each vowel's target, glided into the next over the last third."""
    pieces = []
    for k, (vowel, count) in enumerate(zip(word, samples, strict=True)):
        here = torch.tensor(VOWEL_FORMANTS[vowel]) * tract
        after = torch.tensor(VOWEL_FORMANTS[word[k + 1]]) * tract if k + 1 < len(word) else here
        glide = torch.clamp((torch.arange(count) / count - 2 / 3) * 3, min=0.0).unsqueeze(1)  # (n, 1)
        pieces.append(here + (after - here) * glide)
    return torch.cat(pieces)


def speak(rng: random.Random, word: str, speaker: Speaker, sample_rate: int) -> Tensor:
    """The waveform ``(N,)`` of ``word`` (vowel letters) spoken by ``speaker``, peak-normalised to 1."""
    lengths = [int(rng.uniform(0.11, 0.2) / speaker.rate * sample_rate) for _ in word]
    n = sum(lengths)
    t = torch.arange(n) / sample_rate
    contour = 1.0 + rng.uniform(-0.15, 0.15) * t / t[-1] + 0.02 * torch.sin(2 * math.pi * rng.uniform(4, 6) * t)
    f0 = speaker.pitch * contour * (1.0 + speaker.jitter * _seeded_randn(rng, n))  # (N,)
    phase = torch.cumsum(2 * math.pi * f0 / sample_rate, 0)  # (N,)
    formants = _formant_track(word, speaker.tract, lengths)  # (N, 3)
    bandwidths = torch.tensor([80.0, 110.0, 170.0]) * speaker.tract
    wave = torch.zeros(n)
    for k in range(1, int(0.95 * sample_rate / 2 / f0.max().item()) + 1):
        freq = (k * f0).unsqueeze(1)  # (N, 1)
        gain = (1.0 / (1.0 + ((freq - formants) / bandwidths).square())).sum(1) / k**speaker.tilt  # (N,)
        wave += gain * torch.sin(k * phase)
    wave = wave / wave.abs().max().clamp(min=1e-8)
    wave = wave + speaker.breath * _seeded_randn(rng, n)
    # a consonant at each syllable onset: a dip in voicing under a short noise burst
    start = 0
    for count in lengths:
        burst = int(0.03 / speaker.rate * sample_rate)
        ramp = torch.linspace(0.0, 1.0, burst)
        wave[start : start + burst] = wave[start : start + burst] * ramp + 0.3 * _seeded_randn(rng, burst) * (1 - ramp)
        start += count
    fade = torch.clamp(torch.minimum(t, t.flip(0)) / 0.01, max=1.0)  # 10 ms fades
    return wave * fade / wave.abs().max().clamp(min=1e-8)


def reverberate(rng: random.Random, wave: Tensor, sample_rate: int, rt60: float) -> Tensor:
    """Convolve with an exponentially decaying noise impulse response of reverberation time ``rt60`` seconds."""
    length = int(rt60 * sample_rate)
    t = torch.arange(length) / sample_rate
    response = _seeded_randn(rng, length) * torch.exp(-6.9 * t / rt60)  # 60 dB down at rt60
    response[0] = 1.0
    size = wave.numel() + length - 1
    wet = torch.fft.irfft(torch.fft.rfft(wave, size) * torch.fft.rfft(response, size), size)[: wave.numel()]
    return wet * wave.abs().max() / wet.abs().max().clamp(min=1e-8)


def record(
    rng: random.Random,
    wave: Tensor,
    sample_rate: int,
    noise_fraction: float = 0.6,
    reverb_fraction: float = 0.4,
) -> Tensor:
    """Place ``wave`` in a recording: loudness, silence around it, and on a fraction of clips reverb and noise."""
    if rng.random() < reverb_fraction:
        wave = reverberate(rng, wave, sample_rate, rng.uniform(0.1, 0.5))
    lead, trail = (torch.zeros(int(rng.uniform(0.02, 0.25) * sample_rate)) for _ in range(2))
    wave = wave * 10 ** (rng.uniform(-20, 0) / 20)
    clip = torch.cat([lead, wave, trail])
    if rng.random() < noise_fraction:
        snr = 10 ** (rng.uniform(5, 30) / 10)
        clip = clip + _seeded_randn(rng, clip.numel()) * torch.sqrt(wave.square().mean() / snr)
    return clip
