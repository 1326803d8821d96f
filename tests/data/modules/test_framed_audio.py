import logging
import math

import numpy as np
import pytest
import soundfile
import torch

from lightning_seq.data import AudioAugment, AudioKeywordsDataModule, AudioTranscriptionDataModule
from lightning_seq.data.readers.audio import load_audio
from lightning_seq.nn import AudioFeatures
from lightning_seq.types import TranscriptionBatch

RATE = 8000


def tone(freq=440.0, seconds=0.25, rate=RATE, channels=1):
    t = np.arange(int(seconds * rate)) / rate
    wave = 0.5 * np.sin(2 * math.pi * freq * t).astype(np.float32)
    return np.stack([wave] * channels, axis=1) if channels > 1 else wave


def write_wav(path, data=None, rate=RATE):
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), tone() if data is None else data, rate)
    return path


def features(**kwargs):
    return AudioFeatures(
        **{"kind": "logmel", "sample_rate": RATE, "frame_length": 200, "hop_length": 80, "n_mels": 20, **kwargs}
    )


def test_raw_frames_count_and_feature_shapes():
    waves = torch.randn(2, 1000)
    lengths = torch.tensor([1000, 650])
    raw, frames = AudioFeatures("raw", RATE, frame_length=200, hop_length=80, normalization="none")(waves, lengths)
    assert frames.tolist() == [1 + (1000 - 200) // 80, 1 + (650 - 200) // 80] == [11, 6]
    assert raw.shape == (2, 11, 200)
    torch.testing.assert_close(raw[0, 3], waves[0, 240:440])  # frame 3 is samples 3*hop .. 3*hop+200
    assert torch.count_nonzero(raw[1, 6:]) == 0
    mel, _ = features(normalization="none")(waves, lengths)
    mfcc, _ = features(kind="mfcc", n_mfcc=13, normalization="none")(waves, lengths)
    assert mel.shape == (2, 11, 20) and mfcc.shape == (2, 11, 13)


def test_utterance_normalisation_ignores_padding():
    module = features()
    waves = torch.randn(2, 1600)
    out, frames = module(waves, torch.tensor([1600, 900]))
    alone, _ = module(waves[1:, :900], torch.tensor([900]))
    torch.testing.assert_close(out[1, : frames[1]], alone[0], atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(out[0, : frames[0]].mean(0), torch.zeros(20), atol=1e-4, rtol=0)


def test_resampling_and_stereo_mixdown(tmp_path):
    path = write_wav(tmp_path / "a.wav", tone(1000.0, 0.5, 16000, channels=2), rate=16000)
    wave = load_audio(path, RATE)
    assert wave.shape == (4000,)
    spectrum = torch.fft.rfft(wave).abs()
    assert abs(int(spectrum.argmax()) * RATE / 4000 - 1000.0) <= 2.0  # the tone keeps its pitch


def make_folder_layout(root, rate_for=lambda i: RATE):
    for label, freq in (("up", 300.0), ("down", 900.0)):
        for i in range(4):
            write_wav(root / label / f"{label}_{i}_nohash_0.wav", tone(freq, 0.25, rate_for(i)), rate=rate_for(i))
    (root / "validation_list.txt").write_text("up/up_0_nohash_0.wav\ndown/down_0_nohash_0.wav\n", encoding="utf-8")
    (root / "testing_list.txt").write_text("up/up_1_nohash_0.wav\ndown/down_1_nohash_0.wav\n", encoding="utf-8")


def test_speech_commands_folder_layout_with_lists_and_mixed_rates(tmp_path):
    make_folder_layout(tmp_path, rate_for=lambda i: 16000 if i % 2 else RATE)
    (tmp_path / "_background_noise_").mkdir()
    write_wav(tmp_path / "_background_noise_" / "noise.wav")
    dm = AudioKeywordsDataModule(root=str(tmp_path), features=features(), batch_size=8)
    assert dm.label_names == ["down", "up"] and dm.num_classes == 2 and dm.feature_size == 20
    assert [len(dm.records[s]) for s in ("train", "val", "test")] == [4, 2, 2]
    assert {c.samples for c in dm.records["train"]} == {2000}  # 16 kHz files resampled to 8 kHz
    dm.setup("fit")
    batch = next(iter(dm.train_dataloader()))
    assert batch.inputs.shape == (4, 1 + (2000 - 200) // 80, 20)


def test_split_folders_and_manifest(tmp_path):
    for split in ("train", "val", "test"):
        for label in ("yes", "no"):
            write_wav(tmp_path / "data" / split / label / "0.wav")
            write_wav(tmp_path / "data" / split / label / "1.wav")
    dm = AudioKeywordsDataModule(root=str(tmp_path / "data"), features=features())
    assert [len(dm.records[s]) for s in ("train", "val", "test")] == [4, 4, 4]
    manifest = tmp_path / "m" / "train.csv"
    for i in range(4):
        write_wav(tmp_path / "m" / "clips" / f"{i}.wav")
    manifest.write_text(
        "path,transcript\n" + "".join(f"clips/{i}.wav,ab{'c' * i}\n" for i in range(4)), encoding="utf-8"
    )
    dm = AudioTranscriptionDataModule(train_manifest=str(manifest), val_manifest=str(manifest), features=features())
    assert dm.vocabulary[4:] == ["a", "b", "c"]
    dm.setup("fit")
    batch = next(iter(dm.val_dataloader()))
    assert type(batch) is TranscriptionBatch and sorted(batch.target_lengths.tolist()) == [2, 3, 4, 5]
    # the same manifest without its header line (LibriSpeech-style "path<TAB>transcript" lists), detected or stated
    bare = tmp_path / "m" / "bare.tsv"
    bare.write_text("".join(f"clips/{i}.wav\tab{'c' * i}\n" for i in range(4)), encoding="utf-8")
    for header in (None, False):
        dm = AudioTranscriptionDataModule(train_manifest=str(bare), val_manifest=str(bare), header=header,
                                          features=features())
        assert [c.target for c in dm.records["val"]] == ["ab", "abc", "abcc", "abccc"]


def test_manifest_paths_missing_or_escaping_are_refused(tmp_path):
    write_wav(tmp_path / "outside.wav")
    manifest = tmp_path / "m" / "train.jsonl"
    manifest.parent.mkdir()
    manifest.write_text('{"path": "../outside.wav", "label": "x"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"train.jsonl:1: path '../outside.wav' leads outside"):
        AudioKeywordsDataModule(train_manifest=str(manifest), features=features())
    manifest.write_text('{"path": "gone.wav", "label": "x"}\n', encoding="utf-8")
    with pytest.raises(FileNotFoundError, match=r"train.jsonl:1: audio file not found: .*gone.wav"):
        AudioKeywordsDataModule(train_manifest=str(manifest), features=features())


def test_bad_files_error_or_are_skipped_and_counted(tmp_path, caplog):
    make_folder_layout(tmp_path)
    (tmp_path / "up" / "broken.wav").write_bytes(b"RIFF....WAVEfmt garbage")
    soundfile.write(str(tmp_path / "down" / "empty.wav"), np.zeros(0, dtype=np.float32), RATE)
    with pytest.raises(ValueError, match=r"(cannot read audio|audio file has no samples).*(broken|empty).wav"):
        AudioKeywordsDataModule(root=str(tmp_path), features=features())
    with caplog.at_level(logging.WARNING):
        dm = AudioKeywordsDataModule(root=str(tmp_path), features=features(), on_bad_file="skip")
    assert len(dm.skipped) == 2 and len(dm.records["train"]) == 4
    assert "skipped 2 unreadable or empty audio files" in caplog.text


def test_clips_longer_than_max_seconds_are_reported(tmp_path):
    make_folder_layout(tmp_path)
    write_wav(tmp_path / "up" / "long.wav", tone(300.0, 2.0))
    with pytest.raises(ValueError, match=r"train: 1 clips longer than max_seconds=1.0: .*long.wav \(2.0 s\)"):
        AudioKeywordsDataModule(root=str(tmp_path), features=features(), max_seconds=1.0)
    dm = AudioKeywordsDataModule(root=str(tmp_path), features=features(), max_seconds=1.0, duration=0.5)
    dm.setup("fit")
    assert set(dm.dataset("train").lengths) == {1 + (4000 - 200) // 80}  # every clip padded/cropped to 0.5 s


def test_augmentation_only_in_training():
    dm = AudioKeywordsDataModule(
        features=features(time_masks=2, freq_masks=2), generated_size=30,
        augment=AudioAugment(time_shift=0.05, noise_snr_db=(5.0, 10.0)),
    )
    dm.setup("fit")
    train, val = dm.dataset("train"), dm.dataset("val")
    assert not torch.equal(train[0][0], train[0][0])  # drawn anew on every access
    # validation is what a separately built module without any augmentation gives, sample for sample
    plain = AudioKeywordsDataModule(features=features(), generated_size=30)
    plain.setup("fit")
    clean_train, clean_val = plain.dataset("train"), plain.dataset("val")
    for i in range(len(val)):
        torch.testing.assert_close(val[i][0], clean_val[i][0])
    assert not torch.allclose(train[0][0], clean_train[0][0])  # training clips do differ from the clean ones
    assert train.augment is not None and val.augment is None
    assert train.features.training and not val.features.training


def test_on_device_features_equal_loader_features():
    settings = dict(features=features(), generated_size=30, batch_size=4, bucketing=False)
    loader = AudioKeywordsDataModule(**settings)
    on_device = AudioKeywordsDataModule(**{**settings, "features": features()}, features_on_device=True)
    loader.setup("fit")
    on_device.setup("fit")
    module = AudioFeatures.from_config(on_device.input_features).eval()
    expected = next(iter(loader.val_dataloader()))
    waves = next(iter(on_device.val_dataloader()))
    computed, frames = module(waves.inputs, waves.lengths)
    torch.testing.assert_close(frames, expected.lengths)
    torch.testing.assert_close(computed, expected.inputs, atol=1e-4, rtol=1e-4)


def test_global_normalisation_statistics_travel_with_the_settings():
    dm = AudioKeywordsDataModule(features=features(normalization="global"), generated_size=30, features_on_device=True)
    mean = torch.tensor(dm.input_features["mean"])
    assert mean.shape == (20,) and torch.count_nonzero(mean) > 0
    rebuilt = AudioFeatures.from_config(dm.input_features)
    torch.testing.assert_close(rebuilt.mean, dm.features.mean)


def test_speech_commands_dataset_class_on_files_in_place(tmp_path):
    archive = tmp_path / "SpeechCommands" / "speech_commands_v0.02"
    make_folder_layout(archive)
    dm = AudioKeywordsDataModule(root=str(tmp_path), speech_commands=True, features=features())
    assert [len(dm.records[s]) for s in ("train", "val", "test")] == [4, 2, 2]
    assert dm.label_names == ["down", "up"]


def test_invalid_arguments():
    with pytest.raises(ValueError, match="on_bad_file must be 'error' or 'skip', got 'ignore'"):
        AudioKeywordsDataModule(on_bad_file="ignore")
    with pytest.raises(ValueError, match="speech_commands needs root"):
        AudioKeywordsDataModule(speech_commands=True)
    with pytest.raises(ValueError, match=r"noise_snr_db must be \(low, high\) with low <= high, got \(20.0, 10.0\)"):
        AudioAugment(noise_snr_db=(20.0, 10.0))
    with pytest.raises(ValueError, match="n_mfcc \\(30\\) cannot exceed n_mels \\(20\\)"):
        AudioFeatures("mfcc", n_mels=20, n_mfcc=30)


@pytest.mark.parametrize("normalization", ["utterance", "global", "none"])
def test_cached_features_equal_features_computed_per_access(tmp_path, normalization):
    # noisy tones (a steady pure tone has a near-zero spread per mel band, which utterance normalisation would
    # blow up from float rounding); clips of different lengths share a precompute batch
    rng = np.random.default_rng(0)
    for label, freq in (("up", 300.0), ("down", 900.0)):
        for i, seconds in enumerate((0.1, 0.25, 0.3, 0.45, 0.25, 0.2)):
            wave = tone(freq + 20 * i, seconds) + 0.1 * rng.standard_normal(int(seconds * RATE)).astype(np.float32)
            write_wav(tmp_path / label / f"{label}_{i}_nohash_0.wav", wave)
    (tmp_path / "validation_list.txt").write_text("up/up_0_nohash_0.wav\ndown/down_1_nohash_0.wav\n")
    (tmp_path / "testing_list.txt").write_text("up/up_2_nohash_0.wav\ndown/down_3_nohash_0.wav\n")
    settings = dict(root=str(tmp_path), batch_size=4)
    cached = AudioKeywordsDataModule(**settings, features=features(normalization=normalization))
    fresh = AudioKeywordsDataModule(**settings, features=features(normalization=normalization), cache_features=False)
    for dm in (cached, fresh):
        dm.setup("fit")
        dm.setup("test")
    for split in ("train", "val", "test"):
        held, computed = cached.dataset(split), fresh.dataset(split)
        assert held.cached is not None and computed.cached is None
        assert len({held[i][0].size(0) for i in range(len(held))}) > 1 or split != "train"
        for i in range(len(held)):
            torch.testing.assert_close(held[i][0], computed[i][0], atol=1e-5, rtol=1e-5)
            assert held[i][1:] == computed[i][1:]


def test_augmented_training_clips_are_not_cached_and_spec_augment_is_drawn_per_access():
    augmented = AudioKeywordsDataModule(features=features(), generated_size=30, augment=AudioAugment(time_shift=0.05))
    augmented.setup("fit")
    assert augmented.dataset("train").cached is None and augmented.dataset("val").cached is not None
    spec_augment = features(time_masks=2, time_mask_width=4, freq_masks=2)
    masked = AudioKeywordsDataModule(features=spec_augment, generated_size=30)
    masked.setup("fit")
    train = masked.dataset("train")
    assert train.cached is not None
    first, second = train[0][0], train[0][0]
    assert not torch.equal(first, second)  # SpecAugment drawn anew on the cached features
    assert torch.equal(train.cached[0], train.cached[0].clone()) and not torch.equal(first, train.cached[0])
    with pytest.raises(ValueError, match="without waveform augmentation"):
        augmented.dataset("train").precompute()


def test_background_class_cuts_speech_commands_noise_and_keeps_only_the_keywords(tmp_path):
    make_folder_layout(tmp_path)
    write_wav(tmp_path / "left" / "left_0_nohash_0.wav", tone(600.0))
    noise = np.random.default_rng(0).normal(0.0, 0.1, 12 * 16000).astype(np.float32)  # 12 s at 16 kHz
    write_wav(tmp_path / "_background_noise_" / "running_tap.wav", noise, rate=16000)
    dm = AudioKeywordsDataModule(root=str(tmp_path), features=features(), background_class=True,
                                 keywords=["up", "down"], batch_size=8)
    assert dm.label_names == ["_background_", "down", "up"]
    by_split = {s: [c.target for c in dm.records[s]] for s in ("train", "val", "test")}
    # twelve 1 s pieces: 8 and 9 of each ten go to val and test; "left" is no keyword, so background too
    assert by_split["train"].count("_background_") == 10 + 1 and by_split["train"].count("up") == 2
    assert by_split["val"].count("_background_") == 1 and by_split["test"].count("_background_") == 1
    piece = next(c for c in dm.records["val"] if c.target == "_background_")
    assert piece.samples == RATE and piece.where.endswith("running_tap.wav at 8 s")
    expected = load_audio(tmp_path / "_background_noise_" / "running_tap.wav", RATE)[8 * RATE : 9 * RATE]
    torch.testing.assert_close(piece.source, expected)
    # a _background_ folder of the user's own is a class like any other, with or without background_class
    write_wav(tmp_path / "_background_" / "hum.wav", tone(50.0))
    plain = AudioKeywordsDataModule(root=str(tmp_path), features=features())
    assert plain.label_names == ["_background_", "down", "left", "up"]


def test_keyword_settings_are_checked(tmp_path):
    with pytest.raises(ValueError, match="keywords needs background_class"):
        AudioKeywordsDataModule(keywords=["ai"], generated_size=20)
    with pytest.raises(ValueError, match=r"keywords must name at least one label other than '_background_'"):
        AudioKeywordsDataModule(keywords=[], background_class=True, generated_size=20)
    make_folder_layout(tmp_path)
    with pytest.raises(ValueError, match=r"keywords \['yes'\] are not labels of the data; its labels: \['down', "):
        AudioKeywordsDataModule(root=str(tmp_path), features=features(), background_class=True, keywords=["yes"])


@pytest.mark.parametrize("module", [AudioKeywordsDataModule, AudioTranscriptionDataModule])
def test_a_txt_list_of_audio_paths_is_predicted_in_order(tmp_path, module):
    write_wav(tmp_path / "clips" / "a.wav")
    write_wav(tmp_path / "clips" / "b.wav", tone(seconds=0.5))
    listed = tmp_path / "clips.txt"
    listed.write_text("clips/b.wav\nclips/a.wav\n", encoding="utf-8")
    dm = module(generated_size=60, features=features(), predict_manifest=str(listed))
    dm.setup("predict")
    assert dm.prediction_ids() == [str(tmp_path / "clips" / "b.wav"), str(tmp_path / "clips" / "a.wav")]
    lengths = [len(dm.dataset("predict")[i][0]) for i in range(2)]
    assert lengths == [1 + (4000 - 200) // 80, 1 + (2000 - 200) // 80]  # 0.5 s and 0.25 s of 80-sample hops
    listed.write_text("clips/b.wav\nclips/missing.wav\n", encoding="utf-8")
    with pytest.raises(FileNotFoundError, match=rf"{listed}:2: audio file not found: "):
        module(generated_size=60, features=features(), predict_manifest=str(listed)).setup("predict")
