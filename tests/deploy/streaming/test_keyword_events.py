import functools

import pytest
import torch

from lightning_seq.deploy.streaming import ClassifierStreamer, KeywordDetector, KeywordEvent
from lightning_seq.nn import GRUEncoder
from lightning_seq.tasks import SequenceClassifier

LABELS = ["_background_", "no", "yes"]


def posteriors(spans, frames=100):
    """Background everywhere except ``{label: [(first, last), ...]}`` frames, where that keyword has 0.9."""
    out = torch.tensor([[0.9, 0.05, 0.05]]).repeat(frames, 1)
    for label, ranges in spans.items():
        for first, last in ranges:
            row = torch.full((3,), 0.05)
            row[LABELS.index(label)] = 0.9
            out[first : last + 1] = row
    return out


def detector(**overrides):
    settings = {"hop_seconds": 0.01, "smoothing": 3, "threshold": 0.6, "refractory": 0.2, "min_duration": 0.0}
    settings |= overrides
    return KeywordDetector(LABELS, "_background_", **settings)


def test_events_after_smoothing_threshold_and_refractory_period():
    frames = posteriors({"yes": [(10, 29), (45, 45)], "no": [(35, 40), (70, 79)]})
    found = detector().push(frames) + detector().flush()
    # smoothing over 3 frames: above 0.6 from the 2nd frame of a span to the 2nd frame after it; "no" at 35-40 falls in
    # the 0.2 s after "yes" ended (0.31 s) and is suppressed; the one-frame "yes" at 45 never clears the smoothed bar
    assert [(e.label, round(e.start, 2), round(e.end, 2)) for e in found] == [("yes", 0.11, 0.3), ("no", 0.71, 0.8)]
    assert all(e.score == pytest.approx(0.9) for e in found) and isinstance(found[0], KeywordEvent)


def test_events_do_not_depend_on_how_the_frames_arrive():
    frames = posteriors({"yes": [(5, 14)], "no": [(40, 52), (90, 99)]})
    whole = detector()
    expected = whole.push(frames) + whole.flush()
    assert [e.label for e in expected] == ["yes", "no", "no"]  # the last one is still open at the end: flushed
    for sizes in ([1] * 100, [7] * 15, [3, 0, 50, 47]):
        one, got, start = detector(), [], 0
        for size in sizes:
            got += one.push(frames[start : start + size])
            start += size
        assert got + one.flush() == expected


def test_detector_arguments_are_checked():
    with pytest.raises(ValueError, match=r"background class 'silence' is not among the labels"):
        KeywordDetector(LABELS, "silence", hop_seconds=0.01)
    with pytest.raises(ValueError, match=r"threshold must lie in \(0, 1\), got 1.5"):
        detector(threshold=1.5)
    with pytest.raises(ValueError, match=r"smoothing must be >= 1 frame, got 0"):
        detector(smoothing=0)
    with pytest.raises(ValueError, match=r"posteriors must be \(T, 3\), got shape \(4,\)"):
        detector().push(torch.zeros(4))


@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
def test_per_frame_posteriors_are_the_classifier_on_each_prefix(pooling):
    torch.manual_seed(0)
    task = SequenceClassifier(num_classes=3, vocab_size=20, embedding_dim=8, pooling=pooling,
                              encoder=functools.partial(GRUEncoder, hidden_size=8, num_layers=2)).eval()
    ids = torch.randint(4, 20, (17,))
    with torch.no_grad():
        want = torch.cat([task(ids[:t].unsqueeze(0), torch.tensor([t])).softmax(-1) for t in range(1, 18)])
    streamer = ClassifierStreamer(task)
    got = torch.cat([streamer.push_frames([chunk])[0] for chunk in ids.split([4, 1, 6, 6])])
    torch.testing.assert_close(got, want, atol=1e-5, rtol=0)
    torch.testing.assert_close(streamer.posteriors()[0], want[-1], atol=1e-5, rtol=0)


def test_an_event_shorter_than_min_duration_is_dropped_and_starts_no_refractory_period():
    frames = posteriors({"no": [(10, 12)], "yes": [(16, 40)]})  # a 3-frame blip, then the word 0.04 s later
    found = detector(min_duration=0.1, refractory=0.5).push(frames)
    assert [(e.label, round(e.start, 2), round(e.end, 2)) for e in found] == [("yes", 0.17, 0.41)]
    kept = detector(min_duration=0.0, refractory=0.5).push(frames)
    assert [e.label for e in kept] == ["no"]  # without it the blip's refractory period hides the word
    with pytest.raises(ValueError, match=r"min_duration must be >= 0 seconds, got -0.1"):
        detector(min_duration=-0.1)
