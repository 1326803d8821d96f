import logging

import pytest
import torch

from lightning_seq.data import CharTokenizer, SentimentDataModule
from tests.conftest import write_csv, write_jsonl


def test_csv_with_carved_validation_split(tmp_path, text_rows):
    train = write_csv(tmp_path / "train.csv", text_rows)
    dm = SentimentDataModule(train_path=str(train), val_fraction=0.2, batch_size=4, seed=1)
    assert dm.label_names == ["neg", "pos"] and dm.num_classes == 2
    assert dm.vocab_size == len(dm.vocabulary) and dm.vocabulary[:4] == ["<pad>", "<unk>", "<bos>", "<eos>"]
    assert not hasattr(dm, "feature_size")  # token data: no feature size to link
    dm.setup("fit")
    assert len(dm.dataset("train")) == 8 and len(dm.dataset("val")) == 2
    val_words = {w for r in dm.records["val"] for w in dm.tokenizer(r.text)}
    train_words = {w for r in dm.records["train"] for w in dm.tokenizer(r.text)}
    assert set(dm.vocabulary[4:]) == train_words  # built from the training split only
    assert val_words - train_words  # so some validation words are unknown
    batch = next(iter(dm.train_dataloader()))
    assert batch.inputs.dtype == torch.long and batch.inputs.shape[0] == batch.lengths.shape[0]
    assert int(batch.lengths.max()) == batch.inputs.shape[1]


def test_tsv_jsonl_and_custom_columns(tmp_path, text_rows):
    tsv = write_csv(tmp_path / "train.tsv", text_rows, columns=("review", "stars"), delimiter="\t")
    jsonl = write_jsonl(tmp_path / "val.jsonl", text_rows[:4], columns=("review", "stars"))
    dm = SentimentDataModule(train_path=str(tsv), val_path=str(jsonl), text_column="review", label_column="stars")
    dm.setup("fit")
    assert len(dm.dataset("train")) == 10 and len(dm.dataset("val")) == 4
    assert dm.dataset("val").targets == [1, 0, 0, 1]


def test_integer_labels_sorted_numerically(tmp_path):
    rows = [{"text": f"text {i}", "label": label} for i, label in enumerate([10, 2, 1, 2, 10, 1])]
    path = write_jsonl(tmp_path / "train.jsonl", [(r["text"], r["label"]) for r in rows])
    dm = SentimentDataModule(train_path=str(path), val_path=str(path))
    assert dm.label_names == ["1", "2", "10"]


def test_aclimdb_folder_layout(tmp_path):
    for split in ("train", "test"):
        for label, text in (("pos", "a great film"), ("neg", "a dull film")):
            folder = tmp_path / "aclImdb" / split / label
            folder.mkdir(parents=True)
            for i in range(3):
                (folder / f"{i}_7.txt").write_text(f"{text} number {i}", encoding="utf-8")
    (tmp_path / "aclImdb" / "train" / "unsup").mkdir()
    dm = SentimentDataModule(
        train_path=str(tmp_path / "aclImdb/train"), test_path=str(tmp_path / "aclImdb/test"), val_fraction=0.34
    )
    assert dm.label_names == ["neg", "pos"]
    dm.setup("test")
    assert len(dm.dataset("test")) == 6 and sorted(dm.dataset("test").targets) == [0, 0, 0, 1, 1, 1]


def test_char_tokenizer_and_max_length_truncation_is_counted(tmp_path, text_rows, caplog):
    train = write_csv(tmp_path / "train.csv", text_rows)
    dm = SentimentDataModule(train_path=str(train), val_path=str(train), tokenizer=CharTokenizer(), max_length=5)
    assert "a" in dm.vocabulary and " " in dm.vocabulary
    with caplog.at_level(logging.WARNING):
        dm.setup("fit")
    assert max(dm.dataset("train").lengths) == 5
    assert "train: truncated 10 of 10 texts to max_length=5 tokens" in caplog.text


def test_embedded_default_corpus_is_seeded_and_split(tmp_path):
    dm = SentimentDataModule(generated_size=200, seed=3)
    again = SentimentDataModule(generated_size=200, seed=3)
    assert dm.vocabulary == again.vocabulary and dm.label_names == ["negative", "neutral", "positive"]
    dm.setup("fit")
    dm.setup("test")
    dm.setup("predict")
    assert [len(dm.dataset(s)) for s in ("train", "val", "test", "predict")] == [200, 20, 20, 20]
    dm.save_vocabulary(tmp_path)
    assert (tmp_path / "vocab.txt").read_text(encoding="utf-8").split("\n")[:2] == ["<pad>", "<unk>"]
    assert (tmp_path / "labels.txt").read_text(encoding="utf-8") == "negative\nneutral\npositive\n"


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"data file not found: .*nope.csv"):
        SentimentDataModule(train_path=str(tmp_path / "nope.csv"))


