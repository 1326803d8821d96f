"""Samples as Arrow columns: each field of a data set's sample tuple is one column (or two, for a tensor).

A sample is what a data module's data set returns, ``(inputs, target, index[, references])``: tensors of any
shape and dtype, ints, floats, strings, lists of strings, or None. A tensor field is stored as its raw bytes (an Arrow
binary column) plus its shape: a row group's tensors come back as views of one copied buffer (no per-sample
decoding, no unpickling). The other kinds map to Arrow types; dtypes NumPy lacks (bfloat16) are refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import torch

KINDS = ("tensor", "int", "float", "str", "strings", "none")


def field_kind(value: Any) -> str:
    """The codec kind of one field value."""
    if isinstance(value, torch.Tensor):
        if value.dtype == torch.bfloat16:
            raise TypeError("cannot store a bfloat16 tensor in shards: NumPy has no such dtype (store float32)")
        return "tensor"
    if isinstance(value, bool | int | np.integer):
        return "int"
    if isinstance(value, float | np.floating):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return "strings"
    if value is None:
        return "none"
    raise TypeError(f"cannot store a sample field of type {type(value).__name__} in shards (kinds: {KINDS})")


def describe(sample: Sequence[Any]) -> list[dict[str, str]]:
    """The fields of a sample: kind (and dtype for tensors), in order."""
    fields = []
    for value in sample:
        kind = field_kind(value)
        entry = {"kind": kind}
        if kind == "tensor":
            entry["dtype"] = str(value.dtype).removeprefix("torch.")
        fields.append(entry)
    return fields


def to_table(samples: Sequence[Sequence[Any]], fields: list[dict[str, str]], where: str) -> pa.Table:
    """An Arrow table of ``samples``, all of which must match ``fields``.

    Args:
        samples: sample tuples.
        fields: from ``describe`` of the first sample of the split.
        where: names the split in errors.
    """
    columns: dict[str, pa.Array] = {}
    for position, field in enumerate(fields):
        values = []
        for row, sample in enumerate(samples):
            if len(sample) != len(fields) or field_kind(sample[position]) not in (field["kind"], "none"):
                raise TypeError(f"{where}: sample {row} does not match the first sample's fields {fields}")
            values.append(sample[position])
        name = f"f{position}"
        if field["kind"] == "tensor":
            dtype = getattr(torch, field["dtype"])
            if any(v.dtype != dtype for v in values):
                raise TypeError(f"{where}: field {position} mixes tensor dtypes (first: {field['dtype']})")
            flat = [v.reshape(-1).numpy() for v in values]
            offsets = np.concatenate([[0], np.cumsum([f.nbytes for f in flat])]).astype(np.int64)
            data = np.concatenate(flat).tobytes() if flat else b""
            columns[name] = pa.LargeBinaryArray.from_buffers(
                pa.large_binary(), len(flat), [None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(data)])
            columns[f"{name}_shape"] = pa.array([list(v.shape) for v in values], type=pa.list_(pa.int64()))
        elif field["kind"] == "strings":
            columns[name] = pa.array([list(v) for v in values], type=pa.list_(pa.string()))
        else:
            arrow = {"int": pa.int64(), "float": pa.float64(), "str": pa.string(), "none": pa.null()}[field["kind"]]
            columns[name] = pa.array(values, type=arrow)
    return pa.table(columns)


def from_table(table: pa.Table, fields: list[dict[str, str]]) -> list[tuple[Any, ...]]:
    """The sample tuples of a table written by ``to_table``."""
    decoded: list[list[Any]] = []
    for position, field in enumerate(fields):
        name = f"f{position}"
        if field["kind"] == "tensor":
            column = table.column(name).combine_chunks()
            _, offset_buffer, data_buffer = column.buffers()
            offsets = np.frombuffer(offset_buffer, dtype=np.int64)[column.offset:column.offset + len(column) + 1]
            dtype = getattr(torch, field["dtype"])
            flat = torch.zeros(0, dtype=dtype)  # a table of empty tensors has no data buffer to view
            if offsets[-1] > offsets[0]:
                raw = np.frombuffer(data_buffer, dtype=np.uint8)[offsets[0]:offsets[-1]].copy()  # one copy per table
                flat = torch.from_numpy(raw).view(dtype)
            pieces = flat.split((np.diff(offsets) // flat.element_size()).tolist())
            shapes = table.column(f"{name}_shape").to_pylist()
            decoded.append([piece.reshape(shape) for piece, shape in zip(pieces, shapes, strict=True)])
        else:
            decoded.append(table.column(name).to_pylist())
    return list(zip(*decoded, strict=True))


__all__ = ["KINDS", "describe", "field_kind", "from_table", "to_table"]
