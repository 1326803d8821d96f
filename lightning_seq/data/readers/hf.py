"""Tables kept as Parquet files or Hugging Face ``datasets`` (saved to disk, or on the Hub), read with ``datasets``.

Sources are named by a path or, for the Hub, by ``hf://NAME?split=SPLIT`` (what ``hf_dataset: NAME`` fills in for
each split a data module reads). The ``datasets`` package is an optional extra: ``pip install 'lightning-seq[hf]'``.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lightning_seq.data.readers.tables import Column

HF_SCHEME = "hf://"
SPLIT_NAMES = {"train": ("train",), "val": ("validation", "valid", "val", "dev"), "test": ("test",)}
"""The Hugging Face split names each of our splits is read from, first found wins (predict reads test)."""
SAVED_MARKERS = ("dataset_info.json", "state.json", "dataset_dict.json")
"""Files ``save_to_disk`` writes into its folder (a ``Dataset``: the first two; a ``DatasetDict``: the last)."""


def _datasets() -> Any:
    try:
        return importlib.import_module("datasets")
    except ImportError as err:
        raise ImportError(
            "reading Parquet files and Hugging Face datasets needs the 'datasets' package: "
            "pip install 'lightning-seq[hf]'"
        ) from err


def is_dataset_source(path: str | Path) -> bool:
    """Whether ``path`` is read with ``datasets``: an ``hf://`` name, a ``.parquet`` file or a saved folder."""
    text = str(path)
    if text.startswith(HF_SCHEME):
        return True
    path = Path(text)
    if path.suffix.lower() == ".parquet":
        return True
    return path.is_dir() and any((path / marker).is_file() for marker in SAVED_MARKERS)


def hub_source(name: str, split: str) -> str:
    """The source string of one split of a Hub data set (``hf://NAME?split=SPLIT``)."""
    return f"{HF_SCHEME}{name}?split={split}"


def hub_split_paths(name: str) -> dict[str, str]:
    """The train, val and test sources of a Hub data set (or a local folder ``load_dataset`` reads), by split name.

    Only splits the data set has are returned: without a validation split the data module carves one off train.
    """
    if not name:
        raise ValueError("hf_dataset must name a data set, got ''")
    available = list(_datasets().get_dataset_split_names(name))
    paths = {}
    for ours, theirs in SPLIT_NAMES.items():
        found = next((s for s in theirs if s in available), None)
        if found is not None:
            paths[ours] = hub_source(name, found)
    if "train" not in paths:
        raise ValueError(f"hf_dataset {name!r} has no 'train' split; its splits: {available}")
    return paths


def _read_parquet(datasets: Any, path: Path) -> Any:
    """A Parquet file as a data set; a file with no rows as an empty one (``datasets`` fails on those)."""
    parquet = importlib.import_module("pyarrow.parquet")
    try:
        schema = parquet.read_schema(path)
        if parquet.read_metadata(path).num_rows == 0:
            return datasets.Dataset.from_dict({name: [] for name in schema.names})
        return datasets.Dataset.from_parquet(str(path), keep_in_memory=True)
    except Exception as err:  # pyarrow's and datasets' errors carry no file name; the innermost says what is wrong
        raise ValueError(f"{path}: not a readable Parquet file ({_innermost(err)})") from None


def _innermost(error: BaseException) -> str:
    while error.__cause__ is not None or error.__context__ is not None:
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    return f"{type(error).__name__}: {error}"


def _read_saved(datasets: Any, path: Path) -> Any:
    """A ``save_to_disk`` folder; one that holds no rows as an empty data set (``datasets`` cannot read those)."""
    try:
        return datasets.load_from_disk(str(path), keep_in_memory=True)
    except Exception as err:
        state, info = path / "state.json", path / "dataset_info.json"
        if state.is_file() and info.is_file() and not json.loads(state.read_text(encoding="utf-8")).get("_data_files"):
            features = json.loads(info.read_text(encoding="utf-8")).get("features") or {}
            return datasets.Dataset.from_dict({name: [] for name in features})
        raise ValueError(f"{path}: not a readable saved data set ({_innermost(err)})") from None


