"""Broken and hostile input: every case is a clear error naming the file, line or argument, or a documented,
counted skip; nothing is dropped or truncated silently."""

import functools
import logging
import os

import numpy as np
import pytest
import soundfile
import torch
from PIL import Image

from lightning_seq.data import (
    AudioKeywordsDataModule,
    ConditionalSequenceDataModule,
    OCRDataModule,
    RowScan,
    RowScanImageDataModule,
    SentimentDataModule,
    TextCorpusDataModule,
)
from lightning_seq.data.readers.text import read_text_records
from lightning_seq.nn import AudioFeatures, GRUEncoder, LSTMEncoder
from lightning_seq.tasks import SequenceClassifier

VOCAB = ["<pad>", "<unk>", "<bos>", "<eos>", "a", "b"]


def write(path, text, encoding="utf-8"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return str(path)


# ------------------------------------------------------------------------------------------------------ text
def test_non_utf8_text_names_file_and_line(tmp_path):
    bad = write(tmp_path / "train.csv", b"text,label\ngood film,pos\nbad \xff film,neg\n")
    with pytest.raises(ValueError, match=r"train\.csv:3: not UTF-8 \(byte 0xff"):
        SentimentDataModule(train_path=bad, val_path=bad)
    corpus = write(tmp_path / "corpus.txt", b"a line\nanother \xfe line\n")
    with pytest.raises(ValueError, match=r"corpus\.txt:2"):
        TextCorpusDataModule(train_path=corpus, val_path=corpus, test_path=corpus).setup("fit")


def test_csv_with_embedded_newlines_and_quotes_keeps_the_whole_text(tmp_path):
    text = 'first line\nsecond, with "quotes"'
    path = write(tmp_path / "train.csv", 'text,label\n"first line\nsecond, with ""quotes""",pos\nplain,neg\n')
    dm = SentimentDataModule(train_path=path, val_path=path, tokenizer=None)
    dm.setup("fit")
    texts = [dm.vocab.decode(seq.tolist()) for seq in dm.dataset("train").sequences]
    assert texts[0] == dm.tokenizer(text)  # every token of the quoted, multi-line field
    assert len(texts) == 2


def test_a_huge_single_line_is_read_whole_and_truncation_is_only_on_request_and_counted(tmp_path, caplog):
    words = 300_000
    path = write(tmp_path / "train.csv", "text,label\n" + '"' + "word " * words + '",pos\nshort,neg\n')
    dm = SentimentDataModule(train_path=path, val_path=path)
    dm.setup("fit")
    assert max(len(s) for s in dm.dataset("train").sequences) == words  # longer than csv's default field limit
    with caplog.at_level(logging.INFO):
        cut = SentimentDataModule(train_path=path, val_path=path, max_length=50)
        cut.setup("fit")
    assert max(len(s) for s in cut.dataset("train").sequences) == 50
    assert "truncated 1 of 2 texts to max_length=50 tokens" in caplog.text


def test_empty_texts_are_errors_naming_lines_or_a_counted_skip(tmp_path, caplog):
    path = write(tmp_path / "train.csv", 'text,label\n"",pos\ngood,pos\n"   ",neg\nbad,neg\n')
    with pytest.raises(ValueError, match=r"2 empty or whitespace-only texts: .*train\.csv:2, .*train\.csv:4"):
        SentimentDataModule(train_path=path, val_path=path).setup("fit")
    with caplog.at_level(logging.INFO):
        dm = SentimentDataModule(train_path=path, val_path=path, drop_empty=True)
        dm.setup("fit")
    assert len(dm.dataset("train")) == 2 and "2" in caplog.text


def test_empty_split_and_single_class_are_refused(tmp_path):
    good = write(tmp_path / "train.csv", "text,label\ngood,pos\nbad,neg\n")
    empty = write(tmp_path / "val.csv", "text,label\n")
    with pytest.raises(ValueError, match=r"val data .*val\.csv has no rows"):
        SentimentDataModule(train_path=good, val_path=empty).setup("fit")
    one = write(tmp_path / "one.csv", "text,label\ngood,pos\nfine,pos\n")
    with pytest.raises(ValueError, match=r"single label \['pos'\]"):
        SentimentDataModule(train_path=one, val_path=one)


def test_length_one_sequences_are_exact_and_length_zero_is_refused():
    encoder = LSTMEncoder(3, 4, num_layers=2, bidirectional=True).eval()
    x = torch.randn(2, 5, 3)
    out, state = encoder(x, torch.tensor([1, 5]))
    alone, alone_state = encoder(x[:1, :1], torch.tensor([1]))
    torch.testing.assert_close(out[0, :1], alone[0])
    torch.testing.assert_close(state.hidden[:, 0], alone_state.hidden[:, 0])
    assert (out[0, 1:] == 0).all()
    with pytest.raises(ValueError, match=r"every length must lie in \[1, 5\] \(the padded length\); got \[0\]"):
        encoder(x, torch.tensor([0, 5]))


# ------------------------------------------------------------------------------------------------------ images
@pytest.mark.parametrize("damage", ["truncated", "corrupt"])
def test_truncated_and_corrupt_images_name_the_file(tmp_path, damage):
    for split in ("train", "test"):
        for label, value in (("cat", 40), ("dog", 200)):
            for i in range(3):
                (tmp_path / split / label).mkdir(parents=True, exist_ok=True)
                Image.new("L", (12, 10), value + i).save(tmp_path / split / label / f"{i}.png")
    target = tmp_path / "train/dog/1.png"
    png = target.read_bytes()
    target.write_bytes(png[: len(png) // 2] if damage == "truncated" else b"\x89PNG not really")
    with pytest.raises(ValueError, match=r"cannot read image .*train/dog/1\.png"):
        dm = RowScanImageDataModule(root=str(tmp_path), transform=RowScan("rows", size=(10, 12)), val_fraction=0.1)
        dm.setup("fit")
        for split in ("train", "val"):
            data = dm.dataset(split)
            for i in range(len(data)):
                data[i]


def test_ocr_labels_leaving_their_folder_or_through_symlinks_are_refused(tmp_path):
    folder = tmp_path / "train"
    (folder / "img").mkdir(parents=True)
    Image.new("L", (24, 16), 255).save(folder / "img/0.png")
    outside = tmp_path / "secret.png"
    Image.new("L", (24, 16), 0).save(outside)
    write(folder / "labels.tsv", "../secret.png\tab\n")
    with pytest.raises(ValueError, match=r"labels\.tsv:1.*outside"):
        OCRDataModule(train_dir=str(folder), val_dir=str(folder))
    os.symlink(outside, folder / "img/link.png")
    write(folder / "labels.tsv", "img/link.png\tab\n")
    with pytest.raises(ValueError, match=r"labels\.tsv:1.*outside"):
        OCRDataModule(train_dir=str(folder), val_dir=str(folder))


# ------------------------------------------------------------------------------------------------------ audio
def audio_folder(root):
    rng = np.random.default_rng(0)
    for label in ("up", "down"):
        for i in range(4):
            path = root / label / f"{i}.wav"
            path.parent.mkdir(parents=True, exist_ok=True)
            soundfile.write(str(path), (0.1 * rng.standard_normal(2000)).astype(np.float32), 8000)
    return root


def small_features():
    return AudioFeatures("logmel", 8000, frame_length=200, hop_length=80, n_mels=16)


def test_corrupt_and_truncated_audio_name_the_file_or_are_a_counted_skip(tmp_path, caplog):
    root = audio_folder(tmp_path)
    (root / "up/0.wav").write_bytes(b"RIFF\x00\x00garbage")
    with pytest.raises(ValueError, match=r"cannot read audio .*up/0\.wav"):
        AudioKeywordsDataModule(root=str(root), features=small_features(), val_fraction=0.25)
    with caplog.at_level(logging.WARNING):
        dm = AudioKeywordsDataModule(root=str(root), features=small_features(), on_bad_file="skip", val_fraction=0.25)
    assert "skipped 1 unreadable or empty audio files" in caplog.text
    assert sum(len(v) for v in dm.records.values()) == 7


def test_nan_samples_in_audio_name_the_file(tmp_path):
    root = audio_folder(tmp_path)
    wave = np.zeros(2000, dtype=np.float32)
    wave[100] = np.nan
    soundfile.write(str(root / "down/2.wav"), wave, 8000, subtype="FLOAT")
    dm = AudioKeywordsDataModule(root=str(root), features=small_features(), val_fraction=0.25)
    with pytest.raises(ValueError, match=r"NaN or infinite samples: .*down/2\.wav"):
        dm.setup("fit")


def test_nan_and_infinite_condition_vectors_name_the_row(tmp_path):
    path = write(tmp_path / "train.jsonl", '{"condition": [1.0, NaN], "target": "ab"}\n')
    with pytest.raises(ValueError, match=r"train\.jsonl:1: condition vector .* NaN or infinity"):
        ConditionalSequenceDataModule("vector", path)
    path = write(tmp_path / "train.csv", 'condition,target\n"1, inf",ab\n')
    with pytest.raises(ValueError, match=r"train\.csv:2: condition vector .* NaN or infinity"):
        ConditionalSequenceDataModule("vector", path)


# ------------------------------------------------------------------------------------------------- checkpoints
def test_a_checkpoint_of_another_task_or_vocabulary_is_refused_and_loads_weights_only(tmp_path, monkeypatch):
    from lightning_seq.cli import run

    monkeypatch.chdir(tmp_path)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    quiet = ["--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]
    run(["fit", "--config", f"{root}/recipes/sentiment_bilstm.yaml", "--trainer.max_epochs=1",
         "--trainer.limit_train_batches=2", "--trainer.limit_val_batches=1",
         "--data.init_args.generated_size=100", *quiet])
    path = tmp_path / "runs/sentiment_bilstm/checkpoints/last.ckpt"
    checkpoint = torch.load(path, weights_only=True)  # plain data only: loading runs no code from the file
    assert checkpoint["lightning_seq_task"] == "lightning_seq.tasks.classification.SequenceClassifier"
    expected = (r"last\.ckpt was written by lightning_seq.tasks.classification.SequenceClassifier, but the config "
                r"builds lightning_seq.tasks.ctc.CTCTranscriber")
    with pytest.raises(ValueError, match=expected):
        run(["test", "--config", f"{root}/recipes/audio_ctc_bilstm.yaml", "--ckpt_path", str(path),
             "--data.init_args.generated_size=60", *quiet])
    other = SequenceClassifier(num_classes=2, vocab_size=6, embedding_dim=4,
                               encoder=functools.partial(GRUEncoder, hidden_size=4))
    other.set_names(vocabulary=[*VOCAB[:4], "x", "y"])
    with pytest.raises(ValueError, match="vocabulary .* does not match .* first difference at index 4"):
        other.on_load_checkpoint(checkpoint)


# ------------------------------------------------------------------------------------------------------ tables
def test_parquet_and_saved_datasets_missing_columns_corrupt_or_empty_name_the_file(tmp_path):
    datasets = pytest.importorskip("datasets")
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "train.parquet"
    pq.write_table(pa.table({"body": ["a", "b"], "label": ["x", "y"]}), path)
    with pytest.raises(ValueError, match=r"train.parquet: no column 'text'; columns found: \['body', 'label'\]"):
        SentimentDataModule(train_path=str(path))
    with pytest.raises(ValueError, match=r"train.parquet: no column at position 4; columns found: \['body', 'label'\]"):
        SentimentDataModule(train_path=str(path), text_column=4)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ValueError, match=r"broken.parquet: not a readable Parquet file \("):
        SentimentDataModule(train_path=str(broken))
    empty = tmp_path / "empty.parquet"
    pq.write_table(pa.table({"text": pa.array([], pa.string()), "label": pa.array([], pa.string())}), empty)
    with pytest.raises(ValueError, match=r"train data .*empty.parquet has no rows"):
        SentimentDataModule(train_path=str(empty))
    gaps = tmp_path / "gaps.parquet"
    pq.write_table(pa.table({"text": ["a", "b"], "label": ["x", None]}), gaps)
    with pytest.raises(ValueError, match=r"gaps.parquet row 1: empty label in column 'label'"):
        SentimentDataModule(train_path=str(gaps))
    nested = tmp_path / "nested.parquet"
    pq.write_table(pa.table({"text": [{"a": 1}], "label": ["x"]}), nested)
    with pytest.raises(ValueError, match=r"nested.parquet row 0: column 'text' holds a dict, not text"):
        read_text_records(nested)
    saved = tmp_path / "saved"
    datasets.Dataset.from_dict({"text": [], "label": []}).save_to_disk(str(saved))
    with pytest.raises(ValueError, match=r"train data .*saved has no rows"):
        SentimentDataModule(train_path=str(saved))
    broken = tmp_path / "broken_saved"
    datasets.Dataset.from_dict({"text": ["a"], "label": ["x"]}).save_to_disk(str(broken))
    arrow = next(broken.glob("*.arrow"))
    arrow.write_bytes(arrow.read_bytes()[:30])
    with pytest.raises(ValueError, match=r"broken_saved: not a readable saved data set \("):
        SentimentDataModule(train_path=str(broken))
    (tmp_path / "blank.csv").write_text("\n\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"train data .*blank.csv has no rows"):
        SentimentDataModule(train_path=str(tmp_path / "blank.csv"))


def test_a_headerless_row_with_an_unquoted_delimiter_is_reported_not_cut(tmp_path):
    path = write(tmp_path / "train.csv", "a good film,pos\nfunny, but too long,neg\n")
    with pytest.raises(ValueError, match=r"train.csv:2: more fields than the 2 fields of the first row"):
        SentimentDataModule(train_path=path)


# ------------------------------------------------------------------------------------------------------ tokenizers
def test_tokenizer_model_files_that_are_not_one_or_do_not_match_the_checkpoint(tmp_path):
    pytest.importorskip("sentencepiece")
    from lightning_seq.data import SentencePieceTokenizer

    garbage = write(tmp_path / "tokenizer.model", b"\x00\x01 not a model")
    with pytest.raises(ValueError, match=r"tokenizer.model: not a SentencePiece model"):
        SentencePieceTokenizer(model_path=garbage)
    trained = SentimentDataModule(generated_size=300, tokenizer=SentencePieceTokenizer(vocab_size=200))
    other = SentencePieceTokenizer(vocab_size=120)
    other.train([r.text for r in trained.records["train"]])
    loaded = SentimentDataModule(generated_size=300, tokenizer=SentencePieceTokenizer(
        model_path=str(other.save(tmp_path, "other"))))
    with pytest.raises(ValueError, match=r"best.ckpt's tokenizer \(model [0-9a-f]{12}\) differs from the data "
                       r"module's SentencePieceTokenizer"):
        loaded.check_tokenizers(trained.state_dict(), "best.ckpt")
