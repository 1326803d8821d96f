import collections
import random

import pytest
import torch

from lightning_seq.data import AudioKeywordsDataModule
from lightning_seq.data.synthetic.audio import KEYWORD_SPEAKERS, KEYWORDS, generate_keyword_clips
from lightning_seq.data.synthetic.voices import VOWEL_FORMANTS, Speaker, reverberate, speak
from lightning_seq.nn import AudioFeatures

RATE = 8000


def test_keyword_clips_are_balanced_reproducible_and_seed_dependent():
    clips = generate_keyword_clips(60, seed=3, num_speakers=4)
    assert collections.Counter(label for _, label in clips) == {word: 6 for word in KEYWORDS}
    again = generate_keyword_clips(60, seed=3, num_speakers=4)
    assert all(torch.equal(a, b) and x == y for (a, x), (b, y) in zip(clips, again, strict=True))
    other = generate_keyword_clips(60, seed=4, num_speakers=4)
    assert not torch.equal(clips[0][0], other[0][0])
    assert all(0.15 * RATE < wave.numel() < 1.8 * RATE and wave.abs().max() <= 2.0 for wave, _ in clips)


def test_every_word_uses_the_vowels_it_is_spelled_with_and_every_pair_differs_only_in_order():
    assert all(set(word) <= set(VOWEL_FORMANTS) for word in KEYWORDS)
    by_vowels = collections.defaultdict(list)
    for word in KEYWORDS:
        by_vowels[frozenset(word)].append(word)
    assert all(len(words) == 2 for words in by_vowels.values())  # same vowels, another order


def test_speakers_span_the_documented_ranges_and_each_split_has_its_voice_count():
    speakers = [Speaker.draw(random.Random(seed)) for seed in range(300)]
    assert 85 <= min(s.pitch for s in speakers) < 100 and 230 < max(s.pitch for s in speakers) <= 255
    assert 0.85 <= min(s.tract for s in speakers) and max(s.tract for s in speakers) <= 1.2
    assert KEYWORD_SPEAKERS == {"train": 24, "val": 8, "test": 8}


def dominant_pitch(wave: torch.Tensor) -> float:
    """The strongest autocorrelation lag between 2.5 and 15 ms, as a frequency."""
    frame = wave[: RATE // 4] - wave[: RATE // 4].mean()
    corr = torch.stack([(frame[:-lag] * frame[lag:]).sum() for lag in range(20, 120)])
    return RATE / (20 + corr.argmax().item())


@pytest.mark.parametrize("pitch", [100.0, 150.0, 220.0])
def test_a_speaker_is_heard_at_its_pitch(pitch):
    speaker = Speaker(pitch=pitch, tract=1.0, rate=0.8, tilt=1.2, breath=0.0, jitter=0.0)
    wave = speak(random.Random(0), "aa", speaker, RATE)
    assert dominant_pitch(wave) == pytest.approx(pitch, rel=0.12)


def test_reverberation_spreads_energy_past_the_end_of_a_click():
    click = torch.zeros(RATE)
    click[100] = 1.0
    wet = reverberate(random.Random(0), click, RATE, rt60=0.3)
    assert wet.shape == click.shape and wet[100 + RATE // 20 :].abs().sum() > 0.1 * wet.abs().sum()


def test_the_embedded_keyword_module_balances_the_ten_words_in_every_split():
    features = AudioFeatures("logmel", RATE, frame_length=200, hop_length=80, n_mels=20)
    dm = AudioKeywordsDataModule(features=features, generated_size=40)
    assert dm.label_names == sorted(KEYWORDS)
    assert [len(dm.records[s]) for s in ("train", "val", "test")] == [40, 10, 10]
    assert all(collections.Counter(c.target for c in dm.records[s]) == {w: n for w in KEYWORDS}
               for s, n in (("train", 4), ("val", 1), ("test", 1)))
