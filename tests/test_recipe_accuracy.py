"""The main job as README states it: the full recipe reaches the accuracy README reports (about 30 s here)."""

from pathlib import Path

from lightning_seq.cli import run

ROOT = Path(__file__).resolve().parents[1]


def test_sentiment_bilstm_recipe_reaches_readme_accuracy(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    recipe = str(ROOT / "recipes/sentiment_bilstm.yaml")
    quiet = ["--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]
    run(["fit", "--config", recipe, *quiet])
    tested = run(["test", "--config", recipe, "--ckpt_path", "runs/sentiment_bilstm/checkpoints/best.ckpt", *quiet])
    assert float(tested.trainer.callback_metrics["test/acc"]) >= 0.99
    assert float(tested.trainer.callback_metrics["test/f1"]) >= 0.99
