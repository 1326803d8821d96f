import collections

import pytest
import torch

from lightning_seq.data import AudioKeywordsDataModule
from lightning_seq.data.synthetic.audio import KEYWORDS
from lightning_seq.data.synthetic.keyword_stream import (
    BACKGROUND,
    DISTRACTORS,
    generate_long_recording,
    generate_stream_keyword_clips,
)
from lightning_seq.nn import AudioFeatures

RATE = 8000


def test_stream_clips_hold_every_keyword_and_twice_as_much_background_reproducibly():
    clips = generate_stream_keyword_clips(120, seed=2, num_speakers=4)
    assert collections.Counter(label for _, label in clips) == {**{w: 10 for w in KEYWORDS}, BACKGROUND: 20}
    again = generate_stream_keyword_clips(120, seed=2, num_speakers=4)
    assert all(torch.equal(a, b) for (a, _), (b, _) in zip(clips, again, strict=True))
    # background for 0.3-1.2 s, maybe a word, the target, at most 0.15 s more: never shorter than 0.3 s
    assert all(0.3 * RATE <= wave.numel() < 4.0 * RATE for wave, _ in clips)
    assert set(DISTRACTORS).isdisjoint(KEYWORDS)


def test_a_keyword_clip_ends_on_its_word_louder_than_the_background_before_it():
    for wave, label in generate_stream_keyword_clips(60, seed=5, num_speakers=3):
        if label == BACKGROUND:
            continue
        lead = wave[: int(0.25 * RATE)].square().mean().sqrt()  # the first 0.25 s are background only
        last = wave[-int(0.45 * RATE) :].square().mean().sqrt()  # the word ends within the last 0.15 s
        assert last > 1.3 * lead, label


@pytest.mark.parametrize("seconds, seed", [(8.0, 0), (20.0, 1), (60.0, 7)])
def test_a_long_recording_places_its_keywords_where_it_says(seconds, seed):
    wave, words = generate_long_recording(seconds, seed)
    assert wave.shape == (int(seconds * RATE),)
    assert words and all(w.label in KEYWORDS for w in words)
    assert all(0.5 <= w.start < w.end <= seconds for w in words)
    assert all(b.start - a.end >= 1.5 for a, b in zip(words, words[1:], strict=False))  # gaps of 1.5-4 s
    for word in words:
        inside = wave[int(word.start * RATE) : int(word.end * RATE)].square().mean().sqrt()
        before = wave[int((word.start - 0.5) * RATE) : int(word.start * RATE)].square().mean().sqrt()
        assert inside > 1.3 * before, word
    again, same = generate_long_recording(seconds, seed)
    assert torch.equal(wave, again) and same == words


def test_long_recording_arguments_are_checked():
    with pytest.raises(ValueError, match=r"seconds must be > 0, got 0"):
        generate_long_recording(0, seed=0)
    with pytest.raises(ValueError, match=r"keyword_share must lie in \[0, 1\], got 2"):
        generate_long_recording(5, seed=0, keyword_share=2)
    _, none = generate_long_recording(10, seed=0, keyword_share=0.0)
    assert none == []


def test_the_keyword_module_generates_a_background_class_when_asked():
    features = AudioFeatures("logmel", RATE, frame_length=256, hop_length=160, n_mels=16, normalization="global")
    dm = AudioKeywordsDataModule(features=features, background_class=True, generated_size=60, batch_size=8)
    assert dm.label_names == sorted([*KEYWORDS, BACKGROUND]) and dm.num_classes == 11
    plain = AudioKeywordsDataModule(features=features, generated_size=60, batch_size=8)
    assert BACKGROUND not in plain.label_names and plain.num_classes == 10
