"""CSV and TSV tables with or without a header line, columns picked by name or by position."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from lightning_seq.data.readers.files import read_utf8

Column = int | str
"""A column of a table: its name in the header, or its 0-based position."""

# A long text is one CSV field; the csv module's default limit (128 KiB) would reject a long review outright.
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))


def check_column(value: Column | None, argument: str) -> None:
    """Refuse a column that is neither a non-empty name nor a position >= 0, naming the argument."""
    if value is None or (isinstance(value, str) and value) or (type(value) is int and value >= 0):
        return
    raise ValueError(f"{argument} must be a column name or a 0-based position, got {value!r}")


def has_header(path: Path, first: list[str], columns: Sequence[Column | None], header: bool | None) -> bool:
    """Whether the first row is a header: as given, or (``header=None``) when it holds every configured name.

    A first row holding some of the names but not all is a header with a column missing: an error that lists the
    columns found, since reading it as data would turn the header into a sample.
    """
    if header is not None:
        return header
    names = [c for c in columns if isinstance(c, str)]
    held = [name for name in names if name in first]
    if held and len(held) < len(names):
        missing = next(name for name in names if name not in first)
        raise ValueError(
            f"{path}: no column {missing!r}; columns found: {first} (the first row names {held}, so it was taken "
            f"for a header; give header: false if it is data)"
        )
    return bool(held)  # every configured name, or none of them


def positions(
    path: Path, first: list[str], columns: Sequence[Column | None], header: bool
) -> list[int | None]:
    """Each configured column's field index.

    With a header, names are looked up in it. Without one, a name stands for its place among the configured columns
    (the first configured column is field 0, the second field 1): a headerless ``source<TAB>target`` file reads with
    the default column names.
    """
    found = []
    for place, column in enumerate(columns):
        if column is None:
            found.append(None)
        elif isinstance(column, int):
            if column >= len(first):
                raise ValueError(f"{path}: no column at position {column}; the first row has {len(first)} fields")
            found.append(column)
        elif header:
            if column not in first:
                raise ValueError(f"{path}: no column {column!r}; columns found: {first}")
            found.append(first.index(column))
        else:
            if place >= len(first):
                raise ValueError(
                    f"{path}: without a header, column {column!r} is read as field {place}, but the first row has "
                    f"{len(first)} fields"
                )
            found.append(place)
    return found


def read_delimited(
    path: Path, delimiter: str, columns: Sequence[Column | None], header: bool | None
) -> list[tuple[list[str | None], str]]:
    """The configured columns of every row of a CSV/TSV file, with ``file:line`` of where each row starts.

    Args:
        path: the file (UTF-8; quoted fields may hold the delimiter and newlines).
        delimiter: ``,`` or a tab.
        columns: names or positions; None for a column not read (its value is None).
        header: whether the first row is a header; None decides by the configured names (see ``has_header``).

    Returns:
        One ``(values, where)`` per data row, values in the order of ``columns``.

    Raises:
        ValueError: a missing column (the columns found are named), or a row with another number of fields than
            the header (or, without one, than the first row): an unquoted delimiter inside a text would otherwise
            cut it short silently.
    """
    with io.StringIO(read_utf8(path), newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        rows = []
        line = 0
        for row in reader:
            if row:  # a blank line holds no row
                rows.append((row, line + 1))
            line = reader.line_num
    if not rows:
        return []
    first = rows[0][0]
    header = has_header(path, first, columns, header)
    index = positions(path, first, columns, header)
    width = len(first)
    kind = "columns of the header" if header else "fields of the first row"
    out = []
    for row, start in rows[1:] if header else rows:
        where = f"{path}:{start}"
        if len(row) > width:
            raise ValueError(f"{where}: more fields than the {width} {kind} (quote a field that holds {delimiter!r})")
        if len(row) < width:
            raise ValueError(f"{where}: fewer fields than the {width} {kind}")
        out.append(([None if i is None else row[i] for i in index], where))
    return out
