"""Every recipe under two-process DDP (gloo, CPU), run as CLI subprocesses (those that repeat a data module and task
pair under ``-m slow``): DDP re-launches its own command, so
it cannot run inside pytest. Predictions hold each input once, in input order; at the same global batch, DDP
training matches one process."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from lightning_seq.cli import run

ROOT = Path(__file__).resolve().parents[1]
# One recipe of each data module and task pair runs in every test run; a recipe that repeats a pair (another
# corpus, size or front-end over the same data module and task) runs under `-m slow` (the suite's 20-minute budget),
# and so does ts_classify_lstm: the classifier over the base class's own loaders, which the digits recipe runs.
REPEATS = {"short_text_bilstm", "short_text_lm", "charlm_package_texts", "audio_keywords_stream_gru",
           "audio_ctc_bilstm", "image_to_text_lstm", "forecast_weather_gru", "ts_classify_lstm"}
RECIPES = [
    pytest.param(recipe, marks=[pytest.mark.slow] if recipe.stem in REPEATS else [])
    for recipe in sorted((ROOT / "recipes").glob("*.yaml"))
]
QUIET = ["--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]
DDP = ["--trainer.accelerator=cpu", "--trainer.devices=2", "--trainer.strategy=ddp"]


def cli(cwd, *args):
    """The CLI in a subprocess (one thread per process: two processes share the two cores)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "lightning_seq", *args, *QUIET]
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]


def rows(path):
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def predictions_path(recipe):
    config = yaml.safe_load(recipe.read_text(encoding="utf-8"))
    writer = next(c for c in config["trainer"]["callbacks"] if c["class_path"].endswith("PredictionWriter"))
    return Path(writer["init_args"]["output_path"])


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.stem)
def test_every_recipe_fits_and_predicts_under_ddp_with_each_input_once_in_order(tmp_path, monkeypatch, recipe):
    # 70 samples: test splits of 7, so the distributed sampler repeats one input and the writer must drop it
    data = ["--data.init_args.generated_size=70", "--data.init_args.batch_size=8"]
    limits = ["--trainer.max_epochs=1", "--trainer.limit_train_batches=2", "--trainer.limit_val_batches=2"]
    cli(tmp_path, "fit", "--config", str(recipe), *DDP, *data, *limits)
    checkpoint = tmp_path / "runs" / recipe.stem / "checkpoints" / "last.ckpt"
    assert checkpoint.is_file()
    cli(tmp_path, "predict", "--config", str(recipe), *DDP, *data, "--ckpt_path", str(checkpoint))
    distributed = rows(tmp_path / predictions_path(recipe))
    monkeypatch.chdir(tmp_path)  # the same prediction in one process, for the reference order and inputs
    (tmp_path / predictions_path(recipe)).unlink()
    run(["predict", "--config", str(recipe), *data, "--ckpt_path", str(checkpoint), "--trainer.accelerator=cpu",
         "--trainer.devices=1", *QUIET])
    single = rows(tmp_path / predictions_path(recipe))
    assert [int(r["index"]) for r in distributed] == list(range(len(single))) == [int(r["index"]) for r in single]
    assert [r.get("input") for r in distributed] == [r.get("input") for r in single]


def metrics(folder):
    with (folder / "metrics.csv").open(newline="", encoding="utf-8") as handle:
        return [r for r in csv.DictReader(handle) if r.get("val/loss")]


EQUIVALENCE = {
    # recipe, overrides that remove per-rank randomness (dropout, augmentation), the metric rows to compare
    "classifier": ("sentiment_bilstm", ["--model.init_args.head_dropout=0", "--model.init_args.embedding_dropout=0",
                                        "--model.init_args.encoder.init_args.dropout=0"]),
    # class weights: the loss is a mean over the targets' weights, not over rows
    "weighted_classifier": ("sentiment_bilstm", ["--model.init_args.head_dropout=0",
                                                 "--model.init_args.embedding_dropout=0",
                                                 "--model.init_args.encoder.init_args.dropout=0",
                                                 "--model.init_args.class_weights=[0.2,1.0,3.0]"]),
    # a mean over target tokens, whose count differs between the ranks' rows
    "seq2seq": ("seq2seq_attention", ["--model.init_args.decoder.init_args.dropout=0"]),
    # CTC: a mean over sequences of per-sequence losses divided by their target lengths
    "ctc": ("audio_ctc_bilstm", ["--model.init_args.input_dropout=0", "--model.init_args.encoder.init_args.dropout=0",
                                 "--data.init_args.augment=null"]),
}


STEPS_PER_EPOCH = {"classifier": 7, "weighted_classifier": 7, "seq2seq": 7, "ctc": 7}


@pytest.mark.parametrize("kind", sorted(EQUIVALENCE))
def test_ddp_at_the_same_global_batch_matches_one_process(tmp_path, kind):
    """200 samples (not a multiple of the global batch 32: 7 steps of 28-29 samples, so the two ranks hold 14 and
    15 of each), global batch 32: one process with batches of 32 and two with 16 each see the same samples in every
    step (the sampler cuts global batches first and splits each across ranks), so without dropout the final
    weights and metrics agree up to float summation order, for every kind of loss denominator."""
    stem, overrides = EQUIVALENCE[kind]
    recipe = str(ROOT / "recipes" / f"{stem}.yaml")
    common = ["--data.init_args.generated_size=200", "--trainer.max_epochs=2", "--trainer.log_every_n_steps=1",
              *overrides]
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    cli(tmp_path / "one", "fit", "--config", recipe, *common, "--data.init_args.batch_size=32",
        "--trainer.accelerator=cpu", "--trainer.devices=1")
    cli(tmp_path / "two", "fit", "--config", recipe, *common, *DDP, "--data.init_args.batch_size=16")
    run_dirs = [tmp_path / name / "runs" / stem for name in ("one", "two")]
    weights = [torch.load(d / "checkpoints/last.ckpt", weights_only=True) for d in run_dirs]
    assert weights[0]["global_step"] == weights[1]["global_step"]
    assert weights[0]["global_step"] == 2 * STEPS_PER_EPOCH[kind]
    assert weights[0]["state_dict"].keys() == weights[1]["state_dict"].keys()
    for name, value in weights[0]["state_dict"].items():
        torch.testing.assert_close(weights[1]["state_dict"][name], value, rtol=0, atol=1e-5, msg=name)
    one, two = (metrics(d / "version_0") for d in run_dirs)
    assert len(one) == len(two) == 2
    for a, b in zip(one, two, strict=True):
        assert a["step"] == b["step"]  # the same number of optimizer steps per epoch
        for key in (k for k in a if k.startswith("val/") and a[k]):
            assert float(a[key]) == pytest.approx(float(b[key]), abs=1e-4), key
    train_one, train_two = (
        [float(r["train/loss_epoch"]) for r in csv.DictReader((d / "version_0/metrics.csv").open())
         if r.get("train/loss_epoch")]
        for d in run_dirs
    )
    assert train_one == pytest.approx(train_two, abs=1e-5)
