"""Real text every machine with this project's dependencies has: the installed packages' documentation and licences.

A character language model needs real text to be judged on, and code that downloads a corpus cannot run where
there is no network. Each installed Python distribution carries its long description (its README, in the
``METADATA`` file) and usually its licence files; together they are about a megabyte of real English prose, with
code, tables and lists among it, after removing repeated paragraphs (many packages ship the same licence).
What the corpus holds depends on what is installed: the same constraints file gives the same corpus on the same
platform.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import re
from collections.abc import Sequence
from pathlib import Path

LICENCE_PREFIXES = ("LICENSE", "LICENCE", "COPYING", "NOTICE", "AUTHORS")
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


def installed_package_texts(exclude: Sequence[str] = ("lightning-seq", "lightning_seq")) -> list[tuple[str, str]]:
    """``(distribution, text)`` for the long description and licence files of every installed distribution.

    Sorted by distribution name (and file), so the order does not depend on how the environment lists them.

    Args:
        exclude: distribution names to leave out (by default this project's own README).
    """
    skipped = {name.lower().replace("_", "-") for name in exclude}
    documents: dict[tuple[str, str], str] = {}
    for dist in importlib.metadata.distributions():
        name = (dist.metadata["Name"] or "").strip()
        if not name or name.lower().replace("_", "-") in skipped:
            continue
        description = dist.metadata.get_payload() or dist.metadata.get("Description") or ""
        if isinstance(description, str) and description.strip():
            documents[(name, "METADATA")] = description
        for file in dist.files or []:
            if file.name.upper().startswith(LICENCE_PREFIXES) and file.suffix.lower() in ("", ".txt", ".md", ".rst"):
                try:
                    documents[(name, str(file))] = file.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    continue  # an unreadable or binary licence file is no text to learn from
    return [(name, documents[(name, file)]) for name, file in sorted(documents)]


def unique_paragraphs(documents: Sequence[tuple[str, str]]) -> list[str]:
    """Every paragraph (blank-line separated) once, in document order; repeats compared ignoring whitespace."""
    seen: set[str] = set()
    kept = []
    for _, text in documents:
        for paragraph in PARAGRAPH_BREAK.split(text.replace("\r\n", "\n")):
            key = " ".join(paragraph.split())
            if key and key not in seen:
                seen.add(key)
                kept.append(paragraph.strip("\n"))
    return kept


@functools.cache
def package_text_splits(val_share: float = 0.1, test_share: float = 0.1, seed: int = 0) -> dict[str, str]:
    """The installed packages' unique paragraphs as the text of each split (``train``, ``val``, ``test``).

    Each paragraph goes to one split by a seeded hash of its text (about ``val_share`` and ``test_share`` of them
    held out, whatever order the packages come in), so validation and test hold phrasing training never saw.
    Paragraphs are separated by a blank line; each text ends with a line break. Computed once per process.

    Args:
        val_share: share of paragraphs for validation.
        test_share: share of paragraphs for test.
        seed: changes which paragraphs are held out.
    """
    if not (0.0 < val_share < 1.0 and 0.0 < test_share < 1.0 and val_share + test_share < 1.0):
        raise ValueError(f"val_share and test_share must be in (0, 1) and sum below 1, got {val_share}, {test_share}")
    paragraphs = unique_paragraphs(installed_package_texts())
    if not paragraphs:
        raise ValueError("no installed package carries documentation or licence text")
    splits: dict[str, list[str]] = {"train": [], "val": [], "test": []}
    for paragraph in paragraphs:
        digest = hashlib.sha256(f"{seed}\0{paragraph}".encode()).digest()
        draw = int.from_bytes(digest[:8], "big") / 2**64  # uniform in [0, 1)
        split = "val" if draw < val_share else "test" if draw < val_share + test_share else "train"
        splits[split].append(paragraph)
    return {split: "\n\n".join(kept) + "\n" for split, kept in splits.items()}


def write_package_text_splits(
    folder: str | Path, val_share: float = 0.1, test_share: float = 0.1, seed: int = 0
) -> dict[str, Path]:
    """Write ``package_text_splits`` as ``train.txt``, ``val.txt`` and ``test.txt`` into ``folder`` (created).

    Returns:
        The path of each split's file.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for split, text in package_text_splits(val_share, test_share, seed).items():
        paths[split] = folder / f"{split}.txt"
        paths[split].write_text(text, encoding="utf-8")
    return paths
