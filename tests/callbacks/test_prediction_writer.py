import csv
import json
from types import SimpleNamespace

import pytest
import torch

from lightning_seq.callbacks import PredictionWriter
from lightning_seq.tasks.classification import ClassificationPrediction


def prediction(indices, label_ids):
    probs = torch.nn.functional.one_hot(torch.tensor(label_ids), 2).float()
    names = [["neg", "pos"][i] for i in label_ids]
    return ClassificationPrediction(torch.tensor(indices), torch.tensor(label_ids), probs, names, ["neg", "pos"])


TRAINER = SimpleNamespace(is_global_zero=True, log_dir=None)


def test_rows_are_written_in_input_order_once(tmp_path):
    # batches out of order and a repeated row (as a distributed sampler's padding repeats samples)
    batches = [prediction([2, 3], [1, 0]), prediction([0, 1], [0, 1]), prediction([0], [0])]
    writer = PredictionWriter(str(tmp_path / "p.jsonl"))
    writer.write_on_epoch_end(TRAINER, None, batches, None)
    rows = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["index"] for r in rows] == [0, 1, 2, 3]
    assert [r["label"] for r in rows] == ["neg", "pos", "pos", "neg"]
    assert rows[2]["probabilities"] == {"neg": 0.0, "pos": 1.0}


def test_csv_output_flattens_probabilities(tmp_path):
    writer = PredictionWriter(str(tmp_path / "p.csv"))
    writer.write_on_epoch_end(TRAINER, None, [prediction([0, 1], [1, 0])], None)
    with (tmp_path / "p.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0] == {
        "index": "0",
        "label": "pos",
        "label_id": "1",
        "probabilities.neg": "0.0",
        "probabilities.pos": "1.0",
    }


def test_missing_rows_and_bad_suffix_are_errors(tmp_path):
    writer = PredictionWriter(str(tmp_path / "p.jsonl"))
    with pytest.raises(RuntimeError, match=r"predictions are missing for input rows \[1\]"):
        writer.write_on_epoch_end(TRAINER, None, [prediction([0, 2], [1, 0])], None)
    with pytest.raises(ValueError, match="output_path must end in .csv or .jsonl, got 'p.txt'"):
        PredictionWriter("p.txt")
