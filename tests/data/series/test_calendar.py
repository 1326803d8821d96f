import numpy as np
import pytest

from lightning_seq.data.series.calendar import calendar_features, default_calendar
from lightning_seq.data.series.regular import Frequency


def test_phases_start_at_midnight_monday_new_year_and_january():
    # 2024-01-01 was a Monday
    features = calendar_features(np.array(["2024-01-01T00:00"], dtype="datetime64[s]"),
                                 ["hour_of_day", "day_of_week", "day_of_year", "month_of_year"])
    np.testing.assert_allclose(features, [[0, 1, 0, 1, 0, 1, 0, 1]], atol=1e-7)


def test_six_in_the_evening_on_a_thursday_in_july():
    features = calendar_features(np.array(["2024-07-04T18:00"], dtype="datetime64[s]"),
                                 ["hour_of_day", "day_of_week", "month_of_year"])
    angles = 2 * np.pi * np.array([18 / 24, 3 / 7, 6 / 12])
    np.testing.assert_allclose(features[0], np.stack([np.sin(angles), np.cos(angles)], axis=1).ravel(), atol=1e-6)


@pytest.mark.parametrize(("frequency", "features"), [
    ("1h", ["hour_of_day", "day_of_week", "day_of_year"]), ("1D", ["day_of_week", "day_of_year"]),
    ("1W", ["day_of_year"]), ("1M", ["month_of_year"]),
])
def test_the_default_calendar_is_what_the_grid_can_see(frequency, features):
    assert default_calendar(Frequency.parse(frequency)) == features


def test_an_unknown_feature_is_refused():
    with pytest.raises(ValueError, match="got 'minute'"):
        calendar_features(np.array(["2024-01-01"], dtype="datetime64[s]"), ["minute"])
