import csv
import json
import os
from pathlib import Path

import pytest
import torch

# two cores: one thread per pytest-xdist worker (README runs two), both threads in a single process
torch.set_num_threads(1 if os.environ.get("PYTEST_XDIST_WORKER") else 2)

TEXTS = [
    ("a truly great film", "pos"),
    ("dull and boring plot", "neg"),
    ("the acting was not good", "neg"),
    ("not bad at all , quite fun", "pos"),
    ("great music but a weak ending", "neg"),
    ("weak start but a great ending", "pos"),
    ("I loved it", "pos"),
    ("I hated it", "neg"),
    ("superb cast", "pos"),
    ("awful script", "neg"),
]


def write_csv(path: Path, rows, columns=("text", "label"), delimiter=","):
    """A CSV/TSV file; ``columns=None`` writes no header line."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        if columns is not None:
            writer.writerow(columns)
        writer.writerows(rows)
    return path


def write_jsonl(path: Path, rows, columns=("text", "label")):
    path.write_text("".join(json.dumps(dict(zip(columns, row, strict=True))) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture
def text_rows():
    return list(TEXTS)
