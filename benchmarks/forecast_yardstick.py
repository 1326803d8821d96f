"""Forecasting recipes beside their baselines on the same chronological test split, in original units.

Baselines: persistence (the last reading held), seasonal naive (the reading one season earlier) and ridge regression
on the recurrent model's own inputs (the flattened context and the known inputs of the forecast steps), its L2
strength chosen on validation. Then each recipe is fitted (early stopping on val/mase) and tested from its best
checkpoint, one after another in this process, on the same data and seed. Prints one JSON line (and README's table
with ``--markdown``):

    python benchmarks/forecast_yardstick.py --json benchmarks/results/forecast_yardstick.json --markdown
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from lightning_seq.baselines.forecast import RidgeForecast, persistence, seasonal_naive
from lightning_seq.cli import run
from lightning_seq.data.modules.time_series import TimeSeriesDataModule
from lightning_seq.tasks.forecast_metrics import ForecastErrors

ROOT = Path(__file__).resolve().parents[1]
RECIPES = ("forecast_weather_lstm.yaml", "forecast_weather_gru.yaml")
QUIET = ["--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]
DATA = {"target_columns": ["temperature"], "missing": "mask", "context_length": 72, "horizon": 24, "stride": 4,
        "eval_stride": 5}
"""The recipes' data settings (checked against the recipes by the test of this script)."""


def score(forecast: np.ndarray, target: np.ndarray, observed: np.ndarray, naive: np.ndarray) -> dict[str, float]:
    """MAE, RMSE, MASE and sMAPE of ``(N, H, K)`` forecasts, as the forecaster logs them."""
    errors = ForecastErrors()
    errors.update(*(torch.as_tensor(a) for a in (forecast, target, observed, naive)))
    return {name: round(float(value), 4) for name, value in errors.compute().items()}


def arrays(data: TimeSeriesDataModule, split: str) -> dict[str, np.ndarray]:
    """A split's windows as arrays: the model's inputs flattened, normalised and original targets, and the rest."""
    data.setup("fit" if split in ("train", "val") else "test")
    windows = data.dataset(split)
    samples = [windows[i] for i in range(len(windows))]
    context = np.stack([s[0].numpy() for s in samples])  # (N, L, C): the splits' windows all hold L steps
    future = np.stack([s[1].numpy() for s in samples])  # (N, H, F)
    loc, scale = (np.stack([s[k].numpy() for s in samples])[:, None] for k in (4, 5))  # (N, 1, K)
    normal = np.stack([s[2].numpy() for s in samples])  # (N, H, K)
    return {
        "x": np.concatenate([context.reshape(len(samples), -1), future.reshape(len(samples), -1)], axis=1),
        "normal": normal.reshape(len(samples), -1),
        "target": loc + scale * normal,
        "observed": np.stack([s[3].numpy() for s in samples]),
        "naive": np.stack([s[6].numpy() for s in samples]),
        "loc": loc,
        "scale": scale,
    }


def baselines(data: TimeSeriesDataModule) -> dict[str, dict[str, float]]:
    """Persistence, seasonal naive and ridge on lags, scored on the test split."""
    test = arrays(data, "test")
    k = data.num_targets
    naive_forecasts = {"persistence": [], "seasonal_naive": []}
    for window in data.records["test"]:
        series = data.regular[window.series]
        values, observed = series.values[:, :k], series.observed[:, :k]
        # only the context's readings: the naive forecasts see no more than the models do
        seen = observed.copy()
        seen[: window.start] = False
        naive_forecasts["persistence"].append(persistence(values, seen, window.end, data.horizon))
        naive_forecasts["seasonal_naive"].append(
            seasonal_naive(values, seen, window.end, data.horizon, data.season_length))
    result = {name: score(np.stack(f), test["target"], test["observed"], test["naive"])
              for name, f in naive_forecasts.items()}
    train, val = arrays(data, "train"), arrays(data, "val")
    ridge = RidgeForecast().fit_select(train["x"], train["normal"], val["x"], val["normal"],
                                       val["observed"].reshape(len(val["x"]), -1).astype(float))
    forecast = test["loc"] + test["scale"] * ridge.predict(test["x"]).reshape(test["target"].shape)
    result["ridge_lags"] = {**score(forecast, test["target"], test["observed"], test["naive"]), "alpha": ridge.alpha}
    return result


def fit_and_run(recipe: Path, extra: list[str]) -> tuple[dict[str, float], int, float]:
    """Fit ``recipe`` in a fresh folder and test its best checkpoint: the test metrics, kept epochs, fit seconds."""
    here = Path.cwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        try:
            start = time.perf_counter()
            fitted = run(["fit", "--config", str(recipe), *extra, *QUIET])
            seconds = time.perf_counter() - start
            best = fitted.trainer.checkpoint_callback.best_model_path
            tested = run(["test", "--config", str(recipe), *extra, *QUIET, "--ckpt_path", best])
        finally:
            os.chdir(here)
    metrics = {name: float(value) for name, value in tested.trainer.callback_metrics.items()}
    return metrics, fitted.trainer.current_epoch, round(seconds, 1)


def fit_and_test(recipe: Path, extra: list[str]) -> dict[str, float]:
    """A forecasting recipe's test MAE, RMSE, MASE and sMAPE, kept epochs and fit seconds."""
    metrics, epochs, seconds = fit_and_run(recipe, extra)
    scores = {name: round(metrics[f"test/{name}"], 4) for name in ("mae", "rmse", "mase", "smape")}
    return {**scores, "epochs": epochs, "fit_seconds": seconds}


def markdown(result: dict) -> str:
    """README's table: test MAE, RMSE (°C), MASE and sMAPE of every baseline and recipe, the best MAE in bold."""
    rows = {**result["baselines"], **{f"`{name}`": v for name, v in result["recipes"].items()}}
    best = min(v["mae"] for v in rows.values())
    lines = ["| forecaster | test MAE | RMSE | MASE | sMAPE % | epochs | fit s |", "|---|---|---|---|---|---|---|"]
    for name, v in rows.items():
        mae = f"**{v['mae']:.3f}**" if v["mae"] == best else f"{v['mae']:.3f}"
        lines.append(f"| {name} | {mae} | {v['rmse']:.3f} | {v['mase']:.3f} | {v['smape']:.2f} | "
                     f"{v.get('epochs', '')} | {v.get('fit_seconds', '')} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=730, help="days of embedded weather (the recipes' 730)")
    parser.add_argument("--recipes", nargs="*", default=list(RECIPES), help="recipes to fit (none: baselines only)")
    parser.add_argument("--max_epochs", type=int, default=None)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    data = TimeSeriesDataModule(**DATA, generated_size=args.days)
    result = {
        "sizes": {split: len(data.records[split]) for split in ("train", "val", "test")},
        "baselines": baselines(data),
        "recipes": {},
    }
    extra = [f"--data.init_args.generated_size={args.days}"]
    if args.max_epochs is not None:
        extra.append(f"--trainer.max_epochs={args.max_epochs}")
    for recipe in args.recipes:
        result["recipes"][Path(recipe).stem] = fit_and_test(ROOT / "recipes" / recipe, extra)
    line = json.dumps(result)
    print(line)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.markdown:
        print(markdown(result))


if __name__ == "__main__":
    main()
