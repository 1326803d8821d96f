import logging
import os

import pytest
from PIL import Image

from lightning_seq.data import OCRDataModule
from lightning_seq.types import TranscriptionBatch


def make_split(folder, lines, width_per_char=12, height=16):
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, text in enumerate(lines):
        name = f"img/{i}.png"
        (folder / "img").mkdir(exist_ok=True)
        Image.new("L", (max(4, width_per_char * len(text)), height), 255).save(folder / name)
        rows.append(f"{name}\t{text}")
    (folder / "labels.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def small_dm(tmp_path, **kwargs):
    make_split(tmp_path / "train", ["abc", "bad", "cab", "dab"])
    make_split(tmp_path / "val", ["ab", "dc"])
    return OCRDataModule(train_dir=str(tmp_path / "train"), val_dir=str(tmp_path / "val"), batch_size=2, **kwargs)


def test_labels_tsv_charset_and_batches(tmp_path):
    dm = small_dm(tmp_path)
    assert dm.charset == "abcd" and dm.vocabulary[:4] == ["<pad>", "<unk>", "<bos>", "<eos>"]
    assert dm.feature_size == 32  # default: columns of 32-pixel-high gray images
    dm.setup("fit")
    batch = next(iter(dm.val_dataloader()))
    assert type(batch) is TranscriptionBatch  # the CTC batch, not the seq2seq one
    assert batch.inputs.shape[2] == 32 and batch.targets.shape[0] == 2
    rows = zip(batch.targets.tolist(), batch.target_lengths.tolist(), strict=True)
    texts = sorted("".join(dm.vocab.decode(row[:n])) for row, n in rows)
    assert texts == ["ab", "dc"]
    # width scaled 16 -> 32 pixels high: 2 chars * 12 px * 2 = 48 steps
    assert sorted(batch.lengths.tolist()) == [48, 48]


def test_explicit_charset_and_unknown_characters(tmp_path, caplog):
    make_split(tmp_path / "test", ["abz", "zz"])
    with pytest.raises(ValueError, match=r"test labels use characters outside the charset: \['z'\] \(first at .*:1\)"):
        dm = small_dm(tmp_path, test_dir=str(tmp_path / "test"))
        dm.setup("test")
    dm = small_dm(tmp_path, test_dir=str(tmp_path / "test"), unknown_to_unk=True)
    with caplog.at_level(logging.WARNING):
        dm.setup("test")
    assert "test: mapped 3 characters outside the charset to <unk>: ['z']" in caplog.text
    dm = small_dm(tmp_path, charset="abcdz")
    assert dm.charset == "abcdz"
    with pytest.raises(ValueError, match=r"training labels use characters outside the given charset: \['d'\]"):
        small_dm(tmp_path, charset="abc").setup("fit")


def test_paths_escaping_the_split_folder_are_refused(tmp_path):
    folder = make_split(tmp_path / "train", ["ab"])
    (folder / "labels.tsv").write_text("../secret.png\tab\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"labels.tsv:1: path '../secret.png' leads outside"):
        OCRDataModule(train_dir=str(folder), val_dir=str(folder))
    (folder / "labels.tsv").write_text(f"{tmp_path}/x.png\tab\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"labels.tsv:1: absolute path .* refused"):
        OCRDataModule(train_dir=str(folder), val_dir=str(folder))
    outside = tmp_path / "outside.png"
    Image.new("L", (10, 10)).save(outside)
    os.symlink(outside, folder / "link.png")
    (folder / "labels.tsv").write_text("link.png\tab\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"path 'link.png' leads outside"):
        OCRDataModule(train_dir=str(folder), val_dir=str(folder))


def test_empty_labels_and_missing_tab_are_reported(tmp_path):
    folder = make_split(tmp_path / "train", ["ab", "cd", "ef"])
    (folder / "labels.tsv").write_text("img/0.png\tab\nimg/1.png\t \nimg/2.png\t\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"2 empty labels: .*labels.tsv:2, .*labels.tsv:3"):
        OCRDataModule(train_dir=str(folder), val_dir=str(folder))
    (folder / "labels.tsv").write_text("img/0.png ab\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"labels.tsv:1: expected 'relative/path<TAB>text', found no tab"):
        OCRDataModule(train_dir=str(folder), val_dir=str(folder))
    with pytest.raises(FileNotFoundError, match=r"labels file not found: .*nowhere/labels.tsv"):
        OCRDataModule(train_dir=str(tmp_path / "nowhere"), val_dir=str(folder))


def test_target_too_long_for_its_image_is_reported_with_the_file(tmp_path):
    make_split(tmp_path / "train", ["abc", "aaaa"], width_per_char=1, height=32)  # "aaaa" needs 4 + 3 steps > 4
    make_split(tmp_path / "val", ["ab"], height=32)
    dm = OCRDataModule(train_dir=str(tmp_path / "train"), val_dir=str(tmp_path / "val"))
    with pytest.raises(
        ValueError,
        match=r"train: 1 targets too long .*labels.tsv:2 \(.*1.png\): 4 labels \+ 3 repeats "
        r"> 4 steps",
    ):
        dm.setup("fit")
    fine = small_dm(tmp_path / "ok")
    fine.setup("fit")
    fine.check_ctc_lengths(time_reduction=8)  # 'abc': 72 steps -> 9 after the reduction: fits
    with pytest.raises(ValueError, match=r"train: .* \(time_reduction 64\).*3 labels \+ 0 repeats > 2 steps"):
        fine.check_ctc_lengths(time_reduction=64)


def test_corrupt_image_names_the_file(tmp_path):
    folder = make_split(tmp_path / "train", ["ab", "cd"])
    (folder / "img" / "1.png").write_bytes(b"broken")
    dm = OCRDataModule(train_dir=str(folder), val_dir=str(folder))
    with pytest.raises(ValueError, match=r"cannot read image .*img/1.png"):
        dm.setup("fit")


def test_predict_folder_without_texts_and_prediction_ids(tmp_path):
    predict = tmp_path / "new"
    predict.mkdir()
    Image.new("L", (30, 16), 255).save(predict / "x.png")
    (predict / "labels.tsv").write_text("x.png\n", encoding="utf-8")
    dm = small_dm(tmp_path, predict_dir=str(predict))
    dm.setup("predict")
    assert dm.prediction_ids() == [str((predict / "x.png").resolve())]
    batch = next(iter(dm.predict_dataloader()))
    assert batch.target_lengths.tolist() == [0]


def test_embedded_lines_are_seeded():
    dm = OCRDataModule(generated_size=20, seed=2)
    assert set(dm.charset) <= set("0123456789abcdefghijklmnopqrstuvwxyz")
    assert [e.text for e in dm.records["test"]] == [
        e.text for e in OCRDataModule(generated_size=20, seed=2).records["test"]
    ]
    dm.setup("test")
    assert len(dm.dataset("test")) == 2
