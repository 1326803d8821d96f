import io

import numpy as np
import pytest
import soundfile
import torch
from PIL import Image

from lightning_seq.deploy import Classification, GeneratedText, Predictor
from tests.deploy.recipes import cli_predict, fit


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, rate, format="WAV", subtype="FLOAT")
    return buffer.getvalue()


def same_classification(answers, rows):
    assert all(isinstance(a, Classification) for a in answers)
    assert [a.label for a in answers] == [r["label"] for r in rows]
    for answer, row in zip(answers, rows, strict=True):
        assert answer.probabilities == pytest.approx(row["probabilities"], abs=1e-5)


def test_row_scan_classifier_reads_paths_pil_images_arrays_and_bytes_as_predict_does(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = ["--data.init_args.generated_size=200"]
    ckpt = fit("rowscan_digits_lstm", *data)
    rows, dm = cli_predict("rowscan_digits_lstm", ckpt, None, *data)
    images = [record.source for record in dm.split_records("predict")]  # the embedded digits: PIL images
    predictor = Predictor.from_checkpoint(ckpt, batch_size=8)
    assert predictor.input_kind == "image"
    same_classification(predictor.predict(images), rows)
    # the same image as a file path, encoded bytes and a uint8 array gives the same answer
    path = tmp_path / "digit.png"
    images[0].save(path)
    same = predictor.predict([str(path), path.read_bytes(), np.asarray(images[0].convert("L")), images[0]])
    assert len({a.label for a in same}) == 1 and same[0].input == str(path) and same[1].input == ""
    for answer in same[1:]:
        assert answer.probabilities == pytest.approx(same[0].probabilities, abs=1e-6)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    with pytest.raises(ValueError, match=rf"^input 1: cannot read image {broken}: "):
        predictor.predict([images[0], str(broken)])
    with pytest.raises(FileNotFoundError, match=r"^input 0: image file not found: missing.png$"):
        predictor.predict(["missing.png"])
    with pytest.raises(ValueError, match=r"^input 2: cannot decode the image bytes: "):
        predictor.predict([images[0], images[1], b"\x89PNG garbage"])
    with pytest.raises(TypeError, match=r"^input 0: an image array must hold uint8 pixels, got float32$"):
        predictor.predict([np.zeros((8, 8), dtype=np.float32)])
    with pytest.raises(TypeError, match=r"^input 1: expected an image \(path, PIL image, uint8 array or encoded "
                                        r"bytes\), got int$"):
        predictor.predict([images[0], 7])


def test_ocr_transcribes_line_images_as_predict_does(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = ["--data.init_args.generated_size=200", "--data.init_args.batch_size=16"]
    ckpt = fit("ocr_crnn_ctc", *data)
    rows, dm = cli_predict("ocr_crnn_ctc", ckpt, None, *data)
    lines = [record.source for record in dm.split_records("predict")]
    answers = Predictor.from_checkpoint(ckpt, batch_size=5).predict([png_bytes(im) for im in lines])
    assert all(isinstance(a, GeneratedText) for a in answers)
    assert [a.text for a in answers] == [r["text"] for r in rows]
    assert [a.score for a in answers] == pytest.approx([float(r["score"]) for r in rows], abs=1e-4)


@pytest.mark.parametrize("name", ["audio_keywords_gru", "audio_ctc_bilstm"])
def test_audio_models_read_files_bytes_and_samples_at_any_rate_as_predict_does(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    data = ["--data.init_args.generated_size=60", "--data.init_args.batch_size=16"]
    ckpt = fit(name, *data)
    rows, dm = cli_predict(name, ckpt, None, *data)
    clips = [record.source.numpy() for record in dm.split_records("predict")]  # generated, at the model's rate
    rate = dm.sample_rate
    predictor = Predictor.from_checkpoint(ckpt, batch_size=4)
    assert predictor.input_kind == "audio"
    answers = predictor.predict([(clip, rate) for clip in clips])
    if name == "audio_keywords_gru":
        same_classification(answers, rows)
    else:
        assert [a.text for a in answers] == [r["text"] for r in rows]
    # a WAV file, its bytes and a stereo copy agree with the samples; another rate is resampled first
    path = tmp_path / "clip.wav"
    soundfile.write(path, clips[0], rate, subtype="FLOAT")
    stereo = np.stack([clips[0], clips[0]], axis=1)
    again = predictor.predict([str(path), path.read_bytes(), (stereo, rate), (torch.from_numpy(clips[0]), rate)])
    first = answers[0]
    for answer in again:
        key = "probabilities" if name == "audio_keywords_gru" else "score"
        assert getattr(answer, key) == pytest.approx(getattr(first, key), abs=1e-4)
    half = wav_bytes(clips[0][::2].copy(), rate // 2)  # half the rate: resampled to the model's first
    assert predictor.inputs.waveform(half, 0).numel() == pytest.approx(len(clips[0]), abs=2)
    assert len(predictor.predict([half])) == 1
    with pytest.raises(ValueError, match=r"^input 1: cannot decode the audio bytes: "):
        predictor.predict([(clips[0], rate), b"RIFF not a wave"])
    with pytest.raises(ValueError, match=r"^input 0: the sample rate must be an integer from 1000 to 384000 Hz, "
                                         r"got 0$"):
        predictor.predict([(clips[0], 0)])
    with pytest.raises(ValueError, match=r"^input 0: audio samples hold NaN or infinite values$"):
        predictor.predict([(np.full(800, np.nan, dtype=np.float32), 16000)])
    with pytest.raises(TypeError, match=r"^input 0: audio samples must be floats in \[-1, 1\], got torch.int16$"):
        predictor.predict([(np.zeros(800, dtype=np.int16), 16000)])
    with pytest.raises(TypeError, match=r"^input 0: expected audio \(a file path, file bytes or a \(samples, "
                                        r"sample_rate\) pair\), got list$"):
        predictor.predict([[0.0, 0.1]])


def test_image_to_text_generator_reads_images_as_predict_does(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = ["--data.init_args.generated_size=100"]
    ckpt = fit("image_to_text_lstm", *data)
    rows, dm = cli_predict("image_to_text_lstm", ckpt, None, *data)
    images = [record.condition for record in dm.split_records("predict")]
    answers = Predictor.from_checkpoint(ckpt, batch_size=7).predict(images)
    assert [a.text for a in answers] == [r["hypothesis"] for r in rows]
    assert [a.score for a in answers] == pytest.approx([r["score"] for r in rows], abs=1e-4)
