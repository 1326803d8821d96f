"""Text files read as UTF-8, with an error that names the file, line and byte when they are not."""

from __future__ import annotations

from pathlib import Path


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
