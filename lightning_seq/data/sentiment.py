"""Text sentiment (or any text classification) from CSV / TSV / JSONL / aclImdb, or the embedded default corpus."""

from __future__ import annotations

import logging
from pathlib import Path

import torch

from lightning_seq.data.base import SequenceDataModule
from lightning_seq.data.datasets import SequenceDataset
from lightning_seq.data.labels import sort_label_names
from lightning_seq.data.sources import TextRecord, check_empty_texts, read_text_records
from lightning_seq.data.splits import carve_validation, generated_splits
from lightning_seq.data.synthetic_sentiment import generate_sentiment_corpus
from lightning_seq.data.tokenizers import Tokenizer, WordTokenizer
from lightning_seq.data.vocab import Vocabulary

log = logging.getLogger(__name__)


class SentimentDataModule(SequenceDataModule):
    """Labelled texts to token-id sequences, vocabulary built from the training split only.

    With no ``train_path`` it generates the embedded default corpus (``synthetic_sentiment``): train, val and test
    splits of a task in which word order decides the label. The vocabulary and label names are known right after
    ``__init__`` (their sizes are linked into the model, which takes the names in ``setup``) and are saved next to
    the logs as ``vocab.txt``/``labels.txt``.

    Args:
        train_path: training data (``.csv``, ``.tsv``, ``.jsonl`` or an aclImdb split folder); None for the
            embedded corpus.
        val_path: validation data; None carves ``val_fraction`` of the training data (seeded).
        test_path: test data; None means no test split (the embedded corpus always has one).
        predict_path: texts to predict (a label column is optional there).
        text_column: column or JSON key of the text.
        label_column: column or JSON key of the label (strings or integers).
        val_fraction: share of training rows used for validation when ``val_path`` is None.
        tokenizer: splits texts into tokens (default: ``WordTokenizer`` lowercasing).
        min_freq: keep tokens seen at least this often in training.
        max_vocab_size: largest vocabulary, specials included (None: no limit).
        vocab_path: load this vocabulary (one token per line) instead of building it, e.g. the ``vocab.txt`` of a
            training run when predicting on other data.
        max_length: truncate texts to this many tokens (counted in the log); None keeps them whole.
        drop_empty: drop empty or whitespace-only texts (counted in the log) instead of raising an error.
        generated_size: size of the embedded corpus's training split (val and test get a tenth each).
        batch_size: samples per batch (per rank under DDP).
        bucketing: group samples of similar length into batches.
        pool_batches: steps per sorting pool when bucketing.
        num_workers: DataLoader worker processes.
        seed: seed of the generated corpus, the val split and the shuffling order.
    """

    def __init__(
        self,
        train_path: str | None = None,
        val_path: str | None = None,
        test_path: str | None = None,
        predict_path: str | None = None,
        text_column: str = "text",
        label_column: str = "label",
        val_fraction: float = 0.1,
        tokenizer: Tokenizer | None = None,
        min_freq: int = 1,
        max_vocab_size: int | None = None,
        vocab_path: str | None = None,
        max_length: int | None = None,
        drop_empty: bool = False,
        generated_size: int = 8000,
        batch_size: int = 32,
        bucketing: bool = True,
        pool_batches: int = 16,
        num_workers: int = 0,
        seed: int = 0,
    ) -> None:
        super().__init__(batch_size, bucketing, pool_batches, num_workers, seed)
        if not 0.0 < val_fraction < 1.0:
            raise ValueError(f"val_fraction must lie in (0, 1), got {val_fraction!r}")
        if max_length is not None and max_length < 1:
            raise ValueError(f"max_length must be >= 1, got {max_length!r}")
        if generated_size < 10:
            raise ValueError(f"generated_size must be >= 10, got {generated_size!r}")
        self.paths = {"train": train_path, "val": val_path, "test": test_path, "predict": predict_path}
        self.text_column = text_column
        self.label_column = label_column
        self.val_fraction = val_fraction
        self.tokenizer = tokenizer if tokenizer is not None else WordTokenizer()
        self.max_length = max_length
        self.drop_empty = drop_empty
        self.generated_size = generated_size
        self.records: dict[str, list[TextRecord]] = self._read_labelled_splits()
        train_tokens = [self.tokenizer(r.text) for r in self.records["train"]]
        if vocab_path is not None:
            self.vocab = Vocabulary.load(vocab_path)
        else:
            self.vocab = Vocabulary.build(train_tokens, min_freq=min_freq, max_size=max_vocab_size)
        self.label_names = sort_label_names({r.label for r in self.records["train"]})
        if len(self.label_names) < 2:
            raise ValueError(f"training data has a single label {self.label_names}: need at least two classes")
        self.vocabulary = list(self.vocab.tokens)
        self.vocab_size = len(self.vocab)
        self.num_classes = len(self.label_names)

    def _read_labelled_splits(self) -> dict[str, list[TextRecord]]:
        if self.paths["train"] is None:
            records = {}
            for stage, size, seed in generated_splits(self.generated_size, self.seed, minimum=2):
                pairs = generate_sentiment_corpus(size, seed)
                records[stage] = [
                    TextRecord(t, lab, f"<generated {stage}>:{i + 1}") for i, (t, lab) in enumerate(pairs)
                ]
            return records
        records = {"train": self._read("train", labelled=True)}
        if self.paths["val"] is None:
            records["train"], records["val"] = carve_validation(records["train"], self.val_fraction, self.seed)
        return records

    def _read(self, stage: str, labelled: bool) -> list[TextRecord]:
        label_column = self.label_column if labelled else None
        records = read_text_records(self.paths[stage], self.text_column, label_column)
        records = check_empty_texts(records, self.drop_empty)
        if not records:
            raise ValueError(f"{stage} data {self.paths[stage]} has no rows")
        return records

    def _encode(self, stage: str, records: list[TextRecord]) -> SequenceDataset:
        index = {name: i for i, name in enumerate(self.label_names)}
        unseen = sorted({r.label for r in records if r.label is not None and r.label not in index})
        if unseen:
            first = next(r.where for r in records if r.label in unseen)
            raise ValueError(
                f"{stage} labels not seen in training: {unseen} (first at {first}); known labels: {self.label_names}"
            )
        sequences, truncated = [], 0
        for record in records:
            ids = self.vocab.encode(self.tokenizer(record.text))
            if not ids:
                raise ValueError(f"{record.where}: text has no tokens after tokenization: {record.text[:60]!r}")
            if self.max_length is not None and len(ids) > self.max_length:
                ids, truncated = ids[: self.max_length], truncated + 1
            sequences.append(torch.tensor(ids, dtype=torch.long))
        if truncated:
            log.warning(
                "%s: truncated %d of %d texts to max_length=%d tokens", stage, truncated, len(records), self.max_length
            )
        targets = None if any(r.label is None for r in records) else [index[r.label] for r in records]
        return SequenceDataset(sequences, targets)

    def prepare_data(self) -> None:
        """Nothing to download: data are local files or generated."""

    def _records_for(self, split: str) -> list[TextRecord]:
        if split not in self.records:
            if self.paths[split] is None:
                if split == "predict":
                    return self._records_for("test")  # no predict_path: predict the test split
                raise ValueError(f"no {split} data: give --data.{split}_path")
            self.records[split] = self._read(split, labelled=split != "predict")
        return self.records[split]

    def setup(self, stage: str | None = None) -> None:
        """Encode the splits the stage needs (reading val/test/predict files now) and save the vocabulary."""
        wanted = {"fit": ["train", "val"], "validate": ["val"], "test": ["test"], "predict": ["predict"]}
        for split in wanted.get(stage or "fit", ["train", "val"]):
            if split not in self.datasets:
                self.datasets[split] = self._encode(split, self._records_for(split))
        if stage == "fit" and self.trainer is not None:
            log_dir = self.trainer.log_dir  # a collective under DDP: every rank must ask
            if log_dir and self.trainer.is_global_zero:
                self.save_vocabulary(log_dir)

    def prediction_ids(self) -> list[str]:
        """Where each prediction text came from (``file:line``, a file path, or the generated split and row)."""
        return [record.where for record in self._records_for("predict")]

    def save_vocabulary(self, folder: str | Path) -> None:
        """Write ``vocab.txt`` (one token per line, in id order) and ``labels.txt`` into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.vocab.save(folder / "vocab.txt")
        (folder / "labels.txt").write_text("".join(name + "\n" for name in self.label_names), encoding="utf-8")
