import pytest

from lightning_seq.data import ConditionalSequenceDataModule, ParallelTextDataModule, SentimentDataModule
from lightning_seq.data.readers.tables import check_column
from lightning_seq.data.readers.text import read_text_records
from tests.conftest import write_csv, write_jsonl

PAIRS = [("seven hundred", "700"), ("forty two", "42"), ("nine", "9"), ("one hundred and one", "101")]


def test_headerless_tsv_pairs_read_with_the_default_column_names(tmp_path):
    anki = [(s, t, "CC-BY 2.0 (France) Attribution: tatoeba.org #1") for s, t in PAIRS]  # a third field, ignored
    path = write_csv(tmp_path / "train.tsv", anki, columns=None, delimiter="\t")
    dm = ParallelTextDataModule(train_path=str(path), val_path=str(path))
    assert [(r.text, r.target) for r in dm.records["train"]] == PAIRS
    assert dm.records["train"][0].where == f"{path}:1"  # the first line is data
    with_header = write_csv(tmp_path / "h.tsv", PAIRS, columns=("source", "target"), delimiter="\t")
    dm = ParallelTextDataModule(train_path=str(with_header), val_path=str(with_header))
    assert [(r.text, r.target) for r in dm.records["train"]] == PAIRS
    assert dm.records["train"][0].where == f"{with_header}:2"


def test_columns_by_position_with_and_without_a_header(tmp_path):
    rows = [("id1", "pos", "a good film"), ("id2", "neg", "a dull film"), ("id3", "pos", "fun")]
    bare = write_csv(tmp_path / "bare.csv", rows, columns=None)
    records = read_text_records(bare, 2, 1)
    assert [(r.text, r.target) for r in records] == [(t, lab) for _, lab, t in rows]
    headed = write_csv(tmp_path / "headed.csv", rows, columns=("id", "y", "body"))
    headed_records = read_text_records(headed, 2, 1, header=True)
    assert [(r.text, r.target) for r in headed_records] == [(t, lab) for _, lab, t in rows]
    assert len(read_text_records(headed, 2, 1)) == 4  # positions name nothing: no header is detected
    assert [(r.text, r.target) for r in read_text_records(headed, "body", 1)] == [(t, lab) for _, lab, t in rows]
    dm = SentimentDataModule(train_path=str(bare), val_path=str(bare), text_column=2, label_column=1)
    assert dm.label_names == ["neg", "pos"]


def test_header_argument_forces_either_reading(tmp_path):
    path = write_csv(tmp_path / "t.csv", [("text", "label"), ("b", "y")], columns=None)
    assert [(r.text, r.target) for r in read_text_records(path, header=False)] == [("text", "label"), ("b", "y")]
    assert [(r.text, r.target) for r in read_text_records(path, header=None)] == [("b", "y")]
    assert [(r.text, r.target) for r in read_text_records(path, 0, 1, header=True)] == [("b", "y")]


def test_a_partial_header_is_an_error_not_a_data_row(tmp_path, text_rows):
    path = write_csv(tmp_path / "train.csv", text_rows, columns=("review", "label"))
    message = (r"train.csv: no column 'text'; columns found: \['review', 'label'\] \(the first row names \['label'\], "
               r"so it was taken for a header; give header: false if it is data\)")
    with pytest.raises(ValueError, match=message):
        SentimentDataModule(train_path=str(path))


def test_headerless_rows_must_agree_on_their_field_count(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text("a good film,pos\nfunny, but long,neg\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"train.csv:2: more fields than the 2 fields of the first row \(quote"):
        read_text_records(path)
    path.write_text("a,b,c\nd,e\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"train.csv:2: fewer fields than the 3 fields of the first row"):
        read_text_records(path)


def test_missing_positions_and_bad_column_arguments_are_named(tmp_path):
    path = write_csv(tmp_path / "t.csv", PAIRS, columns=None)
    with pytest.raises(ValueError, match=r"t.csv: no column at position 5; the first row has 2 fields"):
        read_text_records(path, 5, 1)
    one = write_csv(tmp_path / "one.csv", [("a",), ("b",)], columns=None)
    with pytest.raises(ValueError, match=r"one.csv: without a header, column 'label' is read as field 1, but"):
        read_text_records(one)
    jsonl = write_jsonl(tmp_path / "t.jsonl", PAIRS)
    with pytest.raises(ValueError, match=r"t.jsonl: JSONL rows are objects: give the key of column 0 by name"):
        read_text_records(jsonl, 0, "label")
    for bad in (-1, "", 1.5, True):
        with pytest.raises(ValueError, match=rf"text_column must be a column name or a 0-based position, got {bad!r}"):
            check_column(bad, "text_column")
    with pytest.raises(ValueError, match=r"target_column must be a column name or a 0-based position, got -2"):
        ParallelTextDataModule(target_column=-2)


def test_headerless_conditional_rows(tmp_path):
    rows = [("3", "three"), ("4", "four"), ("3", "three"), ("4", "four")]
    path = write_csv(tmp_path / "train.tsv", rows, columns=None, delimiter="\t")
    dm = ConditionalSequenceDataModule(condition="label", train_path=str(path), val_path=str(path))
    assert dm.label_names == ["3", "4"] and dm.target_vocabulary[4:] == ["four", "three"]
