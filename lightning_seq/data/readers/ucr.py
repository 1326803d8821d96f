"""Time-series classification files of the UCR/UEA archives: ``.ts`` (uni- and multivariate) and ``.tsv``/``.csv``.

A ``.ts`` file holds ``@`` header lines (``@problemName``, ``@univariate``, ``@equalLength``, ``@classLabel true
a b c``, ...) and, after ``@data``, one case per line: each dimension's comma-separated values, dimensions separated by
``:``, the class label last (``1.0,2.0,3.0:0.5,0.4,0.3:walk``). A ``.tsv``/``.csv`` file of the 2018 UCR archive holds
one univariate case per line, its label first (``walk<TAB>1.0<TAB>2.0...``); shorter cases end in ``NaN`` padding.
``?`` (``.ts``) and ``NaN`` inside a case are missing values.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import NamedTuple

import numpy as np


class LabelledSeries(NamedTuple):
    """One case: ``values (T, D)`` float64 (NaN where missing), its class label, and ``file:line``."""

    values: np.ndarray
    label: str
    where: str


def _number(text: str, where: str) -> float:
    text = text.strip()
    if text in ("?", "NaN", "nan"):
        return math.nan
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{where}: {text!r} is not a number (missing values are written ?)") from None


def _read_ts(path: Path) -> list[LabelledSeries]:
    cases: list[LabelledSeries] = []
    labels: list[str] | None = None
    in_data = False
    dimensions: int | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        where = f"{path}:{number}"
        if not line or line.startswith("#"):
            continue
        if not in_data:
            key, _, value = line.partition(" ")
            key = key.lower()
            if key == "@data":
                in_data = True
            elif key == "@timestamps" and value.strip().lower() == "true":
                raise ValueError(f"{where}: cases with timestamps ((t, v) pairs) are not read; write the values only")
            elif key == "@classlabel":
                words = value.split()
                if not words or words[0].lower() != "true":
                    raise ValueError(f"{where}: the file has no class labels (@classLabel false): nothing to learn")
                labels = words[1:]
            continue
        *parts, label = line.split(":")
        if not parts:
            raise ValueError(f"{where}: a case needs its values and a label after the last ':'")
        label = label.strip()
        if labels is not None and label not in labels:
            raise ValueError(f"{where}: class {label!r} is not among @classLabel's {labels}")
        channels = [[_number(v, where) for v in part.split(",")] for part in parts]
        if dimensions is None:
            dimensions = len(channels)
        if len(channels) != dimensions:
            raise ValueError(f"{where}: {len(channels)} dimensions, but the first case has {dimensions}")
        lengths = {len(c) for c in channels}
        if len(lengths) != 1:
            raise ValueError(f"{where}: the dimensions of one case differ in length ({sorted(lengths)})")
        cases.append(LabelledSeries(np.asarray(channels, dtype=np.float64).T, label, where))
    if not in_data:
        raise ValueError(f"{path}: no @data line: not a .ts file")
    return cases


def _read_table(path: Path) -> list[LabelledSeries]:
    separator = "\t" if path.suffix.lower() == ".tsv" else ","
    cases = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        where = f"{path}:{number}"
        label, *cells = raw.split(separator)
        values = np.asarray([_number(c, where) for c in cells], dtype=np.float64)
        read = np.flatnonzero(~np.isnan(values))
        if read.size == 0:
            raise ValueError(f"{where}: the case holds no value")
        cases.append(LabelledSeries(values[: read[-1] + 1, None], label.strip(), where))  # trailing NaN: padding
    return cases


def read_labelled_series(path: str | Path) -> list[LabelledSeries]:
    """The cases of a ``.ts``, ``.tsv`` or ``.csv`` file (see the module docstring), in file order.

    A case whose values are not numbers, whose dimensions differ in length, or whose label the header does not
    declare is an error naming its line; an empty file is an error naming the file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"time-series file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".ts":
        cases = _read_ts(path)
    elif suffix in (".tsv", ".csv"):
        cases = _read_table(path)
    else:
        raise ValueError(f"{path}: time-series cases must be a .ts, .tsv or .csv file")
    if not cases:
        raise ValueError(f"{path}: no case in the file")
    return cases
