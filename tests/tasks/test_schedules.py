import math

import pytest

from lightning_seq.tasks.schedules import TeacherForcingSchedule


def test_schedules_give_their_expected_probabilities():
    assert TeacherForcingSchedule("constant", start=0.7)(12345) == 0.7
    linear = TeacherForcingSchedule("linear", start=1.0, end=0.2, steps=100)
    assert [linear(s) for s in (0, 50, 100, 500)] == pytest.approx([1.0, 0.6, 0.2, 0.2])
    exponential = TeacherForcingSchedule("exponential", start=1.0, end=0.1, decay=0.99)
    assert exponential(100) == pytest.approx(0.99**100) and exponential(10**6) == 0.1
    sigmoid = TeacherForcingSchedule("inverse_sigmoid", start=1.0, end=0.0, decay=50.0)
    assert sigmoid(0) == pytest.approx(50 / 51) and sigmoid(500) == pytest.approx(50 / (50 + math.exp(10)))
    assert sigmoid(10**7) < 1e-12


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "cosine"}, "kind must be constant, linear, exponential or inverse_sigmoid, got 'cosine'"),
        ({"start": 0.2, "end": 0.5}, "need 0 <= end <= start <= 1"),
        ({"kind": "exponential", "decay": 1.5}, r"exponential decay must lie in \(0, 1\], got 1.5"),
        ({"kind": "inverse_sigmoid", "decay": 0.5}, "inverse_sigmoid decay \\(k\\) must be >= 1, got 0.5"),
        ({"steps": 0}, "steps must be >= 1, got 0"),
    ],
)
def test_invalid_schedules(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TeacherForcingSchedule(**kwargs)
