"""Read timestamped readings from a CSV or Parquet table, in the wide or the long layout, into one record per series."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

DEFAULT_MISSING = ("", "NA", "NaN", "nan", "null")
"""Cells read as missing values (an empty cell, ``NA``, ``NaN``); a sensor code such as ``-9900`` must be named."""


class SeriesReadings(NamedTuple):
    """One series' readings in time order, as read (not yet on a regular grid).

    Attributes:
        series_id: the series' name (the value of the series column; the file's stem in the wide layout).
        timestamps: ``(T,)`` ``datetime64[s]``, strictly increasing.
        values: ``(T, C)`` float64 readings of ``columns``, NaN where a reading is missing.
        columns: the value columns' names, in order.
        where: the file the series came from (named in errors).
    """

    series_id: str
    timestamps: np.ndarray
    values: np.ndarray
    columns: tuple[str, ...]
    where: str


def _comment_lines(path: Path) -> int:
    """How many lines at the top of a CSV file are comments (``# Data source: ...``), before the header."""
    count = 0
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if not line.startswith("#"):
                break
            count += 1
    return count


def _read_table(path: Path, columns: Sequence[str], missing_values: Sequence[str]) -> tuple[pa.Table, int]:
    """The table and the line number of its first data row (after comment lines and the header)."""
    if path.suffix.lower() == ".parquet":
        return pq.read_table(path), 2
    if path.suffix.lower() not in (".csv", ".txt"):
        raise ValueError(f"{path}: readings must be a .csv or .parquet file")
    skip = _comment_lines(path)
    options = pacsv.ConvertOptions(
        column_types={name: pa.float64() for name in columns},
        null_values=list(missing_values),
        strings_can_be_null=True,
    )
    try:
        table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(skip_rows=skip), convert_options=options)
    except pa.ArrowInvalid as error:
        if "conversion error" not in str(error):  # not a cell but the file's shape (a row of another width)
            raise ValueError(f"{path}: {error}") from None
        raise ValueError(_first_bad_cell(path, columns, missing_values, skip)) from None  # find the cell's line
    return table, skip + 2


def _first_bad_cell(path: Path, columns: Sequence[str], missing_values: Sequence[str], skip: int) -> str:
    """The message naming the first cell of ``columns`` that is neither a number nor a missing-value marker."""
    as_text = pacsv.ConvertOptions(column_types={name: pa.string() for name in columns}, strings_can_be_null=False)
    text = pacsv.read_csv(path, read_options=pacsv.ReadOptions(skip_rows=skip), convert_options=as_text)
    missing = set(missing_values)
    for name in columns:
        if name not in text.column_names:
            continue
        for row, cell in enumerate(text.column(name).to_pylist()):
            if cell in missing:
                continue
            try:
                float(cell)
            except ValueError:
                return (
                    f"{path}:{row + skip + 2}: column {name!r} holds {cell!r}, not a number (declare a sensor code or "
                    f"a marker such as 'n/a' in missing_values)"
                )
    return f"{path}: a value column holds a cell that is not a number"


def _timestamps(
    column: pa.ChunkedArray, path: Path, name: str, timestamp_format: str | None, first: int
) -> np.ndarray:
    """The timestamp column as ``datetime64[s]``; an empty or unreadable cell is an error naming its line."""
    if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
        parsed = column.cast(pa.timestamp("s"))
    else:
        text = column.cast(pa.string())
        try:
            parsed = (
                pc.strptime(text, format=timestamp_format, unit="s")
                if timestamp_format
                else text.cast(pa.timestamp("s"))
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            parsed = None
        if parsed is None or parsed.null_count != text.null_count:
            values = text.to_pylist()
            for row, value in enumerate(values):
                try:
                    ok = value is not None and (
                        pc.strptime(pa.array([value]), format=timestamp_format, unit="s")
                        if timestamp_format
                        else pa.array([value]).cast(pa.timestamp("s"))
                    )
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    ok = False
                if not ok:
                    hint = f"format {timestamp_format!r}" if timestamp_format else "ISO 8601 (or give timestamp_format)"
                    raise ValueError(f"{path}:{row + first}: {name} {value!r} is not a timestamp in {hint}")
    if parsed.null_count:
        row = int(np.flatnonzero(np.asarray(parsed.is_null()))[0])
        raise ValueError(f"{path}:{row + first}: the {name} cell is empty")
    return np.asarray(parsed.to_numpy(zero_copy_only=False), dtype="datetime64[s]")


def read_series_table(
    path: str | Path,
    *,
    timestamp_column: str,
    columns: Sequence[str],
    series_column: str | None = None,
    timestamp_format: str | None = None,
    missing_values: Sequence[str] = DEFAULT_MISSING,
) -> list[SeriesReadings]:
    """Read a table of readings: one series per value of ``series_column`` (long layout) or one series (wide).

    Rows are put in time order within each series. A timestamp repeated within a series is an error naming the
    series, the time and both lines: two readings of one moment cannot both be kept and neither is dropped silently.
    Comment lines (``#``) above a CSV header are skipped; line numbers are the file's own (for Parquet: the row
    number + 1, as if the header were line 1).

    Args:
        path: a ``.csv`` (header row) or ``.parquet`` file.
        timestamp_column: the column of times (ISO 8601 text, or Parquet timestamps / dates).
        columns: the value columns to read, in order (targets, observed inputs and known-in-advance inputs).
        series_column: the column naming each row's series (long layout); None: the whole file is one series.
        timestamp_format: ``strptime`` format of the timestamps when they are not ISO 8601 (e.g. ``%d-%b-%y``).
        missing_values: cells read as missing (NaN); add sensor codes such as ``-9900``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"readings file not found: {path}")
    if not columns:
        raise ValueError("columns must name at least one value column")
    table, first = _read_table(path, columns, missing_values)
    wanted = [timestamp_column, *columns, *([series_column] if series_column else [])]
    absent = [name for name in wanted if name not in table.column_names]
    if absent:
        raise ValueError(f"{path}: no column {absent} (the file has {table.column_names})")
    times = _timestamps(table.column(timestamp_column), path, timestamp_column, timestamp_format, first)
    values = np.stack([np.asarray(table.column(n).cast(pa.float64()).to_numpy(zero_copy_only=False),
                                  dtype=np.float64) for n in columns], axis=1)  # (N, C), NaN = missing
    lines = np.arange(first, len(times) + first)
    if series_column is None:
        ids = np.full(len(times), path.stem, dtype=object)
    else:
        id_column = table.column(series_column)
        if id_column.null_count:
            row = int(np.flatnonzero(np.asarray(id_column.is_null()))[0])
            raise ValueError(f"{path}:{row + first}: the {series_column} cell is empty")
        ids = np.asarray(id_column.cast(pa.string()).to_pylist(), dtype=object)
    series = []
    for series_id in dict.fromkeys(ids.tolist()):  # first-seen order
        rows = np.flatnonzero(ids == series_id)
        order = rows[np.argsort(times[rows], kind="stable")]
        repeated = np.flatnonzero(np.diff(times[order]) == np.timedelta64(0, "s"))
        if repeated.size:
            first, second = order[repeated[0]], order[repeated[0] + 1]
            raise ValueError(
                f"{path}: series {series_id!r} has two readings at {times[first]} (lines {lines[first]} and "
                f"{lines[second]}): keep one"
            )
        series.append(SeriesReadings(str(series_id), times[order], values[order], tuple(columns), str(path)))
    return series
