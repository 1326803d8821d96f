"""Splits written as Parquet shards and streamed back: the folder format, the sample codec and the epoch plan."""

from lightning_seq.data.shards.folder import FORMAT, read_index, read_lengths, read_stream, write_index, write_split
from lightning_seq.data.shards.plan import Batching, epoch_plan
from lightning_seq.data.shards.stream import ShardLoader, ShardStream

__all__ = [
    "FORMAT",
    "Batching",
    "ShardLoader",
    "ShardStream",
    "epoch_plan",
    "read_index",
    "read_lengths",
    "read_stream",
    "write_index",
    "write_split",
]
