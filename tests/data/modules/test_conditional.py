import json

import numpy as np
import pytest
import soundfile as sf
import torch
from PIL import Image

from lightning_seq.data import ConditionalSequenceDataModule, RowScan
from lightning_seq.data.synthetic.numbers import digit_vector, generate_numbers, number_words
from lightning_seq.nn import AudioFeatures
from lightning_seq.types import Seq2SeqBatch


def write_csv(path, rows, header="condition,target"):
    path.write_text(header + "\n" + "".join(f"{c},{t}\n" for c, t in rows), encoding="utf-8")
    return str(path)


def test_label_conditions_link_classes_and_batch_as_one_step(tmp_path):
    train = write_csv(tmp_path / "train.csv", [("even", "two four"), ("odd", "one three five"), ("even", "six")])
    test = write_csv(tmp_path / "test.csv", [("odd", "seven nine")])
    data = ConditionalSequenceDataModule("label", train, train, test, batch_size=8)
    assert data.label_names == ["even", "odd"] and data.num_classes == 2
    assert not hasattr(data, "feature_size")
    data.setup("fit")
    batch = next(iter(data.train_dataloader()))
    assert type(batch) is Seq2SeqBatch
    assert batch.inputs.shape == (3, 1) and batch.lengths.tolist() == [1, 1, 1]
    words = {
        tuple(data.target_vocabulary[i] for i in row[:n])
        for row, n in zip(batch.targets.tolist(), batch.target_lengths, strict=True)
    }
    assert words == {("two", "four"), ("one", "three", "five"), ("six",)}
    data.setup("test")
    assert data.datasets["test"][0][1].tolist() == [data.target_vocabulary.index("<unk>")] * 2


def test_unknown_class_and_empty_target_name_the_row(tmp_path):
    train = write_csv(tmp_path / "train.csv", [("a", "x y"), ("b", "y")])
    test = write_csv(tmp_path / "test.csv", [("a", "x"), ("c", "y")])
    data = ConditionalSequenceDataModule("label", train, train, test)
    with pytest.raises(ValueError, match=r"test.csv:3: condition class 'c' does not occur in training"):
        data.setup("test")
    bad = write_csv(tmp_path / "bad.csv", [("a", "x"), ("b", "")])
    with pytest.raises(ValueError, match=r"bad.csv:3: empty label in column 'target'"):
        ConditionalSequenceDataModule("label", bad)


def test_vector_conditions_from_jsonl_and_their_errors(tmp_path):
    rows = [{"condition": [0.5, 1, 2], "target": "a b"}, {"condition": "1 2 3", "target": "b"}]
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    data = ConditionalSequenceDataModule("vector", str(path), str(path))
    assert data.feature_size == 3
    data.setup("fit")
    torch.testing.assert_close(data.datasets["train"][0][0], torch.tensor([[0.5, 1.0, 2.0]]))
    for text, message in (("1 x 3", "is not a list of numbers"), ("1 nan 3", "holds NaN or infinity")):
        bad = write_csv(tmp_path / "bad.csv", [("1 2 3", "a"), (text, "b")])
        with pytest.raises(ValueError, match=f"bad.csv:3: condition vector '{text}' {message}"):
            ConditionalSequenceDataModule("vector", bad)
    short = write_csv(tmp_path / "short.csv", [("1 2 3", "a"), ("1 2", "b")])
    data = ConditionalSequenceDataModule("vector", short, short)
    with pytest.raises(ValueError, match="short.csv:3: condition vector has 2 values, expected 3"):
        data.setup("fit")


def test_image_conditions_are_scanned_and_paths_stay_inside(tmp_path):
    (tmp_path / "img").mkdir()
    for name, width in (("a.png", 40), ("b.png", 24)):
        Image.new("L", (width, 16), 255).save(tmp_path / "img" / name)
    train = write_csv(tmp_path / "train.csv", [("img/a.png", "forty"), ("img/b.png", "twenty four")])
    data = ConditionalSequenceDataModule("image", train, train, scan=RowScan("columns", height=16))
    assert data.feature_size == 16
    data.setup("fit")
    assert data.datasets["train"].lengths == [40, 24]
    escape = write_csv(tmp_path / "escape.csv", [("../outside.png", "x")])
    with pytest.raises(ValueError, match=r"escape.csv:2: path '../outside.png' leads outside"):
        ConditionalSequenceDataModule("image", escape)
    missing = write_csv(tmp_path / "missing.csv", [("img/none.png", "x")])
    with pytest.raises(FileNotFoundError, match=r"missing.csv:2: image file not found"):
        ConditionalSequenceDataModule("image", missing)


def test_audio_conditions_are_framed_in_the_loader(tmp_path):
    for name in ("a.wav", "b.wav"):
        sf.write(tmp_path / name, np.sin(np.arange(8000) / 5.0).astype("float32") * 0.3, 16000)
    train = write_csv(tmp_path / "train.csv", [("a.wav", "hello"), ("b.wav", "hello there")])
    features = AudioFeatures("logmel", 16000, n_mels=20)
    data = ConditionalSequenceDataModule("audio", train, train, features=features)
    assert data.feature_size == 20
    data.setup("fit")
    frames, target, _, reference = data.datasets["train"][0]
    assert reference == ["hello"]
    assert frames.shape == (data.datasets["train"].lengths[0], 20)
    assert [data.target_vocabulary[i] for i in target] == ["hello"]
    with pytest.raises(ValueError, match="there is no embedded audio task"):
        ConditionalSequenceDataModule("audio")


def test_embedded_numbers_hold_out_val_and_test_numbers():
    assert number_words(305) == "three hundred and five" and number_words(40) == "forty"
    assert digit_vector(305).nonzero().flatten().tolist() == [3, 10, 25]
    seen = {words for _, words in generate_numbers("train", 3000, "vector", 0)}
    tested = {words for _, words in generate_numbers("test", 300, "vector", 0)}
    assert not seen & tested and len(tested) > 50
    labels = {c for c, _ in generate_numbers("test", 300, "label", 0)}
    assert labels <= set(range(100))
    data = ConditionalSequenceDataModule("image", generated_size=20)
    assert data.feature_size == 32 and len(data.records["val"]) == 2
