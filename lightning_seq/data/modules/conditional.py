"""(condition, target sequence) pairs for ``SequenceGenerator``: a class, a vector, an image or an audio clip."""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any, Literal, NamedTuple

import torch
from PIL import Image
from torch import Tensor

from lightning_seq.data.batching.collate import collate_with_references
from lightning_seq.data.datasets.audio import AudioClipDataset
from lightning_seq.data.datasets.images import ImageSequenceDataset
from lightning_seq.data.datasets.sequences import SequenceDataset, WithReferences
from lightning_seq.data.modules.base import LOADER_ARGS, SequenceDataModule
from lightning_seq.data.modules.records import sort_label_names
from lightning_seq.data.preprocessing.inputs import audio_inputs_spec, image_inputs_spec, unavailable
from lightning_seq.data.readers.audio import audio_info, resampled_length
from lightning_seq.data.readers.files import resolve_inside
from lightning_seq.data.readers.images import RowScan, load_image
from lightning_seq.data.readers.tables import check_column
from lightning_seq.data.readers.text import read_text_records
from lightning_seq.data.synthetic.numbers import generate_numbers
from lightning_seq.data.text.tokenizers import Tokenizer, WordTokenizer
from lightning_seq.data.text.vocab import UNK_ID, Vocabulary
from lightning_seq.docstrings import append_args
from lightning_seq.nn.audio_features import AudioFeatures

log = logging.getLogger(__name__)

ConditionKind = Literal["label", "vector", "image", "audio"]


class Row(NamedTuple):
    """One row: the condition, its target text and where it came from.

    The condition is a class name, a vector, an image path or PIL image, or an audio path; the target is None where
    a prediction file has none.
    """

    condition: Any
    target: str | None
    where: str


def parse_vector(text: str, where: str) -> Tensor:
    """``"0.5, 1 2"`` or ``"[0.5, 1, 2]"`` -> a float vector; errors name the row."""
    parts = text.strip().strip("[]").replace(",", " ").split()
    try:
        values = [float(part) for part in parts]
    except ValueError as err:
        raise ValueError(f"{where}: condition vector {text!r} is not a list of numbers") from err
    if not values:
        raise ValueError(f"{where}: empty condition vector")
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"{where}: condition vector {text!r} holds NaN or infinity")
    return torch.tensor(values, dtype=torch.float)


