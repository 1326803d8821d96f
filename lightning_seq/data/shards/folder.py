"""A shard folder: Parquet files of samples per split, their lengths, and the data module's description.

``prepare`` writes a local folder; readers take a local folder or a URL (``ShardLocation``).

::

    shards/
      index.json            format, fields, each split's shards and row counts, data module and collate paths
      module.pt             what the data module knows (sizes, names, state, preprocessing for inference)
      lengths/train.npy     every sample's length (bucketing plans are made from these alone)
      train-00000.parquet   samples in row groups of ``row_group_rows``
"""

from __future__ import annotations

import io
import json
import pickle
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import torch

from lightning_seq.data.shards.codec import describe, from_table, to_table
from lightning_seq.data.shards.location import ShardLocation

FORMAT = "lightning-seq-shards/1"

UNREADABLE = (OSError, ValueError, EOFError, RuntimeError, pa.ArrowException, KeyError, pickle.UnpicklingError)
"""What a missing, truncated or corrupt file raises while it is opened or decoded (pyarrow, NumPy, torch)."""


def unreadable(location: ShardLocation, relative: str, what: str, err: Exception) -> ValueError:
    """The error for a file of the folder that cannot be read: it names the file and what it is."""
    return ValueError(f"{location.name(relative)} ({what}) cannot be read: {err}")


def write_split(folder: Path, split: str, dataset: Any, rows_per_shard: int, row_group_rows: int) -> dict[str, Any]:
    """Write a data set's samples as ``<split>-NNNNN.parquet`` shards and ``lengths/<split>.npy``.

    Returns:
        The split's index entry: ``fields``, ``rows`` and ``shards`` (file and rows of each).
    """
    total = len(dataset)
    if total == 0:
        raise ValueError(f"the {split} split is empty: nothing to write")
    fields = describe(dataset[0])
    # tensor bytes are written without dictionary encoding, which only slows them down
    raw_bytes = {f"f{i}" for i, field in enumerate(fields) if field["kind"] == "tensor"}
    shards = []
    for number, start in enumerate(range(0, total, rows_per_shard)):
        end = min(start + rows_per_shard, total)
        table = to_table([dataset[i] for i in range(start, end)], fields, f"{split} samples {start}-{end - 1}")
        name = f"{split}-{number:05d}.parquet"
        pq.write_table(table, folder / name, row_group_size=row_group_rows,
                       use_dictionary=[c for c in table.column_names if c not in raw_bytes])
        shards.append({"file": name, "rows": end - start})
    (folder / "lengths").mkdir(exist_ok=True)
    np.save(folder / "lengths" / f"{split}.npy", np.asarray(dataset.lengths, dtype=np.int64))
    return {"fields": fields, "rows": total, "shards": shards}


def write_index(folder: Path, splits: dict[str, Any], data_module: str, collate_fn: str, module: dict[str, Any]
                ) -> None:
    """Write ``index.json`` and ``module.pt`` (the module's description, loadable with ``weights_only``)."""
    index = {"format": FORMAT, "data_module": data_module, "collate_fn": collate_fn, "splits": splits}
    (folder / "index.json").write_text(json.dumps(index, indent=1) + "\n", encoding="utf-8")
    torch.save(module, folder / "module.pt")


def read_index(folder: str | Path | ShardLocation) -> dict[str, Any]:
    """The folder's ``index.json``, checked for its format and files.

    Args:
        folder: a local folder or a URL (``s3://bucket/shards``: any ``pyarrow.fs`` file system).

    Raises:
        FileNotFoundError: no ``index.json`` (not a folder written by ``lightning-seq prepare``), or a listed shard
            is missing.
        ValueError: another format.
    """
    location = folder if isinstance(folder, ShardLocation) else ShardLocation(str(folder))
    if not location.exists("index.json"):
        raise FileNotFoundError(f"{location.name('index.json')} not found: --data.init_args.path must be a folder "
                                f"written by `lightning-seq prepare`")
    index = json.loads(location.read_bytes("index.json"))
    if index.get("format") != FORMAT:
        raise ValueError(f"{location.name('index.json')}: format {index.get('format')!r}, this version reads "
                         f"{FORMAT!r}")
    for split, entry in index["splits"].items():
        for shard in entry["shards"]:
            if not location.exists(shard["file"]):
                raise FileNotFoundError(f"{location.name(shard['file'])} (a {split} shard listed in "
                                        f"{location.name('index.json')}) not found")
    return index


def read_lengths(folder: str | Path | ShardLocation, split: str, rows: int) -> np.ndarray:
    """Every sample's length in ``split``, checked against the index's row count."""
    location = folder if isinstance(folder, ShardLocation) else ShardLocation(str(folder))
    relative = f"lengths/{split}.npy"
    try:
        lengths = np.load(io.BytesIO(location.read_bytes(relative)))
    except UNREADABLE as err:
        raise unreadable(location, relative, f"the {split} lengths", err) from None
    if len(lengths) != rows:
        raise ValueError(f"{location.name(relative)} holds {len(lengths)} lengths, index.json says {rows} rows")
    return lengths


def read_description(folder: str | Path | ShardLocation) -> dict[str, Any]:
    """``module.pt``: the sizes, names, state and preprocessing of the data module that wrote the folder."""
    location = folder if isinstance(folder, ShardLocation) else ShardLocation(str(folder))
    try:
        return torch.load(io.BytesIO(location.read_bytes("module.pt")), weights_only=True)
    except UNREADABLE as err:
        raise unreadable(location, "module.pt", "the data module's description", err) from None


def read_stream(folder: str | Path | ShardLocation, shards: Sequence[dict[str, Any]], fields: list[dict[str, str]],
                order: Sequence[int], start: int, end: int) -> Iterator[tuple[int, list[tuple[Any, ...]]]]:
    """Rows ``start:end`` of the stream of ``shards`` in ``order``, a row group at a time.

    Yields:
        ``(global row id of the first, samples)`` for each row group (or its part) that overlaps the range; the
        samples' row ids follow on from the first.
    """
    location = folder if isinstance(folder, ShardLocation) else ShardLocation(str(folder))
    rows = [int(s["rows"]) for s in shards]
    first_row = np.concatenate([[0], np.cumsum(rows)[:-1]]).astype(np.int64)
    position = 0  # stream position of the current shard's first row
    for shard in order:
        shard_end = position + rows[shard]
        if shard_end > start and position < end:
            name = shards[shard]["file"]
            try:
                parquet = pq.ParquetFile(location.open(name))
                groups = [parquet.metadata.row_group(g).num_rows for g in range(parquet.num_row_groups)]
            except UNREADABLE as err:
                raise unreadable(location, name, "a shard", err) from None
            if sum(groups) != rows[shard]:
                raise ValueError(f"{location.name(name)} holds {sum(groups)} rows, index.json says {rows[shard]}")
            group_start = position
            for group, group_rows in enumerate(groups):
                lo, hi = max(start, group_start), min(end, group_start + group_rows)
                if lo < hi:
                    try:
                        table = parquet.read_row_group(group).slice(lo - group_start, hi - lo)
                    except UNREADABLE as err:
                        raise unreadable(location, name, f"a shard, row group {group}", err) from None
                    yield int(first_row[shard]) + (lo - position), from_table(table, fields)
                group_start += group_rows
        position = shard_end
        if position >= end:
            return


__all__ = [
    "FORMAT", "read_description", "read_index", "read_lengths", "read_stream", "write_index", "write_split",
]
