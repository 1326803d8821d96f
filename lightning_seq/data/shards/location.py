"""Where shards are read from: a local folder or a URL, with the same calls for both.

A URL is opened by the ``pyarrow.fs`` file system its scheme names (``s3://``, ``gs://``, ``hdfs://``,
``file://``), with credentials from the environment as pyarrow reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow.fs as pafs


@dataclass(frozen=True)
class ShardLocation:
    """A shard folder on a file system (picklable: loader workers open their own files).

    Args:
        where: a local folder or a URL; kept as given for messages.
    """

    where: str

    def _resolved(self) -> tuple[pafs.FileSystem, str]:
        if "://" in self.where:
            return pafs.FileSystem.from_uri(self.where)
        return pafs.LocalFileSystem(), str(Path(self.where).resolve())

    def name(self, relative: str) -> str:
        """A file's name for messages, as the user gave the folder."""
        return f"{self.where.rstrip('/')}/{relative}"

    def exists(self, relative: str) -> bool:
        """Whether the folder holds the file ``relative``."""
        filesystem, base = self._resolved()
        return filesystem.get_file_info(f"{base}/{relative}").type == pafs.FileType.File

    def read_bytes(self, relative: str) -> bytes:
        """The bytes of the file ``relative``."""
        filesystem, base = self._resolved()
        with filesystem.open_input_stream(f"{base}/{relative}") as stream:
            return stream.read()

    def open(self, relative: str) -> pafs.NativeFile:
        """A random-access file for ``relative`` (what a Parquet reader needs)."""
        filesystem, base = self._resolved()
        return filesystem.open_input_file(f"{base}/{relative}")


__all__ = ["ShardLocation"]
