"""Resolve a path listed in a data file, refusing any that leads outside the file's folder."""

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
