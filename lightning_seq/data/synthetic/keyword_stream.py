"""Embedded audio for streaming keyword spotting: clips with a background class, and long recordings.

A streaming spotter runs over a continuous recording, so its training clips look like a moment of one: background
(coloured noise at a drifting level, now and then another word) for 0.3-1.2 s, then the target, then at most 0.15 s
more background. The target is a keyword (labelled by it) or, for the ``BACKGROUND`` class, nothing, a word that is
no keyword, or a keyword cut off before its end (so the spotter learns to answer once a word is complete, not at
its first vowels). A long recording places keywords at known times in a minute of the same background, for event
precision and recall.
"""

from __future__ import annotations

import random

import torch
from torch import Tensor

from lightning_seq.data.synthetic.audio import KEYWORDS, voices_and_labels
from lightning_seq.data.synthetic.voices import Speaker, reverberate, speak
from lightning_seq.types import SpokenWord

BACKGROUND = "_background_"
"""The "no keyword" class of the streaming clips."""
# vowel words that are not keywords: the background speech a spotter must ignore
DISTRACTORS = ("ae", "ea", "io", "oi", "eu", "ue", "oa", "ieo", "aou", "uia")
__all__ = ["BACKGROUND", "DISTRACTORS", "SpokenWord", "background", "generate_long_recording",
           "generate_stream_keyword_clips"]


def background(rng: random.Random, samples: int, sample_rate: int) -> Tensor:
    """Coloured noise ``(samples,)`` whose level drifts over seconds (a room, a street, a fan), RMS 0.003-0.018."""
    generator = torch.Generator().manual_seed(rng.randrange(2**31))
    white = torch.randn(samples + 1, generator=generator)
    colour = rng.uniform(0.0, 0.95)  # 0: white, towards 1: low-frequency rumble
    noise = white[1:] - colour * white[:-1] if rng.random() < 0.5 else _lowpass(white[1:], colour)
    noise = noise / noise.square().mean().sqrt().clamp(min=1e-8)
    seconds = torch.arange(samples) / sample_rate
    drift = 1.0 + 0.5 * torch.sin(2 * torch.pi * seconds / rng.uniform(3.0, 12.0) + rng.uniform(0, 6.28))
    return 0.01 * 10 ** (rng.uniform(-10, 5) / 20) * drift * noise


def _lowpass(x: Tensor, pole: float) -> Tensor:
    """One-pole low-pass filter, computed in the frequency domain (``y[n] = x[n] + pole * y[n-1]``, decayed)."""
    size = 2 * x.numel()
    response = pole ** torch.arange(min(x.numel(), 2000), dtype=x.dtype)
    return torch.fft.irfft(torch.fft.rfft(x, size) * torch.fft.rfft(response, size), size)[: x.numel()]


def _voice(rng: random.Random, word: str, speaker: Speaker, sample_rate: int) -> Tensor:
    """``word`` spoken by ``speaker`` at a random loudness (RMS 10-30 dB above 0.01), sometimes in a room."""
    wave = speak(rng, word, speaker, sample_rate)
    if rng.random() < 0.3:
        wave = reverberate(rng, wave, sample_rate, rng.uniform(0.1, 0.4))
    rms = wave.square().mean().sqrt().clamp(min=1e-8)
    return wave * (0.01 * 10 ** (rng.uniform(10, 30) / 20) / rms)


def generate_stream_keyword_clips(
    num_samples: int, seed: int, sample_rate: int = 8000, num_speakers: int = 24
) -> list[tuple[Tensor, str]]:
    """``(waveform, label)`` clips that end on a keyword or on background (``BACKGROUND``).

    Each keyword labels 1/12 of the clips, background 2/12. Clip ``i`` is spoken by speaker ``i mod num_speakers``;
    different seeds draw different speakers.
    """
    classes = (*KEYWORDS, BACKGROUND, BACKGROUND)  # background twice as often as each keyword
    if num_samples < 1:
        raise ValueError(f"num_samples must be >= 1, got {num_samples!r}")
    rng = random.Random(seed)
    speakers, labels = voices_and_labels(rng, classes, num_samples, num_speakers)
    clips = []
    for i, label in enumerate(labels):
        speaker = speakers[i % num_speakers]
        context = [torch.zeros(int(rng.uniform(0.3, 1.2) * sample_rate))]
        if rng.random() < 0.4:  # an earlier word the spotter must let go of
            context.append(_voice(rng, rng.choice(KEYWORDS + DISTRACTORS), speaker, sample_rate))
            context.append(torch.zeros(int(rng.uniform(0.1, 0.4) * sample_rate)))
        target = _background_target(rng, speaker, sample_rate) if label == BACKGROUND else _voice(
            rng, label, speaker, sample_rate
        )
        tail = torch.zeros(int(rng.uniform(0.0, 0.15) * sample_rate))
        speech = torch.cat([*context, target, tail])
        clips.append((speech + background(rng, speech.numel(), sample_rate), label))
    return clips


def _background_target(rng: random.Random, speaker: Speaker, sample_rate: int) -> Tensor:
    """What ends a background clip: nothing (0.3-0.8 s), a word that is no keyword, or a keyword cut short."""
    kind = rng.random()
    if kind < 0.3:
        return torch.zeros(int(rng.uniform(0.3, 0.8) * sample_rate))
    if kind < 0.6:
        return _voice(rng, rng.choice(DISTRACTORS), speaker, sample_rate)
    word = _voice(rng, rng.choice(KEYWORDS), speaker, sample_rate)
    return word[: int(word.numel() * rng.uniform(0.3, 0.6))]


def generate_long_recording(
    seconds: float, seed: int, sample_rate: int = 8000, num_speakers: int = 8, keyword_share: float = 0.7
) -> tuple[Tensor, list[SpokenWord]]:
    """A ``seconds``-long recording of background with a word every 1.5-4 s, and the keywords in it.

    ``keyword_share`` of the words are keywords (the rest are words that are no keyword); each is spoken by one of
    ``num_speakers`` voices drawn from ``seed`` (seeds apart from the training data's give unseen voices). Returns
    the waveform ``(N,)`` and the keywords with their spoken spans, in time order.
    """
    if seconds <= 0:
        raise ValueError(f"seconds must be > 0, got {seconds!r}")
    if not 0.0 <= keyword_share <= 1.0:
        raise ValueError(f"keyword_share must lie in [0, 1], got {keyword_share!r}")
    rng = random.Random(seed)
    speakers = [Speaker.draw(rng) for _ in range(num_speakers)]
    total = int(seconds * sample_rate)
    speech = torch.zeros(total)
    words = []
    at = int(rng.uniform(0.5, 1.5) * sample_rate)
    while True:
        keyword = rng.random() < keyword_share
        label = rng.choice(KEYWORDS) if keyword else rng.choice(DISTRACTORS)
        wave = _voice(rng, label, rng.choice(speakers), sample_rate)
        if at + wave.numel() > total:
            break
        speech[at : at + wave.numel()] = wave
        if keyword:
            words.append(SpokenWord(label, at / sample_rate, (at + wave.numel()) / sample_rate))
        at += wave.numel() + int(rng.uniform(1.5, 4.0) * sample_rate)
    return speech + background(rng, total, sample_rate), words
