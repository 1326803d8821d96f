"""Keyword events scored against the keywords known to be in a recording: precision and recall."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from lightning_seq.deploy.streaming.keyword_events import KeywordEvent
from lightning_seq.types import SpokenWord


class EventScores(NamedTuple):
    """How detected events compare with the known keywords.

    ``precision`` is ``hits / detections`` (0 without detections), ``recall`` is ``hits / keywords`` (0 without
    keywords).
    """

    precision: float
    recall: float
    hits: int
    detections: int
    keywords: int


def score_events(
    events: Sequence[KeywordEvent], truth: Sequence[SpokenWord], tolerance: float = 0.2
) -> EventScores:
    """Match events to known keywords one to one: a hit fires while its keyword is spoken, give or take ``tolerance``.

    An event hits a keyword when both have the same label and the event's start (the moment it fired) lies within
    ``[keyword start - tolerance, keyword end + tolerance]`` seconds; each keyword is hit at most once (events are
    taken in time order, each by the earliest keyword it fits). Other events are false alarms; keywords no event hit
    are misses.
    """
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0 seconds, got {tolerance!r}")
    free = sorted(truth, key=lambda word: word.start)
    hits = 0
    for event in sorted(events, key=lambda e: e.start):
        for k, word in enumerate(free):
            if word.label == event.label and word.start - tolerance <= event.start <= word.end + tolerance:
                del free[k]
                hits += 1
                break
    precision = hits / len(events) if events else 0.0
    recall = hits / len(truth) if truth else 0.0
    return EventScores(precision, recall, hits, len(events), len(truth))


def read_spoken_words(path: str | Path) -> list[SpokenWord]:
    """Known keywords from a CSV with ``label``, ``start`` and ``end`` (seconds) columns."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"keyword times file not found: {path}")
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = {"label", "start", "end"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: needs the columns label, start, end; missing {sorted(missing)}")
        words = []
        for line, row in enumerate(reader, start=2):
            try:
                words.append(SpokenWord(row["label"], float(row["start"]), float(row["end"])))
            except (TypeError, ValueError) as err:
                raise ValueError(f"{path}:{line}: start and end must be seconds, got {row}") from err
    return words


def write_csv(path: str | Path, fields: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """``rows`` (keywords, events) as CSV under the header ``fields``, seconds rounded to the millisecond."""
    with Path(path).open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(fields)
        for row in rows:
            writer.writerow([round(v, 3) if isinstance(v, float) else v for v in row])
