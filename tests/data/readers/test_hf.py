import pytest

datasets = pytest.importorskip("datasets")  # the [hf] extra; the [test] extra installs it
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from lightning_seq.data import ParallelTextDataModule, SentimentDataModule  # noqa: E402
from lightning_seq.data.readers.hf import hub_source, split_paths  # noqa: E402
from lightning_seq.data.readers.text import read_text_records  # noqa: E402
from tests.conftest import TEXTS  # noqa: E402

LABELS = datasets.ClassLabel(names=["neg", "pos"])
FEATURES = datasets.Features({"text": datasets.Value("string"), "label": LABELS})


def labelled(rows=TEXTS):
    return datasets.Dataset.from_dict(
        {"text": [t for t, _ in rows], "label": [LABELS.str2int(lab) for _, lab in rows]}, features=FEATURES
    )


def test_parquet_file_by_name_and_position(tmp_path):
    path = tmp_path / "train.parquet"
    table = {"id": list(range(len(TEXTS))), "text": [t for t, _ in TEXTS], "y": [lab for _, lab in TEXTS]}
    pq.write_table(pa.table(table), path)
    records = read_text_records(path, "text", "y")
    assert [(r.text, r.target) for r in records] == TEXTS
    assert records[3].where == f"{path} row 3"
    assert [(r.text, r.target) for r in read_text_records(path, 1, 2)] == TEXTS
    dm = SentimentDataModule(train_path=str(path), val_path=str(path), label_column="y")
    assert dm.label_names == ["neg", "pos"]


def test_saved_dataset_and_dataset_dict_class_labels_read_by_name(tmp_path):
    labelled().save_to_disk(str(tmp_path / "one"))
    records = read_text_records(tmp_path / "one")
    assert [(r.text, r.target) for r in records] == TEXTS  # ClassLabel ids become their names
    splits = {"train": labelled(), "validation": labelled(TEXTS[:4]), "test": labelled(TEXTS[4:])}
    datasets.DatasetDict(splits).save_to_disk(str(tmp_path / "dict"))
    assert len(read_text_records(tmp_path / "dict", split="val")) == 4
    assert len(read_text_records(tmp_path / "dict", split="predict")) == 6  # predict reads test
    dm = SentimentDataModule(train_path=str(tmp_path / "dict"), val_path=str(tmp_path / "dict"),
                             test_path=str(tmp_path / "dict"))
    dm.setup("test")
    assert len(dm.records["train"]) == 10 and len(dm.records["val"]) == 4 and len(dm.dataset("test")) == 6
    datasets.DatasetDict({"other": labelled()}).save_to_disk(str(tmp_path / "odd"))
    with pytest.raises(ValueError, match=r"odd: no 'train' split; splits found: \['other'\]"):
        read_text_records(tmp_path / "odd")


def test_hub_name_reads_its_splits_and_carves_validation(tmp_path):
    """The Hub code path (``load_dataset(NAME, split=...)``) on a local folder, as there is no network here."""
    folder = tmp_path / "my_dataset"
    folder.mkdir()
    pq.write_table(pa.table({"en": [s for s, _ in PAIRS], "fr": [t for _, t in PAIRS]}), folder / "train.parquet")
    pq.write_table(pa.table({"en": ["b"], "fr": ["B"]}), folder / "test.parquet")
    paths = split_paths({"train": None, "val": None, "test": None, "predict": None}, str(folder))
    assert paths == {"train": hub_source(str(folder), "train"), "val": None, "test": hub_source(str(folder), "test"),
                     "predict": None}
    dm = ParallelTextDataModule(hf_dataset=str(folder), source_column="en", target_column="fr", val_fraction=0.2)
    assert len(dm.records["train"]) == 8 and len(dm.records["val"]) == 2
    assert dm.records["train"][0].where.startswith(f"hf://{folder}?split=train row ")
    dm.setup("test")
    assert dm.dataset("test").references == [["B"]]
    with pytest.raises(ValueError, match=r"give hf_dataset or train_path, not both"):
        ParallelTextDataModule(hf_dataset=str(folder), train_path="x.tsv")


PAIRS = [(f"{w} {v}", f"{w.upper()} {v.upper()}") for w in "abcde" for v in "xy"]
