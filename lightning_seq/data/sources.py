"""Readers for labelled text: CSV, TSV, JSONL and the aclImdb folder layout, with errors that name the place."""

from __future__ import annotations

import csv
import io
import json
import logging
from pathlib import Path
from typing import NamedTuple

log = logging.getLogger(__name__)

SUFFIXES = (".csv", ".tsv", ".jsonl")


class TextRecord(NamedTuple):
    """One text with its label (None when the source has no label column) and where it came from."""

    text: str
    label: str | None
    where: str


def _label_str(value: object) -> str:
    return str(value).strip()


def read_utf8(path: Path) -> str:
    """The whole file as UTF-8 text; an undecodable byte raises an error naming the file, line and byte."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ValueError(
            f"{path}:{line}: not UTF-8 (byte 0x{raw[err.start]:02x} at offset {err.start}); convert the file to UTF-8"
        ) from None


# A long text is one CSV field; the csv module's default limit (128 KiB) would reject a long review outright.
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))


def _read_delimited(path: Path, delimiter: str, text_column: str, label_column: str | None) -> list[TextRecord]:
    records = []
    with io.StringIO(read_utf8(path), newline="") as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        columns = reader.fieldnames or []
        for column in (text_column, label_column):
            if column is not None and column not in columns:
                raise ValueError(f"{path}: no column {column!r}; columns found: {columns}")
        line = 1
        for row in reader:
            where = f"{path}:{line + 1}"
            line = reader.line_num
            if None in row:
                raise ValueError(f"{where}: more fields than the {len(columns)} columns of the header")
            if row[text_column] is None:
                raise ValueError(f"{where}: fewer fields than the {len(columns)} columns of the header")
            label = None if label_column is None else row[label_column]
            if label_column is not None and (label is None or not label.strip()):
                raise ValueError(f"{where}: empty label in column {label_column!r}")
            records.append(TextRecord(row[text_column], None if label is None else _label_str(label), where))
    return records


def _read_jsonl(path: Path, text_column: str, label_column: str | None) -> list[TextRecord]:
    records = []
    with io.StringIO(read_utf8(path)) as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{line_no}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f"{where}: not valid JSON ({err.msg})") from err
            if not isinstance(row, dict):
                raise ValueError(f"{where}: expected a JSON object per line")
            for column in (text_column, label_column):
                if column is not None and column not in row:
                    raise ValueError(f"{where}: no key {column!r}; keys found: {sorted(row)}")
            text = row[text_column]
            if isinstance(text, list) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in text):
                text = " ".join(repr(v) for v in text)  # a numeric vector (conditional generation)
            if not isinstance(text, str):
                raise ValueError(f"{where}: {text_column!r} must be a string (or a list of numbers)")
            label = None if label_column is None else _label_str(row[label_column])
            records.append(TextRecord(text, label, where))
    return records


def _read_imdb_folder(path: Path) -> list[TextRecord]:
    label_dirs = [d for d in sorted(path.iterdir()) if d.is_dir() and d.name in ("pos", "neg")]
    if not label_dirs:
        raise ValueError(f"{path}: expected the aclImdb layout with pos/ and neg/ folders of .txt files")
    records = []
    for label_dir in label_dirs:
        for file in sorted(label_dir.glob("*.txt")):
            records.append(TextRecord(read_utf8(file), label_dir.name, str(file)))
    return records


def read_text_records(
    path: str | Path, text_column: str = "text", label_column: str | None = "label"
) -> list[TextRecord]:
    """Read labelled texts from a file or an aclImdb split folder.

    Args:
        path: ``.csv``, ``.tsv`` or ``.jsonl`` file, or a folder with ``pos/`` and ``neg/`` (aclImdb layout:
            give ``aclImdb/train`` or ``aclImdb/test``; ``unsup/`` is ignored).
        text_column: column (or JSON key) holding the text.
        label_column: column holding the label; None for unlabelled data (prediction).

    Returns:
        The records in file order.

    Raises:
        FileNotFoundError: the path does not exist.
        ValueError: unknown format, missing column (the columns found are named), or a malformed line.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"data file not found: {path}")
    if path.is_dir():
        return _read_imdb_folder(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_delimited(path, ",", text_column, label_column)
    if suffix == ".tsv":
        return _read_delimited(path, "\t", text_column, label_column)
    if suffix == ".jsonl":
        return _read_jsonl(path, text_column, label_column)
    raise ValueError(f"{path}: unsupported format {suffix!r}; use one of {list(SUFFIXES)} or an aclImdb folder")


def check_empty_texts(records: list[TextRecord], drop_empty: bool) -> list[TextRecord]:
    """Refuse empty or whitespace-only texts, naming where they are; with ``drop_empty`` drop and count them."""
    empty = [r.where for r in records if not r.text.strip()]
    if not empty:
        return records
    if not drop_empty:
        shown = ", ".join(empty[:10]) + (f" and {len(empty) - 10} more" if len(empty) > 10 else "")
        raise ValueError(f"{len(empty)} empty or whitespace-only texts: {shown} (set drop_empty=True to drop them)")
    log.warning("dropped %d empty or whitespace-only texts (drop_empty=True), first at %s", len(empty), empty[0])
    return [r for r in records if r.text.strip()]
