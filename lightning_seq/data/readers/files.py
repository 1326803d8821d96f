"""Paths that data files list (kept inside the listing's folder) and text read as UTF-8, errors naming the byte."""

from __future__ import annotations

from pathlib import Path


def resolve_inside(folder: str | Path, relative: str, where: str) -> Path:
    """``folder / relative`` resolved (links followed); absolute paths and paths leaving ``folder`` are refused.

    Args:
        folder: the folder the listed paths are relative to.
        relative: the path as written in the data file.
        where: ``file:line`` of the listing, for the error message.
    """
    folder = Path(folder)
    if Path(relative).is_absolute():
        raise ValueError(f"{where}: absolute path {relative!r} refused; paths are relative to {folder}")
    path = (folder / relative).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise ValueError(f"{where}: path {relative!r} leads outside {folder}")
    return path


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
