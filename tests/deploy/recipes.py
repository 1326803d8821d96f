"""Recipes fitted briefly for the predictor tests, and what ``lightning-seq predict`` writes for them."""

import csv
import json
import shutil
from pathlib import Path
from typing import Any

from lightning_seq.cli import run

ROOT = Path(__file__).resolve().parents[2]
QUIET = ["--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]
SENTIMENT_DATA = ["--data.init_args.generated_size=300"]
"""The embedded data of the shared sentiment checkpoint (``lightning-seq predict`` must build the same vocabulary)."""


def fit(name: str, *args: str) -> Path:
    """Fit a recipe for one epoch in the current folder; its best checkpoint moved alone into an empty folder."""
    run(["fit", "--config", str(ROOT / "recipes" / f"{name}.yaml"), "--trainer.max_epochs=1", *args, *QUIET])
    alone = Path("alone") / name
    alone.mkdir(parents=True)
    moved = alone / "model.ckpt"
    shutil.move(f"runs/{name}/checkpoints/best.ckpt", moved)
    shutil.rmtree("runs")  # no vocab.txt, no config, no training files left beside it
    return moved.resolve()


def cli_rows(name: str, ckpt: Path, inputs: Path | None, *args: str) -> list[dict]:
    """``lightning-seq predict`` of the recipe on ``inputs`` (None: its test split): the rows it wrote."""
    return cli_predict(name, ckpt, inputs, *args)[0]


def cli_predict(name: str, ckpt: Path, inputs: Path | None, *args: str) -> tuple[list[dict], Any]:
    """``cli_rows`` and the data module that read the inputs (its ``split_records("predict")``)."""
    given = [] if inputs is None else [f"--data.init_args.predict_path={inputs}"]
    cli = run(["predict", "--config", str(ROOT / "recipes" / f"{name}.yaml"), "--ckpt_path", str(ckpt), *given, *args,
               *QUIET])
    written = next(Path(f"runs/{name}").glob("predictions.*"))
    if written.suffix == ".jsonl":
        return [json.loads(line) for line in written.read_text(encoding="utf-8").splitlines()], cli.datamodule
    with written.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:  # the CSV's flattened columns back to the JSONL form
        row["probabilities"] = {k.split(".", 1)[1]: float(row.pop(k)) for k in list(row) if k.startswith("prob")}
    return rows, cli.datamodule
