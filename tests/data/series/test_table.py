import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lightning_seq.data.series.table import read_series_table


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_wide_csv_is_one_series_in_time_order_with_empty_cells_missing(tmp_path):
    path = write(tmp_path / "station.csv", "time,temp,rain\n2024-01-01 02:00,3.5,\n2024-01-01 00:00,1.5,0\n"
                                           "2024-01-01 01:00,NA,0.2\n")
    (series,) = read_series_table(path, timestamp_column="time", columns=["temp", "rain"])
    assert series.series_id == "station" and series.columns == ("temp", "rain") and series.where == str(path)
    assert series.timestamps.tolist() == list(np.array(["2024-01-01T00", "2024-01-01T01", "2024-01-01T02"],
                                                       dtype="datetime64[s]"))
    np.testing.assert_array_equal(series.values, [[1.5, 0.0], [np.nan, 0.2], [3.5, np.nan]])


def test_long_csv_is_one_series_per_id_in_first_seen_order(tmp_path):
    path = write(tmp_path / "sales.csv", "store,day,units\nb,2024-01-02,5\na,2024-01-01,1\nb,2024-01-01,4\n"
                                         "a,2024-01-02,2\n")
    series = read_series_table(path, timestamp_column="day", columns=["units"], series_column="store")
    assert [s.series_id for s in series] == ["b", "a"]
    assert [s.values[:, 0].tolist() for s in series] == [[4.0, 5.0], [1.0, 2.0]]


def test_parquet_with_timestamp_type_reads_like_csv(tmp_path):
    times = pa.array(np.array(["2024-03-01T00", "2024-03-01T06"], dtype="datetime64[s]"))
    pq.write_table(pa.table({"t": times, "v": [1.0, None]}), tmp_path / "x.parquet")
    (series,) = read_series_table(tmp_path / "x.parquet", timestamp_column="t", columns=["v"])
    assert str(series.timestamps[1]) == "2024-03-01T06:00:00" and np.isnan(series.values[1, 0])


def test_sensor_codes_are_missing_only_when_declared(tmp_path):
    path = write(tmp_path / "s.csv", "t,v\n2024-01-01,1\n2024-01-02,-9900\n")
    (plain,) = read_series_table(path, timestamp_column="t", columns=["v"])
    (coded,) = read_series_table(path, timestamp_column="t", columns=["v"], missing_values=["", "-9900"])
    assert plain.values[1, 0] == -9900 and np.isnan(coded.values[1, 0])


def test_timestamp_format_reads_other_spellings(tmp_path):
    path = write(tmp_path / "m.csv", "Date,Close\n19-Sep-03,29.96\n18-Sep-03,29.50\n")
    (series,) = read_series_table(path, timestamp_column="Date", columns=["Close"], timestamp_format="%d-%b-%y")
    assert str(series.timestamps[0]) == "2003-09-18T00:00:00" and series.values[:, 0].tolist() == [29.5, 29.96]


@pytest.mark.parametrize(
    ("text", "columns", "message"),
    [
        ("t,v\n2024-01-01,1\n2024-01-02,x\n", ["v"], "s.csv:3: column 'v' holds 'x', not a number"),
        ("t,v\n2024-01-01,1\nsoon,2\n", ["v"], "s.csv:3: t 'soon' is not a timestamp in ISO 8601"),
        ("t,v\n2024-01-01,1\n,2\n", ["v"], "s.csv:3: the t cell is empty"),
        ("t,v\n2024-01-01,1\n", ["v", "w"], "s.csv: no column ['w'] (the file has ['t', 'v'])"),
        ("t,v\n2024-01-01,1\n2024-01-02,2\n2024-01-01,3\n", ["v"],
         "series 's' has two readings at 2024-01-01T00:00:00 (lines 2 and 4): keep one"),
    ],
)
def test_bad_tables_are_refused_naming_the_file_and_line(tmp_path, text, columns, message):
    path = write(tmp_path / "s.csv", text)
    with pytest.raises(ValueError) as error:
        read_series_table(path, timestamp_column="t", columns=columns)
    assert message in str(error.value)


def test_unknown_suffix_and_absent_file_are_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="readings file not found"):
        read_series_table(tmp_path / "none.csv", timestamp_column="t", columns=["v"])
    with pytest.raises(ValueError, match="must be a .csv or .parquet file"):
        read_series_table(write(tmp_path / "x.json", "{}"), timestamp_column="t", columns=["v"])


def test_comment_lines_above_the_header_are_skipped_and_line_numbers_stay_the_files(tmp_path):
    path = write(tmp_path / "c.csv", "# source: a station\n# units: C\nt,v\n2024-01-01,1\n2024-01-02,x\n")
    with pytest.raises(ValueError, match=r"c.csv:5: column 'v' holds 'x', not a number"):
        read_series_table(path, timestamp_column="t", columns=["v"])
    path.write_text("# source\nt,v\n2024-01-01,1\n2024-01-02,2,3\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"c.csv: CSV parse error: Expected 2 columns, got 3"):
        read_series_table(path, timestamp_column="t", columns=["v"])
