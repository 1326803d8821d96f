"""Readers for labelled text: CSV, TSV, JSONL, Parquet, Hugging Face data sets, aclImdb folders; errors name places."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import NamedTuple

from lightning_seq.data.readers.files import read_utf8
from lightning_seq.data.readers.hf import is_dataset_source, read_dataset_rows
from lightning_seq.data.readers.tables import Column, read_delimited

log = logging.getLogger(__name__)

SUFFIXES = (".csv", ".tsv", ".jsonl", ".parquet", ".txt")


class TextRecord(NamedTuple):
    """One text, its target and where it came from.

    The target is what a model learns to produce from the text: a class label (sentiment), a target sequence
    (seq2seq) or a condition's target; None when the source has no such column (texts to predict).
    """

    text: str
    target: str | None
    where: str


def _label_str(value: object) -> str:
    return str(value).strip()


def _records(
    rows: list[tuple[list[str | None], str]], label_column: Column | None
) -> list[TextRecord]:
    records = []
    for (text, label), where in rows:
        if label_column is not None and (label is None or not label.strip()):
            raise ValueError(f"{where}: empty label in column {label_column!r}")
        records.append(TextRecord(text or "", None if label is None else _label_str(label), where))
    return records


def _read_jsonl(path: Path, text_column: Column, label_column: Column | None) -> list[TextRecord]:
    for column in (text_column, label_column):
        if isinstance(column, int):
            raise ValueError(f"{path}: JSONL rows are objects: give the key of column {column} by name")
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


def _read_text_lines(path: Path, label_column: Column | None) -> list[TextRecord]:
    """One unlabelled text per line (the line break is not part of it); a blank line is an empty text."""
    if label_column is not None:
        raise ValueError(
            f"{path}: a .txt file holds one text per line and no labels: give it as the texts to predict, or give "
            f"labelled data as a table ({', '.join(SUFFIXES[:4])})"
        )
    lines = read_utf8(path).splitlines()
    return [TextRecord(line, None, f"{path}:{i}") for i, line in enumerate(lines, start=1)]


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
    path: str | Path,
    text_column: Column = "text",
    label_column: Column | None = "label",
    *,
    header: bool | None = None,
    split: str = "train",
) -> list[TextRecord]:
    """Read labelled texts from a table, a Hugging Face data set or an aclImdb split folder.

    Args:
        path: ``.csv``, ``.tsv``, ``.jsonl`` or ``.parquet`` file, a ``.txt`` file of one unlabelled text per
            line (texts to predict), a folder written by ``datasets``'
            ``save_to_disk``, ``hf://NAME?split=SPLIT`` (a Hub data set), or a folder with ``pos/`` and ``neg/``
            (aclImdb layout: give ``aclImdb/train`` or ``aclImdb/test``; ``unsup/`` is ignored).
        text_column: column name (or JSON key) of the text, or its 0-based position.
        label_column: column of the label; None for unlabelled data (prediction).
        header: CSV/TSV only: whether the first row is a header; None detects it (a header holds every configured
            column name). Without a header, a column given by name is read at its place among the configured
            columns (text first, label second).
        split: the split being read (picks the split of a saved ``DatasetDict``).

    Returns:
        The records in file order.

    Raises:
        FileNotFoundError: the path does not exist.
        ValueError: unknown format, missing column (the columns found are named), or a malformed line.
    """
    if is_dataset_source(path):
        return _records(read_dataset_rows(path, (text_column, label_column), split), label_column)
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"data file not found: {path}")
    if path.is_dir():
        return _read_imdb_folder(path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        delimiter = "," if suffix == ".csv" else "\t"
        return _records(read_delimited(path, delimiter, (text_column, label_column), header), label_column)
    if suffix == ".jsonl":
        return _read_jsonl(path, text_column, label_column)
    if suffix == ".txt":
        return _read_text_lines(path, label_column)
    raise ValueError(
        f"{path}: unsupported format {suffix!r}; use one of {list(SUFFIXES)}, a saved Hugging Face data set or an "
        "aclImdb folder"
    )


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
