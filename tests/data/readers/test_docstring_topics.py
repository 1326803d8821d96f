"""The real labelled yardstick: standard-library docstrings by module, read from sources laid out as Python's are."""

import sys
from collections import Counter
from pathlib import Path

import pytest

from lightning_seq.data import SentimentDataModule
from lightning_seq.data.readers import docstring_topics as topics
from lightning_seq.data.readers.docstring_topics import (
    MAX_CHARACTERS,
    docstring_fingerprint,
    docstring_topic_splits,
    read_docstring_texts,
    short_text,
    split_of,
    unlabelled_docstring_texts,
)

LONG = " ".join(f"word{i}" for i in range(80))  # 80 words, far past MAX_CHARACTERS


def write_stdlib(root):
    """A standard library folder: a package with a test folder, a single-file module, a module not on the list."""
    (root / "asyncio" / "tests").mkdir(parents=True)
    (root / "asyncio" / "__init__.py").write_text('"""The asyncio package runs coroutines."""\n')
    (root / "asyncio" / "events.py").write_text(
        '"""Event loop and event loop policy for asyncio."""\n\n\n'
        "def run(x):\n"
        '    """Run the coroutine and return its result.\n\n    More detail, not the first paragraph.\n    """\n\n'
        "class Loop:\n"
        '    """Too short."""\n\n'
        "    def close(self):\n"
        f'        """{LONG}"""\n\n'
        "def shared():\n"
        '    """Return the shared value of this object."""\n'
    )
    (root / "asyncio" / "tests" / "test_events.py").write_text('"""Tests for the event loop module here."""\n')
    (root / "tarfile.py").write_text(
        '"""Read from and write to tar format archives."""\n\n'
        "def shared():\n"
        '    """Return the shared value of this object."""\n'
    )
    (root / "json.py").write_text('"""JSON encoder and decoder, not on the list."""\n')
    return root


def test_docstrings_are_read_by_module_with_their_place_and_first_paragraph(tmp_path):
    root = write_stdlib(tmp_path)
    rows = read_docstring_texts(root)
    got = {(row.label, row.text) for row in rows}
    short_long = short_text(LONG)
    assert got == {
        ("asyncio", "The asyncio package runs coroutines."),
        ("asyncio", "Event loop and event loop policy for asyncio."),
        ("asyncio", "Run the coroutine and return its result."),
        ("asyncio", short_long),
        ("tarfile", "Read from and write to tar format archives."),
    }  # "Too short." (2 words), the tests folder, json and the text under two modules are left out
    where = {row.text: row.where for row in rows}
    assert where["Run the coroutine and return its result."] == f"{root / 'asyncio' / 'events.py'}:5"
    assert where["Read from and write to tar format archives."] == f"{root / 'tarfile.py'}:1"


@pytest.mark.parametrize("words", [1, 5, 20, 46, 47, 48, 60, 200])
def test_short_text_cuts_at_a_word_boundary_within_the_limit(words):
    text = " ".join(["abcde"] * words)  # each word 5 characters and a space
    cut = short_text(text)
    assert len(cut) <= MAX_CHARACTERS
    assert text.startswith(cut) and (cut == text or text[len(cut)] == " ")
    assert len(cut) > MAX_CHARACTERS - 6 or cut == text


def test_short_text_collapses_whitespace_and_keeps_the_first_paragraph():
    assert short_text("  Return   the\n   value.\n\n  Details.  ") == "Return the value."


def test_unlabelled_texts_are_the_other_modules_without_a_labelled_text_tests_or_installed_packages(tmp_path):
    root = write_stdlib(tmp_path)
    (root / "site-packages" / "pkg").mkdir(parents=True)
    (root / "site-packages" / "pkg" / "__init__.py").write_text('"""An installed package is never read here."""\n')
    (root / "test").mkdir()
    (root / "test" / "__init__.py").write_text('"""The regression test suite of Python."""\n')
    (root / "csv.py").write_text(
        '"""Read and write comma separated files."""\n\n'
        "def one():\n"
        '    """Read from and write to tar format archives."""\n\n'  # a labelled text: left out
        "def two():\n"
        '    """Read and write comma separated files."""\n'  # the same text twice: once
    )
    (root / "notes.txt").write_text("not a module at all, and long enough\n")
    assert unlabelled_docstring_texts(str(root)) == (
        "Read and write comma separated files.", "JSON encoder and decoder, not on the list.")


def test_a_folder_without_the_modules_is_an_error_naming_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"{tmp_path} holds none of the modules"):
        read_docstring_texts(tmp_path)


def test_splits_follow_the_text_alone():
    assert split_of("Return the value.") == split_of("Return the value.")
    shares = Counter(split_of(f"text number {i}") for i in range(20000))
    assert abs(shares["val"] / 20000 - 0.1) < 0.01 and abs(shares["test"] / 20000 - 0.1) < 0.01


def test_the_set_on_this_interpreter_is_the_pinned_one():
    splits = docstring_topic_splits()
    rows = [row for split in ("train", "val", "test") for row in splits[split]]
    everything = read_docstring_texts()
    assert sorted(rows, key=lambda r: r.where) == sorted(everything, key=lambda r: r.where)
    assert {row.label for row in rows} == set(topics.DOCSTRING_MODULES.values())
    if sys.version.split()[0] == topics.PINNED_PYTHON:
        assert len(everything) == topics.PINNED_ROWS
        assert docstring_fingerprint(everything) == topics.PINNED_SHA256
        assert [len(splits[s]) for s in ("train", "val", "test")] == [3438, 422, 411]  # the data module docstring's
    else:  # another patch release may edit a few docstrings, never most of them
        assert abs(len(everything) - topics.PINNED_ROWS) < 0.05 * topics.PINNED_ROWS


def test_the_data_module_serves_the_real_set_with_its_labels():
    dm = SentimentDataModule(generated_corpus="docstring_topics")
    assert dm.num_classes == 17 and "asyncio" in dm.label_names
    assert [len(dm.records[s]) for s in ("train", "val", "test")] == [
        len(docstring_topic_splits()[s]) for s in ("train", "val", "test")
    ]
    path, line = dm.records["train"][0].where.rsplit(":", 1)
    source = Path(path).read_text(encoding="utf-8").splitlines()
    assert dm.records["train"][0].text.split()[0] in " ".join(source[int(line) - 1 : int(line) + 1])


def test_an_unknown_corpus_is_refused_with_the_choices():
    with pytest.raises(ValueError, match=r"generated_corpus must be one of \['word_order', 'long_tail', "):
        SentimentDataModule(generated_corpus="tweets")