def test_missing_column_names_the_columns_found(tmp_path, text_rows):
    path = write_csv(tmp_path / "train.csv", text_rows, columns=("body", "label"))
    with pytest.raises(ValueError, match=r"train.csv: no column 'text'; columns found: \['body', 'label'\]"):
        SentimentDataModule(train_path=str(path))
    jsonl = write_jsonl(tmp_path / "train.jsonl", text_rows, columns=("text", "y"))
    with pytest.raises(ValueError, match=r"train.jsonl:1: no key 'label'; keys found: \['text', 'y'\]"):
        SentimentDataModule(train_path=str(jsonl))


def test_empty_texts_reported_with_line_numbers_or_dropped_with_count(tmp_path, text_rows, caplog):
    rows = text_rows[:3] + [("   ", "pos")] + text_rows[3:6] + [("", "neg")] + text_rows[6:]
    path = write_csv(tmp_path / "train.csv", rows)
    with pytest.raises(ValueError, match=r"2 empty or whitespace-only texts: .*train.csv:5, .*train.csv:9"):
        SentimentDataModule(train_path=str(path))
    with caplog.at_level(logging.WARNING):
        dm = SentimentDataModule(train_path=str(path), drop_empty=True, val_fraction=0.2)
    assert len(dm.records["train"]) + len(dm.records["val"]) == 10
    assert "dropped 2 empty or whitespace-only texts" in caplog.text


def test_unseen_label_in_validation_is_an_error(tmp_path, text_rows):
    train = write_csv(tmp_path / "train.csv", text_rows)
    val = write_csv(tmp_path / "val.csv", text_rows[:2] + [("so so", "neutral")])
    dm = SentimentDataModule(train_path=str(train), val_path=str(val))
    with pytest.raises(ValueError, match=r"val labels not seen in training: \['neutral'\] \(first at .*val.csv:4\)"):
        dm.setup("fit")


def test_malformed_rows_and_formats_are_reported(tmp_path, text_rows):
    path = tmp_path / "train.csv"
    path.write_text("text,label\nfine,pos\ntoo,many,fields\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"train.csv:3: more fields than the 2 columns"):
        SentimentDataModule(train_path=str(path))
    bad = tmp_path / "train.xml"
    bad.write_text("<x/>", encoding="utf-8")
    with pytest.raises(ValueError, match=r"unsupported format '.xml'"):
        SentimentDataModule(train_path=str(bad))
    jsonl = tmp_path / "t.jsonl"
    jsonl.write_text('{"text": "a", "label": "x"}\n{oops\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"t.jsonl:2: not valid JSON"):
        SentimentDataModule(train_path=str(jsonl))


def test_single_class_and_invalid_arguments(tmp_path, text_rows):
    one = write_csv(tmp_path / "one.csv", [(t, "pos") for t, _ in text_rows])
    with pytest.raises(ValueError, match=r"training data has a single label \['pos'\]"):
        SentimentDataModule(train_path=str(one))
    with pytest.raises(ValueError, match=r"val_fraction must lie in \(0, 1\), got 1.0"):
        SentimentDataModule(val_fraction=1.0)
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        SentimentDataModule(batch_size=0)
    with pytest.raises(ValueError, match="max_length must be >= 1, got 0"):
        SentimentDataModule(max_length=0)


def test_predict_file_without_labels_keeps_input_order(tmp_path, text_rows):
    train = write_csv(tmp_path / "train.csv", text_rows)
    predict = tmp_path / "new.csv"
    predict.write_text("text\nfirst text\nsecond one here\nthird\n", encoding="utf-8")
    dm = SentimentDataModule(train_path=str(train), predict_path=str(predict), batch_size=2)
    dm.setup("predict")
    batches = list(dm.predict_dataloader())
    assert [b.indices.tolist() for b in batches] == [[0, 1], [2]]
    assert batches[0].targets.tolist() == [-1, -1]


def test_a_txt_file_gives_one_text_to_predict_per_line_and_no_training_labels(tmp_path, text_rows):
    train = write_csv(tmp_path / "train.csv", text_rows)
    texts = tmp_path / "mine.txt"
    texts.write_text("good film\n\nbad, film\n", encoding="utf-8")  # a blank line is an empty text, named by line
    with pytest.raises(ValueError, match=rf"1 empty or whitespace-only texts: {texts}:2 "):
        SentimentDataModule(train_path=str(train), predict_path=str(texts)).setup("predict")
    texts.write_text("good film\nbad, film\n", encoding="utf-8")
    dm = SentimentDataModule(train_path=str(train), predict_path=str(texts))
    dm.setup("predict")
    assert dm.prediction_ids() == [f"{texts}:1", f"{texts}:2"]
    assert dm.prediction_texts() == ["good film", "bad, film"]
    assert [dm.vocab.decode(x.tolist()) for x, _, _ in dm.dataset("predict")] == [["good", "film"],
                                                                                  ["bad", ",", "film"]]
    with pytest.raises(ValueError, match=rf"^{texts}: a \.txt file holds one text per line and no labels"):
        SentimentDataModule(train_path=str(texts))
