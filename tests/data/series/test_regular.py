import numpy as np
import pytest

from lightning_seq.data.series.regular import Frequency, apply_missing, infer_frequency, to_grid
from lightning_seq.data.series.table import SeriesReadings


def readings(times, values, name="s"):
    return SeriesReadings(name, np.array(times, dtype="datetime64[s]"), np.array(values, dtype=float),
                          tuple(f"c{i}" for i in range(np.array(values).shape[1])), "f.csv")


@pytest.mark.parametrize(("text", "parsed"), [("1h", Frequency(1, "h")), ("15min", Frequency(15, "min")),
                                              ("D", Frequency(1, "D")), ("3M", Frequency(3, "M"))])
def test_frequencies_parse(text, parsed):
    assert Frequency.parse(text) == parsed
    assert Frequency.parse(str(parsed)) == parsed  # its text reads back


@pytest.mark.parametrize("text", ["hourly", "0h", "1y", "-1D", ""])
def test_bad_frequencies_are_refused_naming_the_value(text):
    with pytest.raises(ValueError, match=f"got {text!r}"):
        Frequency.parse(text)


def test_inferred_frequency_is_the_most_common_step_or_calendar_months():
    hourly = readings(["2024-01-01T00", "2024-01-01T01", "2024-01-01T03", "2024-01-01T04"], [[1]] * 4)
    assert infer_frequency([hourly]) == Frequency(1, "h")
    monthly = readings(["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"], [[1]] * 4)
    assert infer_frequency([monthly]) == Frequency(1, "M")
    with pytest.raises(ValueError, match="no series has two readings"):
        infer_frequency([readings(["2024-01-01"], [[1]])])


def test_gaps_become_missing_readings_and_empty_off_grid_rows_hold_no_reading():
    series = readings(["2024-01-01T00", "2024-01-01T01", "2024-01-01T01:30", "2024-01-01T03"],
                      [[1, 10], [2, np.nan], [np.nan, np.nan], [4, 40]])
    times, values = to_grid(series, Frequency(1, "h"), series.timestamps[0])
    assert [str(t)[11:16] for t in times] == ["00:00", "01:00", "02:00", "03:00"]
    np.testing.assert_array_equal(values, [[1, 10], [2, np.nan], [np.nan, np.nan], [4, 40]])


def test_a_reading_off_the_grid_is_refused_naming_the_series_and_time():
    series = readings(["2024-01-01T00", "2024-01-01T01:30"], [[1], [2]])
    with pytest.raises(ValueError, match=r"f.csv: series 's' has a reading at 2024-01-01T01:30:00, off the 1h grid"):
        to_grid(series, Frequency(1, "h"), series.timestamps[0])


def test_monthly_grids_count_calendar_months():
    series = readings(["2023-11-01", "2024-01-01", "2024-02-01"], [[1], [3], [4]])
    times, values = to_grid(series, Frequency(1, "M"), series.timestamps[0])
    assert [str(t)[:10] for t in times] == ["2023-11-01", "2023-12-01", "2024-01-01", "2024-02-01"]
    assert np.isnan(values[1, 0]) and values[3, 0] == 4


def test_missing_policies():
    series = readings(["2024-01-01T00", "2024-01-01T01", "2024-01-01T02"], [[1, 5], [np.nan, 6], [3, np.nan]])
    times, values = to_grid(series, Frequency(1, "h"), series.timestamps[0])
    with pytest.raises(ValueError) as error:
        apply_missing(series, times, values, "error")
    assert str(error.value) == (
        "f.csv: series 's': c0 is missing at 2024-01-01T01:00:00 (2 missing readings in all, gaps in the timestamps "
        "included): choose missing='ffill' or missing='mask'"
    )
    filled = apply_missing(series, times, values, "ffill")
    np.testing.assert_array_equal(filled.values, [[1, 5], [1, 6], [3, 6]])
    assert filled.observed.all()
    masked = apply_missing(series, times, values, "mask")
    np.testing.assert_array_equal(masked.values, [[1, 5], [0, 6], [3, 0]])
    np.testing.assert_array_equal(masked.observed, [[True, True], [False, True], [True, False]])


def test_forward_fill_cannot_invent_a_series_start():
    series = readings(["2024-01-01T00", "2024-01-01T01"], [[np.nan, 1], [2, 1]])
    times, values = to_grid(series, Frequency(1, "h"), series.timestamps[0])
    with pytest.raises(ValueError, match=r"c0 cannot be carried forward before its first reading "
                                         r"\(2024-01-01T01:00:00, the series starts at 2024-01-01T00:00:00\)"):
        apply_missing(series, times, values, "ffill")
