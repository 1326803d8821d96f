"""Time-series classification: labelled cases (UCR/UEA files or generated shapes) as float sequences with lengths.

The cases reach ``SequenceClassifier`` as ``(B, T, D)`` batches with their lengths, like any other features.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch

from lightning_seq.data.datasets.sequences import SequenceDataset
from lightning_seq.data.modules.base import LOADER_ARGS, SequenceDataModule
from lightning_seq.data.modules.records import class_ids, sort_label_names
from lightning_seq.data.readers.ucr import LabelledSeries, read_labelled_series
from lightning_seq.data.synthetic.shapes import generate_shapes
from lightning_seq.docstrings import append_args

CaseMissing = Literal["error", "ffill"]


@append_args(LOADER_ARGS)
class TimeSeriesClassificationDataModule(SequenceDataModule):
    """Classify whole series (a sensor trace, a gesture, a heartbeat), equal or unequal in length, one or many channels.

    Sources: ``train_path`` (and ``val_path``, ``test_path``, ``predict_path``) in the UCR/UEA formats
    (``lightning_seq.data.readers.ucr``: ``.ts`` files, uni- or multivariate; ``.tsv``/``.csv`` with the label first);
    without ``train_path``, the embedded shapes (``lightning_seq.data.synthetic.shapes``: five classes that differ in
    shape and timing, not in level, 64-128 steps, two channels). Each channel is normalised by the training cases'
    mean and standard deviation (``normalise="train"``), or each case by its own (``"case"``, the UCR convention), or
    left as read (``"none"``).

    Args:
        train_path: training cases; None for the embedded shapes.
        val_path: validation cases; None carves ``val_fraction`` of the training cases (seeded).
        test_path: test cases (the embedded shapes always have them).
        predict_path: cases to classify (labels are read but not needed).
        normalise: ``train`` (per channel, from the training cases), ``case`` (each case by itself) or ``none``.
        missing: ``error`` (a missing value is an error naming its file and line) or ``ffill`` (carry the last
            value forward; a case that starts missing is an error).
        val_fraction: share of training cases held out for validation when there is no ``val_path``.
        generated_size: training cases of the embedded shapes (val and test get a tenth each, at least 50).
        seed: seed of the embedded shapes, the validation carve-out and the shuffling order.
    """

    def __init__(
        self,
        train_path: str | None = None,
        val_path: str | None = None,
        test_path: str | None = None,
        predict_path: str | None = None,
        normalise: Literal["train", "case", "none"] = "train",
        missing: CaseMissing = "error",
        val_fraction: float = 0.1,
        generated_size: int = 2000,
        batch_size: int = 64,
        bucketing: bool = True,
        pool_batches: int = 16,
        num_workers: int = 0,
        seed: int = 0,
    ) -> None:
        super().__init__(
            batch_size=batch_size, bucketing=bucketing, pool_batches=pool_batches, num_workers=num_workers, seed=seed
        )
        if normalise not in ("train", "case", "none"):
            raise ValueError(f"normalise must be 'train', 'case' or 'none', got {normalise!r}")
        if missing not in ("error", "ffill"):
            raise ValueError(f"missing must be 'error' or 'ffill', got {missing!r}")
        self.paths.update(train=train_path, val=val_path, test=test_path, predict=predict_path)
        self.normalise, self.missing = normalise, missing
        self.load_splits(generated_size=generated_size, val_fraction=val_fraction, minimum=50)
        train = self.records["train"]
        self.label_names = sort_label_names({case.label for case in train})
        self.num_classes = len(self.label_names)
        if self.num_classes < 2:
            raise ValueError(f"training data has a single class {self.label_names}: need at least two")
        dims = {case.values.shape[1] for split in self.records.values() for case in split}
        if len(dims) != 1:
            raise ValueError(f"cases differ in their number of channels ({sorted(dims)}): give one kind per data set")
        self.feature_size = dims.pop()
        stacked = np.concatenate([self._filled(case) for case in train])  # (sum T, D)
        self.mean, self.std = stacked.mean(axis=0), stacked.std(axis=0)
        self.std = np.where(self.std > 1e-8, self.std, 1.0)

    def generate(self, split: str, size: int, seed: int) -> list[LabelledSeries]:
        """``size`` generated cases of ``split``."""
        return [LabelledSeries(v, label, f"<generated {split}>:{i + 1}")
                for i, (v, label) in enumerate(generate_shapes(size, seed))]

    def read(self, split: str) -> list[LabelledSeries]:
        """The cases of ``split``'s file."""
        return read_labelled_series(str(self.paths[split]))

    def _filled(self, case: LabelledSeries) -> np.ndarray:
        missing = np.isnan(case.values)
        if not missing.any():
            return case.values
        if self.missing == "error":
            row, column = (int(i[0]) for i in np.nonzero(missing))
            raise ValueError(f"{case.where}: channel {column} is missing at step {row + 1} "
                             f"({int(missing.sum())} missing values): choose missing='ffill'")
        if missing[0].any():
            raise ValueError(f"{case.where}: the case starts with a missing value: nothing to carry forward")
        index = np.where(missing, 0, np.arange(len(case.values))[:, None])
        index = np.maximum.accumulate(index, axis=0)
        return np.take_along_axis(case.values, index, axis=0)

    def scaled(self, case: LabelledSeries) -> np.ndarray:
        """One case's values ``(T, D)`` as the model reads them (filled and normalised), float32."""
        values = self._filled(case)
        if self.normalise == "train":
            values = (values - self.mean) / self.std
        elif self.normalise == "case":
            spread = values.std(axis=0)
            values = (values - values.mean(axis=0)) / np.where(spread > 1e-8, spread, 1.0)
        return values.astype(np.float32)

    def class_ids(self, split: str, records: list[LabelledSeries]) -> list[int]:
        """Each case's class id; a class training never saw is an error naming the split (not for predict)."""
        if split == "predict":
            index = {name: i for i, name in enumerate(self.label_names)}
            return [index.get(case.label, -1) for case in records]
        return class_ids(split, [case.label for case in records], self.label_names)

    def to_dataset(self, split: str, records: list[LabelledSeries]) -> SequenceDataset:
        """The cases as float tensors ``(T, D)`` with their class ids."""
        return SequenceDataset([torch.from_numpy(self.scaled(c)) for c in records], self.class_ids(split, records))

    def state_dict(self) -> dict:
        """The normalisation (kept in checkpoints beside the base's tokenizers)."""
        return {**super().state_dict(), "mean": self.mean.tolist(), "std": self.std.tolist()}

    def load_state_dict(self, state_dict: dict) -> None:
        """Take a checkpoint's normalisation: the model reads cases scaled as it was trained on them."""
        super().load_state_dict(state_dict)
        if "mean" in state_dict:
            self.mean = np.asarray(state_dict["mean"], np.float64)
            self.std = np.asarray(state_dict["std"], np.float64)
            for split in list(self.datasets):
                self.datasets[split] = self.to_dataset(split, self.split_records(split))