def load_table(source: str | Path, split: str) -> Any:
    """The ``datasets.Dataset`` behind ``source``; from a saved ``DatasetDict`` the split named like ``split``."""
    datasets = _datasets()
    text = str(source)
    if text.startswith(HF_SCHEME):
        name, _, hub_split = text[len(HF_SCHEME) :].partition("?split=")
        return datasets.load_dataset(name, split=hub_split or "train")
    path = Path(text)
    if not path.exists():
        raise FileNotFoundError(f"data file not found: {path}")
    if path.suffix.lower() == ".parquet":
        return _read_parquet(datasets, path)
    loaded = _read_saved(datasets, path)
    if isinstance(loaded, datasets.DatasetDict):
        wanted = SPLIT_NAMES.get(split, ("test",))
        found = next((s for s in wanted if s in loaded), None)
        if found is None:
            raise ValueError(f"{path}: no {' or '.join(repr(s) for s in wanted)} split; splits found: {list(loaded)}")
        return loaded[found]
    return loaded


def _as_text(value: Any, feature: Any, where: str, column: str) -> str | None:
    """One cell as text: class-label ids by name, numeric lists joined by spaces (vectors), None kept as None."""
    if value is None:
        return None
    names = getattr(feature, "names", None)
    if names is not None and isinstance(value, int):
        return str(names[value])
    if isinstance(value, list) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        return " ".join(repr(v) for v in value)
    if isinstance(value, str | int | float):
        return str(value)
    raise ValueError(f"{where}: column {column!r} holds a {type(value).__name__}, not text, a number or a label")


def read_dataset_rows(
    source: str | Path, columns: Sequence[Column | None], split: str
) -> list[tuple[list[str | None], str]]:
    """The configured columns of every row of a Parquet file or Hugging Face data set, with ``source row N``.

    Args:
        source: a ``.parquet`` file, a folder written by ``save_to_disk`` or ``hf://NAME?split=SPLIT``.
        columns: names or positions (in the data set's column order); None for a column not read.
        split: our split name (train, val, test, predict), to pick the split of a saved ``DatasetDict``.

    Returns:
        One ``(values, where)`` per row, values in the order of ``columns``.
    """
    table = load_table(source, split)
    found = list(table.column_names)
    names = []
    for column in columns:
        if column is None:
            names.append(None)
        elif isinstance(column, int):
            if column >= len(found):
                raise ValueError(f"{source}: no column at position {column}; columns found: {found}")
            names.append(found[column])
        elif column not in found:
            raise ValueError(f"{source}: no column {column!r}; columns found: {found}")
        else:
            names.append(column)
    cells = {name: list(table[name]) for name in names if name is not None}
    features = table.features
    rows = []
    for i in range(table.num_rows):
        where = f"{source} row {i}"
        values = [None if n is None else _as_text(cells[n][i], features[n], where, n) for n in names]
        rows.append((values, where))
    return rows


def split_paths(given: dict[str, str | None], hf_dataset: str | None) -> dict[str, str | None]:
    """The source of each split: the paths given, with a Hub data set's splits filling those not given.

    Args:
        given: ``train``, ``val``, ``test`` and ``predict`` paths as the user gave them (None where not given).
        hf_dataset: a Hub data set name (or a local folder ``datasets.load_dataset`` reads); None for none.
    """
    if hf_dataset is None:
        return dict(given)
    if given.get("train") is not None:
        raise ValueError(f"give hf_dataset or train_path, not both (got {hf_dataset!r} and {given['train']!r})")
    hub = hub_split_paths(hf_dataset)
    return {split: path if path is not None else hub.get(split) for split, path in given.items()}
