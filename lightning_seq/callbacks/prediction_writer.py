"""Write predictions to CSV or JSONL: one row per input, in input order, also under DDP."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch.distributed as dist
from pytorch_lightning.callbacks import BasePredictionWriter
from pytorch_lightning.utilities import rank_zero_info


def _flatten(row: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        elif isinstance(value, list):
            flat[key] = " ".join(str(v) for v in value)
        else:
            flat[key] = value
    return flat


class PredictionWriter(BasePredictionWriter):
    """Collect every rank's predictions, put them back in input order and write one file from rank 0.

    Works with any task whose ``predict_step`` returns objects with ``to_rows() -> list[dict]`` where every row
    has an ``index`` (the input's position). Rows repeated by a distributed sampler's padding are written once.
    When the data module has ``prediction_ids()``, each row also names its ``input`` (a file path or file:line), and
    where its inputs are texts (``prediction_texts()``), the text itself as ``input_text``.

    Args:
        output_path: ``.csv`` or ``.jsonl`` file; None writes ``predictions.jsonl`` into the trainer's log dir.
    """

    def __init__(self, output_path: str | None = None) -> None:
        super().__init__(write_interval="epoch")
        if output_path is not None and Path(output_path).suffix.lower() not in (".csv", ".jsonl"):
            raise ValueError(f"output_path must end in .csv or .jsonl, got {output_path!r}")
        self.output_path = output_path
        self.written: Path | None = None

    def write_on_epoch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, predictions: Sequence[Any], batch_indices: Any
    ) -> None:
        """Gather the rows of all ranks and write them in input order (rank 0 only)."""
        if predictions and isinstance(predictions[0], list):  # several predict dataloaders
            predictions = [p for per_loader in predictions for p in per_loader]
        rows = [row for batch in predictions for row in batch.to_rows()]
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            gathered: list[list[dict[str, Any]] | None] = [None] * dist.get_world_size()
            dist.all_gather_object(gathered, rows)
            rows = [row for part in gathered for row in (part or [])]
        if not trainer.is_global_zero:
            return
        unique = {row["index"]: row for row in rows}
        ordered = [unique[i] for i in sorted(unique)]
        if sorted(unique) != list(range(len(ordered))):
            missing = sorted(set(range(max(unique) + 1)) - set(unique))
            raise RuntimeError(f"predictions are missing for input rows {missing[:10]}")
        ids = getattr(getattr(trainer, "datamodule", None), "prediction_ids", None)
        names = ids() if callable(ids) else None
        if names is not None:  # name each input (file path or file:line) next to its index
            ordered = [{"index": row["index"], "input": names[row["index"]], **row} for row in ordered]
        texts_of = getattr(getattr(trainer, "datamodule", None), "prediction_texts", None)
        texts = texts_of() if callable(texts_of) else None
        if texts is not None:  # and the text itself, where the inputs are texts
            ordered = [{**row, "input_text": texts[row["index"]]} for row in ordered]
        path = Path(self.output_path) if self.output_path else Path(trainer.log_dir or ".") / "predictions.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() == ".csv":
            flat = [_flatten(row) for row in ordered]
            with path.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=list(flat[0]) if flat else ["index"])
                writer.writeheader()
                writer.writerows(flat)
        else:
            with path.open("w", encoding="utf-8") as handle:
                handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in ordered)
        self.written = path
        rank_zero_info(f"wrote {len(ordered)} predictions to {path}")
