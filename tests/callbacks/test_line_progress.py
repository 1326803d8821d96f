import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from lightning_seq.callbacks import LineProgress
from lightning_seq.cli import run

ROOT = Path(__file__).resolve().parents[2]
RECIPE = str(ROOT / "recipes" / "sentiment_bilstm.yaml")
SMALL = ["--data.init_args.generated_size=200", "--trainer.enable_model_summary=false"]
EPOCH_LINE = re.compile(
    r"^epoch (\d+)/3: val/loss [\d.]+, val/acc [\d.]+, val/f1 [\d.]+, train/loss_epoch [\d.]+ \([\d.]+ s\)$"
)


def test_redirected_output_gets_one_line_per_epoch(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "lightning_seq", "fit", "--config", RECIPE, "--trainer.max_epochs=3", *SMALL]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    epochs = [int(m.group(1)) for line in done.stdout.splitlines() if (m := EPOCH_LINE.match(line))]
    assert epochs == [1, 2, 3]
    assert "\r" not in done.stdout + done.stderr and "it/s" not in done.stderr  # no redrawn bar
    assert len(done.stdout) + len(done.stderr) < 4000


def test_every_n_steps_and_a_configured_bar_is_kept(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    callbacks = "--trainer.callbacks+=lightning_seq.callbacks.LineProgress"
    run(["fit", "--config", RECIPE, "--trainer.max_epochs=1", *SMALL, callbacks,
         "--trainer.callbacks.every_n_steps=2", "--trainer.logger=false"])
    out = capsys.readouterr().out
    steps = re.findall(r"^epoch 1/1 step (\d+)/4: ", out, flags=re.MULTILINE)
    assert steps == ["2", "4"] and len(re.findall(r"^epoch 1/1: ", out, flags=re.MULTILINE)) == 1
    cli = run(["fit", "--config", RECIPE, "--trainer.max_epochs=1", *SMALL, "--trainer.enable_progress_bar=false",
               "--trainer.logger=false"])
    assert not any(isinstance(c, LineProgress) for c in cli.trainer.callbacks)
    with pytest.raises(ValueError, match="every_n_steps must be >= 1 or None, got 0"):
        LineProgress(every_n_steps=0)


def test_tensorboard_and_csv_share_one_folder_with_scalars_and_pictures(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    quiet = [*SMALL, "--trainer.enable_progress_bar=false"]
    run(["fit", "--config", RECIPE, "--trainer.max_epochs=2", *quiet])
    run(["test", "--config", RECIPE, "--ckpt_path", "runs/sentiment_bilstm/checkpoints/last.ckpt", *quiet])
    folders = sorted(p.name for p in (tmp_path / "runs/sentiment_bilstm").glob("version_*"))
    assert folders == ["version_0", "version_1"]  # fit, then test: each run one folder for both loggers
    fit, test = (tmp_path / "runs/sentiment_bilstm" / name for name in folders)
    assert (fit / "metrics.csv").is_file() and len(list(fit.glob("events.out.tfevents.*"))) == 1
    events = EventAccumulator(str(fit)).Reload()
    assert {"val/acc", "val/loss", "train/loss_epoch"} <= set(events.Tags()["scalars"])
    assert [len(events.Scalars("val/acc"))] == [2]
    assert events.Tags()["images"] == ["learning_curves"]
    image = events.Images("learning_curves")[0]
    assert image.encoded_image_string.startswith(b"\x89PNG") and image.width > 100
    tested = EventAccumulator(str(test)).Reload()
    assert tested.Tags()["images"] == ["confusion_matrix"] and "test/acc" in tested.Tags()["scalars"]
    assert (test / "confusion_matrix.png").is_file() and (test / "metrics.csv").is_file()
