"""``lightning-seq-stream``: the example recording, events printed and written, precision/recall, CTC text, errors."""

import csv
import functools

import pytest
import pytorch_lightning as pl
import torch

from lightning_seq.data.readers.audio import load_audio
from lightning_seq.data.synthetic.audio import KEYWORDS
from lightning_seq.data.synthetic.keyword_stream import BACKGROUND, generate_long_recording
from lightning_seq.data.text.vocab import SPECIALS
from lightning_seq.deploy.streaming import ClassifierStreamer, CTCStreamer, KeywordDetector, KeywordEvent
from lightning_seq.deploy.streaming.event_scores import read_spoken_words, score_events
from lightning_seq.deploy.streaming.spotting import spot_keywords
from lightning_seq.nn import AudioFeatures, GRUEncoder, LSTMEncoder
from lightning_seq.stream_cli import main
from lightning_seq.tasks import CTCTranscriber, SequenceClassifier

RATE = 8000
LABELS = sorted([*KEYWORDS, BACKGROUND])


def features():
    module = AudioFeatures("logmel", RATE, frame_length=256, hop_length=160, n_mels=16, normalization="global")
    module.set_statistics(torch.full((16,), -6.0), torch.full((16,), 3.0))
    return module


def save(task, path):
    trainer = pl.Trainer(logger=False, enable_progress_bar=False, enable_model_summary=False)
    trainer.strategy.connect(task)
    trainer.save_checkpoint(path)
    return str(path)


def spotter(seed=0, bidirectional=False, input_features=True):
    torch.manual_seed(seed)
    task = SequenceClassifier(num_classes=len(LABELS), feature_size=16, pooling="last",
                              input_features=features().config() if input_features else None,
                              encoder=functools.partial(GRUEncoder, hidden_size=12, bidirectional=bidirectional))
    task.set_names(label_names=LABELS)
    with torch.no_grad():  # an untrained head, sharpened: posteriors that change with the audio
        for weight in task.head.parameters():
            weight.mul_(8.0)
    return task


def test_make_example_writes_the_recording_and_its_keyword_times(tmp_path, capsys):
    main(["--make_example", str(tmp_path / "long.wav"), "--seconds", "12", "--seed", "3"])
    wave, words = generate_long_recording(12, 3, RATE)
    assert f"wrote {tmp_path / 'long.wav'} (12 s at 8000 Hz, {len(words)} keywords)" in capsys.readouterr().out
    written = load_audio(tmp_path / "long.wav", RATE)
    assert written.shape == wave.shape and written.abs().max() == pytest.approx(0.9, abs=1e-3)
    assert [(w.label, round(w.start, 3), round(w.end, 3)) for w in read_spoken_words(tmp_path / "long.csv")] == [
        (w.label, round(w.start, 3), round(w.end, 3)) for w in words]