@append_args(LOADER_ARGS)
class ConditionalSequenceDataModule(SequenceDataModule):
    """Rows of (condition, target sequence) for 1 -> N generation.

    Files are CSV, TSV, JSONL or Parquet (or a saved Hugging Face data set) with a condition and a target column.
    The condition is, by ``condition``:

    * ``label``: a class name (``num_classes`` is linked into the model, which takes ``label_names`` in ``setup``);
    * ``vector``: numbers separated by spaces or commas (a JSON list in JSONL); ``feature_size`` is linked;
    * ``image``: an image path relative to the file's folder, scanned by ``scan`` (``feature_size`` linked);
    * ``audio``: an audio path relative to the file's folder, framed by ``features`` (``feature_size`` linked).

    Targets are tokenized (words by default) into ``target_vocabulary`` built from training. With no ``train_path``
    the embedded task is generated for label, vector or image conditions: a number -> its English words.

    Args:
        condition: ``label``, ``vector``, ``image`` or ``audio``.
        train_path: training rows; None generates the embedded task.
        val_path: validation rows; None carves ``val_fraction`` of training.
        test_path: test rows.
        predict_path: conditions to generate from (a target column is optional).
        condition_column: column name (or JSON key) of the condition, or its 0-based position.
        target_column: column of the target text, by name or position.
        header: whether CSV/TSV files start with a header line; None detects it (a header holds both column
            names). Headerless files read the condition from field 0 and the target from field 1.
        target_tokenizer: target tokenizer (default: words, case kept).
        scan: how images become sequences (default: columns as steps, height 32).
        features: audio features computed in the loader (default: log-mel at 16 kHz).
        min_freq: keep target tokens seen at least this often.
        max_vocab_size: largest target vocabulary, specials included.
        val_fraction: share of training rows held out when there is no ``val_path``.
        generated_size: training rows of the embedded task (val and test get a tenth each).
        seed: seed of the embedded task, the val split and the shuffling order.
    """

    def __init__(
        self,
        condition: ConditionKind = "label",
        train_path: str | None = None,
        val_path: str | None = None,
        test_path: str | None = None,
        predict_path: str | None = None,
        condition_column: int | str = "condition",
        target_column: int | str = "target",
        header: bool | None = None,
        target_tokenizer: Tokenizer | None = None,
        scan: RowScan | None = None,
        features: AudioFeatures | None = None,
        min_freq: int = 1,
        max_vocab_size: int | None = None,
        val_fraction: float = 0.1,
        generated_size: int = 4000,
        batch_size: int = 64,
        bucketing: bool = True,
        pool_batches: int = 16,
        num_workers: int = 0,
        seed: int = 0,
    ) -> None:
        super().__init__(
            batch_size=batch_size, bucketing=bucketing, pool_batches=pool_batches, num_workers=num_workers, seed=seed
        )
        if condition not in ("label", "vector", "image", "audio"):
            raise ValueError(f"condition must be 'label', 'vector', 'image' or 'audio', got {condition!r}")
        self.condition = condition
        self.paths = {"train": train_path, "val": val_path, "test": test_path, "predict": predict_path}
        check_column(condition_column, "condition_column")
        check_column(target_column, "target_column")
        self.columns = (condition_column, target_column)
        self.header = header
        self.target_tokenizer = target_tokenizer if target_tokenizer is not None else WordTokenizer(lowercase=False)
        self.scan = scan if scan is not None else RowScan("columns", height=32)
        self.features = features if features is not None else AudioFeatures("logmel", 16000)
        self.collate_fn = collate_with_references
        self.load_splits(generated_size=generated_size, val_fraction=val_fraction)
        self.fit_tokenizers({"target_tokenizer": [t or "" for _, t, _ in self.records["train"]]})
        targets = [self.target_tokenizer(t or "") for _, t, _ in self.records["train"]]
        self.target_vocab = Vocabulary.build(targets, min_freq, max_vocab_size)
        self.target_vocabulary = list(self.target_vocab.tokens)
        self.target_vocab_size = len(self.target_vocab)
        if condition == "label":
            self.label_names = sort_label_names({str(c) for c, _, _ in self.records["train"]})
            self.num_classes = len(self.label_names)
        else:
            self.feature_size = self._feature_size()

    # ------------------------------------------------------------------------------------------------ reading
    def generate(self, split: str, size: int, seed: int) -> list[Row]:
        """``size`` rows of the embedded task (a number as a class, digits vector or image -> its English words).

        Its splits are drawn from the module's ``seed`` by split name, not from the per-split ``seed``.
        """
        if self.condition == "audio":
            raise ValueError("there is no embedded audio task: give --data.train_path for audio conditions")
        pairs = generate_numbers(split, size, self.condition, self.seed)
        return [Row(c, t, f"<generated {split}>:{i + 1}") for i, (c, t) in enumerate(pairs)]

    def read(self, split: str) -> list[Row]:
        """The rows of ``paths[split]``: conditions parsed (vectors) or resolved (image and audio paths)."""
        labelled = split != "predict"
        path = self.paths[split]
        records = read_text_records(
            path, self.columns[0], self.columns[1] if labelled else None, header=self.header, split=split
        )
        if not records:
            raise ValueError(f"{split} data {path} has no rows")
        empty = [r.where for r in records if not r.text.strip()]
        if empty:
            raise ValueError(f"{split}: {len(empty)} empty conditions: {', '.join(empty[:10])}")
        folder = Path(path).parent
        rows: list[Row] = []
        for record in records:
            value: Any = record.text.strip()
            if self.condition == "vector":
                value = parse_vector(record.text, record.where)
            elif self.condition in ("image", "audio"):
                value = resolve_inside(folder, value, record.where)
                if not value.is_file():
                    raise FileNotFoundError(f"{record.where}: {self.condition} file not found: {value}")
            rows.append(Row(value, record.target, record.where))
        return rows

    def _feature_size(self) -> int:
        first = self.records["train"][0].condition
        if self.condition == "vector":
            return int(first.numel())
        if self.condition == "audio":
            return self.features.feature_size
        fixed = self.scan.feature_size()
        if fixed is not None:
            return fixed
        image = first if isinstance(first, Image.Image) else load_image(first)
        return int(self.scan(image).size(-1))

    # ------------------------------------------------------------------------------------------------ encoding
    def _target_ids(self, split: str, rows: list[Row]) -> list[Tensor]:
        out, unknown = [], 0
        for _, text, where in rows:
            ids = self.target_vocab.encode(self.target_tokenizer(text)) if text else []
            if text is not None and split != "predict" and not ids:
                raise ValueError(f"{where}: target has no tokens after tokenization")
            unknown += ids.count(UNK_ID)
            out.append(torch.tensor(ids, dtype=torch.long))
        if unknown and split != "train":
            log.warning("%s: %d target tokens not in the vocabulary were mapped to <unk>", split, unknown)
        return out

    def _conditions(self, split: str, rows: list[Row]) -> list[Tensor]:
        if self.condition == "label":
            index = {name: i for i, name in enumerate(self.label_names)}
            unknown = [(str(c), where) for c, _, where in rows if str(c) not in index]
            if unknown:
                name, where = unknown[0]
                raise ValueError(
                    f"{where}: condition class {name!r} does not occur in training ({len(unknown)} such rows in "
                    f"{split}); known classes: {self.label_names[:20]}"
                )
            return [torch.tensor([index[str(c)]], dtype=torch.long) for c, _, _ in rows]  # (1,) each
        vectors = []
        for vector, _, where in rows:
            if vector.numel() != self.feature_size:
                raise ValueError(f"{where}: condition vector has {vector.numel()} values, expected {self.feature_size}")
            vectors.append(vector.view(1, -1))  # (1, F)
        return vectors

    def inference_inputs(self) -> dict[str, Any]:
        """The ``scan`` of image conditions or the ``features`` of audio ones.

        Class and vector conditions are not raw inputs: give them to the task's ``generate`` in Python.
        """
        if self.condition == "image":
            return image_inputs_spec(self.scan)
        if self.condition == "audio":
            return audio_inputs_spec(self.features, features_on_device=False, duration=None)
        return unavailable(f"{self.condition} conditions are not raw inputs (images and audio are)")

    def to_dataset(self, split: str, rows: list[Row]) -> WithReferences:
        """Condition inputs (class ids, vectors, scanned images or framed clips) and target ids with references."""
        targets = self._target_ids(split, rows)
        references = [self.target_tokenizer(text) if text else [] for _, text, _ in rows]
        sources = [c for c, _, _ in rows]
        if self.condition == "image":
            return WithReferences(ImageSequenceDataset(sources, targets, self.scan), references)
        if self.condition == "audio":
            rate = self.features.sample_rate
            samples = [resampled_length(*audio_info(path), rate) for path in sources]
            clips = AudioClipDataset(
                sources, targets, lengths_in_samples=samples, features=self.features, duration=None, augment=None,
                sample_rate=rate,
            )
            return WithReferences(clips, references)
        return WithReferences(SequenceDataset(self._conditions(split, rows), targets), references)
