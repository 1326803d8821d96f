"""``lightning-seq prepare`` and training from its shards through the CLI: the samples read back are the recipe's,
a run resumed mid-epoch equals an uninterrupted one, two DDP ranks share the data, and bad requests are refused."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from lightning_seq.cli import main, run
from lightning_seq.data import SentimentDataModule
from lightning_seq.data.shards import read_index, read_lengths, read_stream

ROOT = Path(__file__).resolve().parents[1]
RECIPE = str(ROOT / "recipes" / "sentiment_bilstm.yaml")
QUIET = ["--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]
SHARDED = ["--data=lightning_seq.data.ShardedDataModule"]


def prepare(folder: Path, *extra: str) -> None:
    main(["prepare", "--config", RECIPE, "--data.init_args.generated_size=200", "--output", str(folder),
          "--rows_per_shard", "45", "--row_group_rows", "16", *extra])


def test_prepared_shards_hold_the_recipes_samples_and_vocabulary(tmp_path, capsys):
    prepare(tmp_path / "shards")
    assert "train: 200 samples in 5 shard(s)" in capsys.readouterr().out
    index = read_index(tmp_path / "shards")
    assert index["data_module"] == "lightning_seq.data.modules.sentiment.SentimentDataModule"
    data = SentimentDataModule(generated_size=200)
    data.setup("fit")
    data.setup("test")
    for split in ("train", "val", "test"):
        entry = index["splits"][split]
        expected = data.datasets[split]
        assert read_lengths(tmp_path / "shards", split, entry["rows"]).tolist() == list(expected.lengths)
        groups = read_stream(tmp_path / "shards", entry["shards"], entry["fields"], range(len(entry["shards"])), 0,
                             entry["rows"])
        rows = [(first + k, sample) for first, group in groups for k, sample in enumerate(group)]
        assert [r for r, _ in rows] == list(range(len(expected)))
        for row, sample in rows:
            inputs, target, position = expected[row]
            assert torch.equal(sample[0], inputs) and sample[1:] == (target, position)
    module = torch.load(tmp_path / "shards/module.pt", weights_only=True)
    assert module["names"]["vocabulary"] == data.vocabulary and module["linked"]["num_classes"] == 3


def test_fit_from_shards_resumes_mid_epoch_like_an_uninterrupted_run_and_serves(tmp_path, monkeypatch):
    prepare(tmp_path / "shards")
    common = ["--config", RECIPE, *SHARDED, f"--data.path={tmp_path / 'shards'}", "--data.batch_size=16",
              "--data.buffer_size=64", "--trainer.val_check_interval=5", *QUIET]
    for name in ("straight", "resumed"):
        (tmp_path / name).mkdir()
    monkeypatch.chdir(tmp_path / "straight")
    straight = run(["fit", *common, "--trainer.max_epochs=2"])
    assert straight.trainer.num_training_batches == 13  # 200 samples: buffers of 64 give 4 batches of 16, then 8
    monkeypatch.chdir(tmp_path / "resumed")
    run(["fit", *common, "--trainer.max_steps=10"])
    last = tmp_path / "resumed/runs/sentiment_bilstm/checkpoints/last.ckpt"
    assert torch.load(last, weights_only=True)["global_step"] == 10  # a mid-epoch checkpoint
    resumed = run(["fit", *common, "--trainer.max_epochs=2", "--ckpt_path", str(last)])
    assert resumed.trainer.global_step == straight.trainer.global_step
    for name, value in straight.model.state_dict().items():
        torch.testing.assert_close(resumed.model.state_dict()[name], value, rtol=0, atol=1e-6, msg=name)

    from lightning_seq.deploy import Predictor  # the checkpoint carries the recipe's preprocessing

    predictor = Predictor.from_checkpoint(tmp_path / "straight/runs/sentiment_bilstm/checkpoints/last.ckpt")
    answers = predictor.predict(["the service is good :-)", "awful, never again"])
    assert [a.label in ("negative", "neutral", "positive") for a in answers] == [True, True]


def test_a_subword_model_trained_from_shards_tests_and_predicts_with_the_recipes_own_module(tmp_path, monkeypatch):
    """The checkpoint keeps the tokenizer under the shards' module; the recipe's module must take it from there (it
    writes it next to the checkpoint, as for any checkpoint), not train one of its own on whatever corpus it is
    given."""
    subword = ["--data.init_args.tokenizer=lightning_seq.data.SentencePieceTokenizer",
               "--data.init_args.tokenizer.vocab_size=150"]
    prepare(tmp_path / "shards", *subword)
    monkeypatch.chdir(tmp_path)
    run(["fit", "--config", RECIPE, *SHARDED, f"--data.path={tmp_path / 'shards'}", "--data.batch_size=16",
         "--trainer.max_epochs=1", *QUIET])
    ckpt = tmp_path / "runs/sentiment_bilstm/checkpoints/last.ckpt"
    shards_model = torch.load(tmp_path / "shards/module.pt", weights_only=True)["state"]["tokenizers"]["tokenizer"]
    texts = ["the service is good :-)", "awful and never again", "is the new phone any good ?"]
    (tmp_path / "texts.csv").write_text("text\n" + "\n".join(texts) + "\n", encoding="utf-8")
    own = ["--config", RECIPE, *subword, "--data.init_args.generated_size=200", *QUIET]
    run(["test", *own, "--ckpt_path", str(ckpt)])
    run(["predict", *own, "--data.init_args.predict_path=texts.csv", "--ckpt_path", str(ckpt)])
    assert (tmp_path / "runs/sentiment_bilstm/checkpoints/last.tokenizer.model").read_bytes() == shards_model
    with open(tmp_path / "runs/sentiment_bilstm/predictions.csv", encoding="utf-8") as handle:
        labels = [row["label"] for row in csv.DictReader(handle)]
    from lightning_seq.deploy import Predictor  # reads the preprocessing entry: the shards' own tokenizer

    assert labels == [answer.label for answer in Predictor.from_checkpoint(ckpt).predict(texts)]


def test_two_ddp_ranks_train_from_shards_with_equal_batches(tmp_path):
    """200 training samples in two parts of 100, each cut into batches of 8 through buffers of 40 (5 + 5 + 3) and
    equalised; a rank with fewer batches would hang DDP, so finishing at all is half the test; the step count is
    the other."""
    prepare(tmp_path / "shards")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "lightning_seq", "fit", "--config", RECIPE, *SHARDED,
               f"--data.path={tmp_path / 'shards'}", "--data.batch_size=8", "--data.buffer_size=40",
               "--trainer.max_epochs=1", "--trainer.accelerator=cpu", "--trainer.devices=2", "--trainer.strategy=ddp",
               *QUIET]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    saved = torch.load(tmp_path / "runs/sentiment_bilstm/checkpoints/last.ckpt", weights_only=True)
    assert saved["global_step"] == 13  # the same on both ranks


def test_prepare_and_shard_training_refuse_what_they_cannot_do(tmp_path, capsys):
    prepare(tmp_path / "shards")
    with pytest.raises(SystemExit):
        prepare(tmp_path / "shards")
    assert "shards is not empty: give an empty folder or --overwrite" in capsys.readouterr().err
    prepare(tmp_path / "shards", "--overwrite")
    with pytest.raises(SystemExit):
        main(["prepare", "--config", str(ROOT / "recipes/charlm_lstm.yaml"), "--output", str(tmp_path / "lm")])
    assert "TextCorpusDataModule keeps no train samples (a token stream read in windows" in capsys.readouterr().err
    assert not (tmp_path / "lm").exists()
    with pytest.raises(SystemExit):
        main(["fit", "--config", RECIPE, *SHARDED, f"--data.path={tmp_path}", "--trainer.max_epochs=1", *QUIET])
    assert "index.json not found: --data.init_args.path must be a folder written by" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["predict", "--config", RECIPE, *SHARDED, f"--data.path={tmp_path / 'shards'}", *QUIET])
    assert "prediction reads files, not shards" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("recipe", "extra", "message"),
    [
        ("rowscan_digits_lstm", [], "draws a random augmentation for every sample it returns; shards would freeze one "
                                    "draw: prepare with --data.init_args.augment=null"),
        ("audio_keywords_gru", ["--data.init_args.augment=null"],
         "computes features on the device after batching; prepare with --data.init_args.features_on_device=false"),
    ],
    ids=["augmentation", "features_on_device"],
)
def test_prepare_refuses_samples_it_would_freeze_or_miss(tmp_path, capsys, recipe, extra, message):
    with pytest.raises(SystemExit):
        main(["prepare", "--config", str(ROOT / "recipes" / f"{recipe}.yaml"), "--data.init_args.generated_size=40",
              *extra, "--output", str(tmp_path / "shards")])
    assert message in capsys.readouterr().err
    assert not (tmp_path / "shards").exists()


def test_prepare_reads_a_users_csv_with_the_recipes_readers_and_errors(tmp_path, capsys):
    lines = ["text,label"] + [f"{'good' if i % 2 else 'bad'} service number {i},{'pos' if i % 2 else 'neg'}"
                              for i in range(60)]
    (tmp_path / "train.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "test.csv").write_text("\n".join(lines[:11]) + "\n", encoding="utf-8")
    csv = ["--data.init_args.train_path", str(tmp_path / "train.csv"), "--data.init_args.test_path",
           str(tmp_path / "test.csv")]
    main(["prepare", "--config", RECIPE, *csv, "--output", str(tmp_path / "shards")])
    index = read_index(tmp_path / "shards")
    assert sum(entry["rows"] for entry in index["splits"].values() if entry is not index["splits"]["test"]) == 60
    assert index["splits"]["test"]["rows"] == 10
    assert torch.load(tmp_path / "shards/module.pt", weights_only=True)["names"]["label_names"] == ["neg", "pos"]
    lines[5] = " ,pos"  # an empty text on line 6 of the file
    (tmp_path / "train.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SystemExit):
        main(["prepare", "--config", RECIPE, *csv, "--output", str(tmp_path / "again")])
    assert "train.csv:6" in capsys.readouterr().err
