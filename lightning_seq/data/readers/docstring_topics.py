"""A real labelled short-text set every Python has: the standard library's docstrings, labelled by their module.

Real text with real labels is what a text default must be chosen on, and a generated corpus cannot stand in for it
(its rare words are the generator's own). The Python standard library ships several thousand docstrings written by
hundreds of people over thirty years; each belongs to a module, which is its label. Reading one and naming the
module it documents (``asyncio`` or ``multiprocessing``? ``email`` or ``mailbox``? ``tkinter`` or ``idlelib``?) is a
topic task of short real texts, as tweets are, with a long tail of rare words and identifiers.

What the set is built from is pinned, so it does not move when a dependency is added: the ``.py`` sources of the
modules in ``DOCSTRING_MODULES`` under the running interpreter's standard library folder (no package installed
into ``site-packages`` is read), parsed with ``ast`` (nothing is imported). ``PINNED_PYTHON``, ``PINNED_ROWS`` and
``PINNED_SHA256`` record the set the figures in README were measured on; ``docstring_fingerprint`` recomputes them.

Each text is the first paragraph of one module, class or function docstring, its whitespace collapsed, cut at a
word boundary to at most ``MAX_CHARACTERS`` (a tweet's length); texts under ``MIN_WORDS`` words, the test suites'
docstrings, and texts found under two modules (their label would be a guess) are left out. Every text goes to one
split by a hash of its text: 80% train, 10% validation, 10% test.

``unlabelled_docstring_texts`` gives the same kind of text from every *other* module of the standard library
(``site-packages`` and the test suites left out, and no text of the labelled set): unlabelled text of the same
domain, to pretrain a language model on beside the training split (ULMFiT) without reading a validation or test text.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import re
import sysconfig
from pathlib import Path
from typing import NamedTuple

# Modules with at least 90 usable docstrings on Python 3.11; the label is the module's import name.
DOCSTRING_MODULES = {
    "_pydecimal": "decimal", "asyncio": "asyncio", "distutils": "distutils", "email": "email", "http": "http",
    "idlelib": "idlelib", "importlib": "importlib", "lib2to3": "lib2to3", "logging": "logging", "mailbox": "mailbox",
    "multiprocessing": "multiprocessing", "tarfile": "tarfile", "tkinter": "tkinter", "turtle": "turtle",
    "unittest": "unittest", "urllib": "urllib", "xml": "xml",
}  # fmt: skip
MAX_CHARACTERS = 280
MIN_WORDS = 4
VAL_SHARE, TEST_SHARE = 0.1, 0.1
PINNED_PYTHON = "3.11.7"
PINNED_ROWS = 4271
PINNED_SHA256 = "e6d8742f0db1d7b33cbbbd50bdf73b316adf68895d59cb2c8bdbb0b9982c1447"
_PARAGRAPH = re.compile(r"\n[ \t]*\n")
_DOCUMENTED = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
_NOT_MODULES = {"site-packages", "dist-packages", "test", "__pycache__"}
"""Entries of the standard library folder that are no module of it: installed packages and the test suite."""


class DocstringText(NamedTuple):
    """One text of the set.

    Attributes:
        text: the docstring's first paragraph, whitespace collapsed, at most ``MAX_CHARACTERS``.
        label: the module it documents (a value of ``DOCSTRING_MODULES``).
        where: ``file:line`` of the docstring in the standard library.
    """

    text: str
    label: str
    where: str


def short_text(docstring: str) -> str:
    """The first paragraph of ``docstring``, whitespace collapsed, cut at a word boundary to ``MAX_CHARACTERS``."""
    paragraph = " ".join(_PARAGRAPH.split(docstring.strip(), maxsplit=1)[0].split())
    if len(paragraph) <= MAX_CHARACTERS:
        return paragraph
    cut = paragraph[: MAX_CHARACTERS + 1].rsplit(" ", 1)[0]
    return cut if cut else paragraph[:MAX_CHARACTERS]


def read_docstring_texts(stdlib: str | Path | None = None) -> list[DocstringText]:
    """Every usable docstring of ``DOCSTRING_MODULES`` under ``stdlib``, in file and line order.

    Args:
        stdlib: the standard library folder; None reads the running interpreter's (``sysconfig``'s ``stdlib``).

    Raises:
        FileNotFoundError: when ``stdlib`` holds none of the modules.
    """
    root = Path(stdlib if stdlib is not None else sysconfig.get_paths()["stdlib"])
    found: dict[str, list[DocstringText]] = {}
    for name, label in sorted(DOCSTRING_MODULES.items()):
        for path in _module_files(root, name):
            for text, line in _docstrings(path):
                found.setdefault(text, []).append(DocstringText(text, label, f"{path}:{line}"))
    if not found:
        raise FileNotFoundError(f"{root} holds none of the modules {sorted(DOCSTRING_MODULES)}")
    kept = [copies[0] for copies in found.values() if len({c.label for c in copies}) == 1]
    return sorted(kept, key=lambda row: _where_key(row.where))


def _docstrings(path: Path) -> list[tuple[str, int]]:
    """``(short text, line)`` of every usable docstring of one ``.py`` file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        docstring = ast.get_docstring(node) if isinstance(node, _DOCUMENTED) else None
        if docstring is None:
            continue
        text = short_text(docstring)
        if len(text.split()) >= MIN_WORDS:
            found.append((text, node.body[0].lineno if node.body else 1))
    return found


