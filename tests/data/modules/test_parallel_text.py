import pytest

from lightning_seq.data import CharTokenizer, ParallelTextDataModule
from lightning_seq.data.synthetic.parallel import transform
from lightning_seq.types import Seq2SeqBatch
from tests.conftest import write_csv, write_jsonl

PAIRS = [("a b c", "x y"), ("b c", "y z z"), ("c a", "z"), ("a a b", "x x y"), ("c", "z y")]


def test_tsv_pairs_with_separate_and_shared_vocabularies(tmp_path):
    path = write_csv(tmp_path / "train.tsv", PAIRS, columns=("src", "tgt"), delimiter="\t")
    dm = ParallelTextDataModule(train_path=str(path), val_path=str(path), source_column="src", target_column="tgt")
    assert dm.vocabulary[4:] == ["a", "c", "b"] and dm.target_vocabulary[4:] == ["y", "z", "x"]  # by count
    assert dm.vocab_size == 7
    shared = ParallelTextDataModule(
        train_path=str(path), val_path=str(path), source_column="src", target_column="tgt", shared_vocabulary=True
    )
    assert shared.vocabulary == shared.target_vocabulary and len(shared.vocabulary) == 10
    dm.setup("fit")
    batch = next(iter(dm.val_dataloader()))
    assert type(batch) is Seq2SeqBatch
    assert batch.inputs.shape[0] == 5 and sorted(batch.target_lengths.tolist()) == [1, 2, 2, 3, 3]


def test_char_tokenizers_per_side_and_unknown_tokens_counted(tmp_path, caplog):
    train = write_jsonl(tmp_path / "train.jsonl", [("ab", "xy"), ("ba", "yx")], columns=("source", "target"))
    test = write_jsonl(tmp_path / "test.jsonl", [("abq", "xy")], columns=("source", "target"))
    dm = ParallelTextDataModule(
        train_path=str(train),
        val_path=str(train),
        test_path=str(test),
        source_tokenizer=CharTokenizer(),
        target_tokenizer=CharTokenizer(),
    )
    assert dm.vocabulary[4:] == ["a", "b"]
    with caplog.at_level("WARNING"):
        dm.setup("test")
    assert "test: 1 source tokens not in the vocabulary were mapped to <unk>" in caplog.text
    assert dm.dataset("test").dataset.sequences[0].tolist() == [4, 5, 1]


def test_unknown_target_words_are_counted_and_kept_as_written_for_scoring(tmp_path, caplog):
    train = write_csv(tmp_path / "train.csv", PAIRS, columns=("source", "target"))
    test = write_csv(tmp_path / "test.csv", [("a b", "x y NEWWORD"), ("c", "z")], columns=("source", "target"))
    dm = ParallelTextDataModule(train_path=str(train), val_path=str(train), test_path=str(test), bucketing=False)
    with caplog.at_level("WARNING"):
        dm.setup("test")
    assert "test: 1 target tokens not in the target vocabulary were mapped to <unk>" in caplog.text
    batch = next(iter(dm.test_dataloader()))
    rows = dict(zip(batch.indices.tolist(), batch.references, strict=True))
    assert rows == {0: ["x", "y", "NEWWORD"], 1: ["z"]}
    first = batch.indices.tolist().index(0)
    assert batch.targets[first, :3].tolist() == [dm.target_vocabulary.index(w) for w in ("x", "y", "<unk>")]


def test_empty_lines_and_wrong_column_counts_name_the_line(tmp_path):
    path = write_csv(tmp_path / "train.csv", [("a b", "x"), (" ", "y"), ("", "z")], columns=("source", "target"))
    with pytest.raises(ValueError, match=r"train: 2 empty texts: .*train.csv:3 \(source\), .*train.csv:4 \(source\)"):
        ParallelTextDataModule(train_path=str(path))
    path = write_csv(tmp_path / "train.csv", [("a b", "x"), ("c", " ")], columns=("source", "target"))
    with pytest.raises(ValueError, match=r"train.csv:3: empty label in column 'target'"):
        ParallelTextDataModule(train_path=str(path))
    bad = tmp_path / "bad.csv"
    bad.write_text("source,target\na,b\na,b,c\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.csv:3: more fields than the 2 columns"):
        ParallelTextDataModule(train_path=str(bad))


def test_embedded_task_targets_follow_the_rule():
    dm = ParallelTextDataModule(generated_size=50, seed=3)
    for record in dm.records["train"][:10]:
        assert record.target == transform(record.text)
    assert transform("a c t") == "a d b"
    assert dm.prediction_ids()[0] == "<generated test>:1"
