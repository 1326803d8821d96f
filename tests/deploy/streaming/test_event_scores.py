import pytest

from lightning_seq.data.synthetic.keyword_stream import SpokenWord
from lightning_seq.deploy.streaming import KeywordEvent
from lightning_seq.deploy.streaming.event_scores import read_spoken_words, score_events, write_csv

TRUTH = [SpokenWord("yes", 1.0, 1.5), SpokenWord("no", 4.0, 4.4), SpokenWord("yes", 8.0, 8.6)]


def event(label, start):
    return KeywordEvent(label, start, start + 0.3, 0.9)


def test_an_event_hits_its_keyword_while_spoken_give_or_take_the_tolerance():
    events = [event("yes", 1.69), event("no", 3.81), event("yes", 8.9)]
    # 1.69 <= 1.5 + 0.2 and 3.81 >= 4.0 - 0.2: hits; 8.9 > 8.6 + 0.2: a false alarm and a miss
    assert score_events(events, TRUTH) == (2 / 3, 2 / 3, 2, 3, 3)
    assert score_events(events, TRUTH, tolerance=0.3) == (1.0, 1.0, 3, 3, 3)


def test_a_wrong_label_or_a_second_event_on_one_keyword_is_a_false_alarm():
    events = [event("no", 1.2), event("yes", 1.3), event("yes", 1.4), event("no", 4.1), event("yes", 8.1)]
    assert score_events(events, TRUTH) == (3 / 5, 1.0, 3, 5, 3)
    assert score_events([], TRUTH) == (0.0, 0.0, 0, 0, 3)
    assert score_events([event("yes", 1.0)], []) == (0.0, 0.0, 0, 1, 0)
    with pytest.raises(ValueError, match=r"tolerance must be >= 0 seconds, got -1"):
        score_events([], TRUTH, tolerance=-1)


def test_keyword_times_round_trip_through_csv_and_bad_files_are_named(tmp_path):
    path = tmp_path / "truth.csv"
    write_csv(path, SpokenWord._fields, TRUTH)
    assert path.read_text(encoding="utf-8").splitlines()[:2] == ["label,start,end", "yes,1.0,1.5"]
    assert read_spoken_words(path) == TRUTH
    (tmp_path / "cols.csv").write_text("word,start,end\nyes,1,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"cols.csv: needs the columns label, start, end; missing \['label'\]"):
        read_spoken_words(tmp_path / "cols.csv")
    (tmp_path / "bad.csv").write_text("label,start,end\nyes,1,2\nno,soon,3\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.csv:3: start and end must be seconds"):
        read_spoken_words(tmp_path / "bad.csv")
    with pytest.raises(FileNotFoundError, match=r"keyword times file not found: .*missing.csv"):
        read_spoken_words(tmp_path / "missing.csv")