@functools.cache
def unlabelled_docstring_texts(stdlib: str | None = None) -> tuple[str, ...]:
    """The usable docstrings of every standard-library module not in ``DOCSTRING_MODULES``, in file order.

    Each text once; none that the labelled set holds (under any split), so a language model pretrained on these and
    the training split has read no validation or test text. Not part of the pinned set: it is unlabelled text.

    Args:
        stdlib: the standard library folder; None reads the running interpreter's.
    """
    root = Path(stdlib if stdlib is not None else sysconfig.get_paths()["stdlib"])
    labelled = {row.text for rows in docstring_topic_splits(stdlib).values() for row in rows}
    names = sorted(
        path.stem if path.suffix == ".py" else path.name
        for path in root.iterdir()
        if (path.suffix == ".py" or (path.is_dir() and (path / "__init__.py").is_file()))
        and path.name not in _NOT_MODULES
    )
    seen: set[str] = set()
    texts = []
    for name in names:
        if name in DOCSTRING_MODULES:
            continue
        for path in _module_files(root, name):
            for text, _ in _docstrings(path):
                if text not in labelled and text not in seen:
                    seen.add(text)
                    texts.append(text)
    return tuple(texts)


def _module_files(root: Path, name: str) -> list[Path]:
    """The ``.py`` files of module or package ``name`` under ``root``, test folders left out, sorted."""
    single = root / f"{name}.py"
    if single.is_file():
        return [single]
    package = root / name
    if not package.is_dir():
        return []
    return sorted(
        path
        for path in package.rglob("*.py")
        if not {"test", "tests", "idle_test"} & set(path.relative_to(package).parts[:-1])
    )


def _where_key(where: str) -> tuple[str, int]:
    path, _, line = where.rpartition(":")
    return path, int(line)


def split_of(text: str) -> str:
    """``train``, ``val`` or ``test``: a hash of the text decides, so the split does not depend on the order read."""
    draw = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") / 2**64
    return "val" if draw < VAL_SHARE else "test" if draw < VAL_SHARE + TEST_SHARE else "train"


@functools.cache
def docstring_topic_splits(stdlib: str | None = None) -> dict[str, list[DocstringText]]:
    """The set's ``train``, ``val`` and ``test`` splits (computed once per process and folder)."""
    splits: dict[str, list[DocstringText]] = {"train": [], "val": [], "test": []}
    for row in read_docstring_texts(stdlib):
        splits[split_of(row.text)].append(row)
    return splits


def docstring_fingerprint(rows: list[DocstringText]) -> str:
    """SHA-256 of the rows' labels and texts (not their file paths), to compare with ``PINNED_SHA256``."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(f"{row.label}\t{row.text}\n".encode())
    return digest.hexdigest()
