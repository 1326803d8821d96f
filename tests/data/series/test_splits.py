import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lightning_seq.data.series.splits import spans, split_starts, windows_in

START = np.datetime64("2024-01-01T00", "s")


def hours(n):
    return START + np.arange(n).astype("timedelta64[h]").astype("timedelta64[s]")


@settings(max_examples=200, deadline=None)
@given(steps=st.integers(20, 400), horizon=st.integers(1, 12), context=st.integers(1, 30), data=st.data(),
       stride=st.integers(1, 5), val=st.floats(0.05, 0.4), test=st.floats(0.05, 0.4))
def test_windows_stay_inside_their_split_with_a_horizon_between_splits(steps, horizon, context, data, stride, val,
                                                                        test):
    min_context = data.draw(st.integers(1, context))
    times = hours(steps)
    val_start, test_start = split_starts(times[0], times[-1], val, test)
    cut = spans(times, val_start, test_start, horizon)
    val_at, test_at = (int(np.searchsorted(times, c)) for c in (val_start, test_start))
    assert cut["train"] == (0, val_at)
    for a, b in cut.values():
        windows = windows_in(0, (a, b), context, min_context, horizon, stride)
        for w in windows:
            assert a <= w.start < w.end and w.end + horizon <= b  # the whole window inside the split
            assert min_context <= w.end - w.start <= context
        # every forecast start a stride apart, from the first with enough context to the last that fits
        assert [w.end for w in windows] == list(range(a + min_context, b - horizon + 1, stride))
    # no step of a later split is within a horizon of an earlier split's steps
    assert cut["val"][0] >= min(val_at + horizon, test_at) and cut["test"][0] >= min(test_at + horizon, steps)
    train_windows = windows_in(0, cut["train"], context, min_context, horizon, stride)
    val_windows = windows_in(0, cut["val"], context, min_context, horizon, stride)
    if train_windows and val_windows:
        assert max(w.end + horizon for w in train_windows) + horizon <= min(w.start for w in val_windows)


def test_split_times_can_be_given():
    times = hours(100)
    val, test = split_starts(times[0], times[-1], 0.1, 0.1, val_start="2024-01-02T12", test_start="2024-01-03T12")
    assert str(val) == "2024-01-02T12:00:00" and str(test) == "2024-01-03T12:00:00"
    assert spans(times, val, test, 6) == {"train": (0, 36), "val": (42, 60), "test": (66, 100)}


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"val_fraction": 0.0, "test_fraction": 0.1}, "val_fraction must lie in (0, 1), got 0.0"),
    ({"val_fraction": 0.5, "test_fraction": 0.5}, "val_fraction + test_fraction must be < 1"),
    ({"val_fraction": 0.1, "test_fraction": 0.1, "val_start": "later"}, "val_start must be an ISO 8601 time"),
    ({"val_fraction": 0.1, "test_fraction": 0.1, "val_start": "2024-01-04", "test_start": "2024-01-03"},
     "the splits must start in order inside the data"),
])
def test_bad_splits_are_refused(kwargs, message):
    times = hours(100)
    with pytest.raises(ValueError) as error:
        split_starts(times[0], times[-1], **kwargs)
    assert message in str(error.value)