@pytest.mark.parametrize("chunk_ms", ["10", "100", "333"])
def test_events_are_printed_written_and_scored_as_the_python_api_finds_them(tmp_path, capsys, chunk_ms):
    ckpt = save(spotter(), tmp_path / "kws.ckpt")
    main(["--make_example", str(tmp_path / "long.wav"), "--seconds", "10", "--seed", "4"])
    # an untrained model with a sharpened head makes events; the command must find exactly the API's events
    settings = ["--threshold", "0.5", "--smoothing", "3", "--refractory", "0.3", "--min_duration", "0.05"]
    main(["--ckpt_path", ckpt, "--input", str(tmp_path / "long.wav"), "--truth", str(tmp_path / "long.csv"),
          "--chunk_ms", chunk_ms, *settings])
    printed = capsys.readouterr().out.splitlines()
    task = SequenceClassifier.load_from_checkpoint(ckpt, map_location="cpu")
    detector = KeywordDetector(LABELS, BACKGROUND, hop_seconds=160 / RATE, frame_seconds=256 / RATE, smoothing=3,
                               threshold=0.5, refractory=0.3, min_duration=0.05)
    wave = load_audio(tmp_path / "long.wav", RATE)
    want = list(spot_keywords(ClassifierStreamer(task), detector, wave, 800))  # 100 ms chunks: the same events
    assert len(want) >= 4
    with (tmp_path / "long.events.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    got = [KeywordEvent(r["label"], float(r["start"]), float(r["end"]), float(r["score"])) for r in rows]
    assert [e.label for e in got] == [e.label for e in want]
    for a, b in zip(got, want, strict=True):
        assert a.start == pytest.approx(b.start, abs=1e-3) and a.score == pytest.approx(b.score, abs=1e-3)
    assert [line.split()[2] for line in printed[1 : 1 + len(want)]] == [e.label for e in want]
    scores = score_events(want, read_spoken_words(tmp_path / "long.csv"))
    assert printed[-1] == (f"precision {scores.precision:.3f} ({scores.hits} of {scores.detections} events), recall "
                           f"{scores.recall:.3f} ({scores.hits} of {scores.keywords} keywords), within 0.2 s")


def test_raw_pcm_on_standard_input_streams_like_the_file(tmp_path, capsys, monkeypatch):
    """``--input -``: 16-bit PCM from a pipe (a microphone), read chunk by chunk; the same samples, the same events."""
    import io
    import types

    import soundfile

    ckpt = save(spotter(), tmp_path / "kws.ckpt")
    main(["--make_example", str(tmp_path / "long.wav"), "--seconds", "6", "--seed", "4"])
    settings = ["--threshold", "0.5", "--smoothing", "3", "--refractory", "0.3", "--min_duration", "0.05"]
    main(["--ckpt_path", ckpt, "--input", str(tmp_path / "long.wav"), *settings])
    from_file = (tmp_path / "long.events.csv").read_text(encoding="utf-8")
    pcm, rate = soundfile.read(str(tmp_path / "long.wav"), dtype="int16")
    assert rate == RATE and from_file.count("\n") >= 3  # header and at least two events
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", types.SimpleNamespace(buffer=io.BytesIO(pcm.astype("<i2").tobytes() + b"\x01")))
    capsys.readouterr()
    main(["--ckpt_path", ckpt, "--input", "-", *settings])
    said = capsys.readouterr()
    assert "reading 16-bit mono PCM at 8000 Hz from standard input" in said.err
    assert (tmp_path / "stream.events.csv").read_text(encoding="utf-8") == from_file  # a cut last byte is dropped


def test_a_ctc_checkpoint_prints_and_writes_its_streamed_text(tmp_path, capsys):
    torch.manual_seed(0)
    task = CTCTranscriber(feature_size=16, vocab_size=len(SPECIALS) + 8, input_features=features().config(),
                          encoder=functools.partial(LSTMEncoder, hidden_size=12))
    task.set_names(vocabulary=[*SPECIALS, *"abcdefgh"])
    with torch.no_grad():  # labels that change every few frames: a long text
        for weight in task.encoder.parameters():
            weight.normal_(0.0, 0.25)
        task.classifier.weight.normal_(0.0, 200.0)
        task.classifier.bias[: len(SPECIALS)] = -50.0
    ckpt = save(task, tmp_path / "ctc.ckpt")
    main(["--make_example", str(tmp_path / "rec.wav"), "--seconds", "3"])
    main(["--ckpt_path", ckpt, "--input", str(tmp_path / "rec.wav"), "--output", str(tmp_path / "out.txt")])
    streamer = CTCStreamer(CTCTranscriber.load_from_checkpoint(ckpt, map_location="cpu"))
    streamer.push([load_audio(tmp_path / "rec.wav", RATE)])
    streamer.flush()
    assert len(streamer.text(0)) > 5 and (tmp_path / "out.txt").read_text(encoding="utf-8") == streamer.text(0) + "\n"
    assert "".join(line.split()[-1] for line in capsys.readouterr().out.splitlines()[1:-1]) == streamer.text(0)


def test_what_cannot_stream_is_one_error_block(tmp_path, capsys):
    main(["--make_example", str(tmp_path / "rec.wav"), "--seconds", "2"])
    wav = str(tmp_path / "rec.wav")
    for task, message in [
        (spotter(bidirectional=True), "a bidirectional encoder reads every step together with the steps after it"),
        (spotter(input_features=False), "the model does not compute its audio features, so a stream of samples "
                                        "cannot reach it: train with --data.features_on_device=true"),
    ]:
        ckpt = save(task, tmp_path / "bad.ckpt")
        with pytest.raises(SystemExit) as exit_info:
            main(["--ckpt_path", ckpt, "--input", wav])
        assert exit_info.value.code == 1 and message in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["--ckpt_path", save(spotter(), tmp_path / "kws.ckpt"), "--input", wav, "--background", "silence"])
    assert exit_info.value.code == 1
    assert "background class 'silence' is not among the labels" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["--input", wav])
    assert exit_info.value.code == 2 and "give --ckpt_path and --input" in capsys.readouterr().err
