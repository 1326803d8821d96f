"""Time-series classification: the recipe beside the random-kernel ridge classifier, on the same split.

The baseline (``lightning_seq.baselines.RandomKernelClassifier``: random dilated kernels, PPV and max features, ridge
on one-hot classes with its strength chosen on validation) reads the cases exactly as the recipe's model does
(normalised by the training cases). Then the recipe is fitted (early stopping on val/acc) and tested from its best
checkpoint in this process. Prints one JSON line (and README's table with ``--markdown``):

    python benchmarks/ts_classification_yardstick.py --markdown \
        --json benchmarks/results/ts_classification_yardstick.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from forecast_yardstick import fit_and_run

from lightning_seq.baselines.random_kernels import RandomKernelClassifier
from lightning_seq.data.modules.ts_classification import TimeSeriesClassificationDataModule

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "recipes" / "ts_classify_lstm.yaml"


def baseline(data: TimeSeriesClassificationDataModule, num_kernels: int) -> dict[str, float]:
    """The random-kernel classifier's test accuracy, its ridge strength and its seconds."""
    cases = {split: [data.scaled(c) for c in data.records[split]] for split in ("train", "val", "test")}
    ids = {split: data.class_ids(split, data.records[split]) for split in cases}
    start = time.perf_counter()
    model = RandomKernelClassifier(num_kernels).fit(cases["train"], ids["train"], cases["val"], ids["val"],
                                                    data.num_classes)
    accuracy = float((model.predict(cases["test"]) == np.asarray(ids["test"])).mean())
    return {"acc": round(accuracy, 4), "alpha": model.ridge.alpha, "fit_seconds": round(time.perf_counter() - start, 1)}


def markdown(result: dict) -> str:
    """README's table: test accuracy of the baseline and the recipe."""
    base, recipe = result["baseline"], result["recipe"]
    kernels = f"random-kernel ridge ({result['num_kernels']} kernels)"
    lines = ["| classifier | test accuracy | epochs | fit s |", "|---|---|---|---|",
             f"| {kernels} | {base['acc']:.3f} | - | {base['fit_seconds']} |"]
    if recipe:
        accuracy = f"{recipe['acc']:.3f} (macro-F1 {recipe['f1']:.3f})"
        lines.append(f"| `ts_classify_lstm` | {accuracy} | {recipe['epochs']} | {recipe['fit_seconds']} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2000, help="training cases (the recipe's 2000)")
    parser.add_argument("--num_kernels", type=int, default=1000)
    parser.add_argument("--no_recipe", action="store_true", help="the baseline only")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    data = TimeSeriesClassificationDataModule(generated_size=args.size)
    result = {"sizes": {split: len(data.records[split]) for split in ("train", "val", "test")},
              "num_kernels": args.num_kernels, "baseline": baseline(data, args.num_kernels), "recipe": {}}
    if not args.no_recipe:
        metrics, epochs, seconds = fit_and_run(RECIPE, [f"--data.init_args.generated_size={args.size}"])
        result["recipe"] = {"acc": round(metrics["test/acc"], 4), "f1": round(metrics["test/f1"], 4),
                            "epochs": epochs, "fit_seconds": seconds}
    print(json.dumps(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.markdown:
        print(markdown(result))


if __name__ == "__main__":
    main()
