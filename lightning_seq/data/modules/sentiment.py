"""Text classification (sentiment) from tables, Hugging Face data sets or aclImdb folders, or the embedded corpus."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal

import torch

from lightning_seq.data.datasets.sequences import SequenceDataset
from lightning_seq.data.modules.base import LOADER_ARGS, SequenceDataModule
from lightning_seq.data.modules.records import sort_label_names
from lightning_seq.data.preprocessing.inputs import text_inputs_spec
from lightning_seq.data.readers.docstring_topics import docstring_topic_splits
from lightning_seq.data.readers.hf import split_paths
from lightning_seq.data.readers.tables import check_column
from lightning_seq.data.readers.text import TextRecord, check_empty_texts, read_text_records
from lightning_seq.data.synthetic.sentiment import generate_sentiment_corpus
from lightning_seq.data.synthetic.short_texts import generate_short_text_corpus
from lightning_seq.data.text.tokenizers import Tokenizer, WordTokenizer
from lightning_seq.data.text.vocab import Vocabulary
from lightning_seq.docstrings import append_args

log = logging.getLogger(__name__)
EMBEDDED_CORPORA = ("word_order", "long_tail", "docstring_topics")


@append_args(LOADER_ARGS)
class SentimentDataModule(SequenceDataModule):
    """Labelled texts to token-id sequences, vocabulary built from the training split only.

    With no ``train_path`` it uses an embedded corpus (train, val and test splits): ``word_order``
    (``synthetic.sentiment``, the default: a closed vocabulary in which word order often decides the label),
    ``long_tail`` (``synthetic.short_texts``: real tweets' statistics, most word types seen once and the label
    mostly in which words appear), both generated, or ``docstring_topics``: **real** text, the Python standard
    library's docstrings labelled by the module they document (``readers.docstring_topics``: 17 classes, fixed
    splits of 3438 / 422 / 411 on Python 3.11.7; ``generated_size`` does not apply to it).
    The vocabulary and label names are known right after
    ``__init__`` (their sizes are linked into the model, which takes the names in ``setup``) and are saved next to
    the logs as ``vocab.txt``/``labels.txt``.

    Args:
        train_path: training data (``.csv``, ``.tsv``, ``.jsonl``, ``.parquet``, a folder written by ``datasets``'
            ``save_to_disk`` or an aclImdb split folder); None for the embedded corpus.
        val_path: validation data; None carves ``val_fraction`` of the training data (seeded).
        test_path: test data; None means no test split (the embedded corpus always has one).
        predict_path: texts to predict (a label column is optional there).
        hf_dataset: a Hugging Face data set by Hub name (``imdb``) or local folder: its ``train``,
            ``validation`` and ``test`` splits stand in for the paths not given (needs ``lightning-seq[hf]``).
        text_column: column name (or JSON key) of the text, or its 0-based position.
        label_column: column of the label (strings, integers or class labels), by name or position.
        header: whether CSV/TSV files start with a header line; None detects it (a header holds both column
            names). Headerless files read the text from field 0 and the label from field 1 unless positions are
            given.
        val_fraction: share of training rows used for validation when ``val_path`` is None.
        tokenizer: splits texts into tokens (default: ``WordTokenizer`` lowercasing).
        min_freq: keep tokens seen at least this often in training.
        max_vocab_size: largest vocabulary, specials included (None: no limit).
        vocab_path: load this vocabulary (one token per line) instead of building it, e.g. the ``vocab.txt`` of a
            training run when predicting on other data.
        max_length: truncate texts to this many tokens (counted in the log); None keeps them whole.
        drop_empty: drop empty or whitespace-only texts (counted in the log) instead of raising an error.
        generated_corpus: which embedded corpus to use when no ``train_path`` is given (see above).
        generated_size: size of the embedded corpus's training split (val and test get a tenth each).
        seed: seed of the generated corpus, the val split and the shuffling order.
    """

    def __init__(
        self,
        train_path: str | None = None,
        val_path: str | None = None,
        test_path: str | None = None,
        predict_path: str | None = None,
        hf_dataset: str | None = None,
        text_column: int | str = "text",
        label_column: int | str = "label",
        header: bool | None = None,
        val_fraction: float = 0.1,
        tokenizer: Tokenizer | None = None,
        min_freq: int = 1,
        max_vocab_size: int | None = None,
        vocab_path: str | None = None,
        max_length: int | None = None,
        drop_empty: bool = False,
        generated_corpus: Literal["word_order", "long_tail", "docstring_topics"] = "word_order",
        generated_size: int = 8000,
        batch_size: int = 32,
        bucketing: bool = True,
        pool_batches: int = 16,
        num_workers: int = 0,
        seed: int = 0,
    ) -> None:
        super().__init__(
            batch_size=batch_size, bucketing=bucketing, pool_batches=pool_batches, num_workers=num_workers, seed=seed
        )
        if max_length is not None and max_length < 1:
            raise ValueError(f"max_length must be >= 1, got {max_length!r}")
        check_column(text_column, "text_column")
        check_column(label_column, "label_column")
        given = {"train": train_path, "val": val_path, "test": test_path, "predict": predict_path}
        self.paths = split_paths(given, hf_dataset)
        self.text_column = text_column
        self.label_column = label_column
        self.header = header
        self.tokenizer = tokenizer if tokenizer is not None else WordTokenizer()
        self.max_length = max_length
        self.drop_empty = drop_empty
        if generated_corpus not in EMBEDDED_CORPORA:
            raise ValueError(f"generated_corpus must be one of {list(EMBEDDED_CORPORA)}, got {generated_corpus!r}")
        self.generated_corpus = generated_corpus
        self.load_splits(generated_size=generated_size, val_fraction=val_fraction, minimum=2)
        self.fit_tokenizers({"tokenizer": [r.text for r in self.records["train"]]})
        train_tokens = [self.tokenizer(r.text) for r in self.records["train"]]
        if vocab_path is not None:
            self.vocab = Vocabulary.load(vocab_path)
        else:
            self.vocab = Vocabulary.build(train_tokens, min_freq=min_freq, max_size=max_vocab_size)
        self.label_names = sort_label_names({r.target for r in self.records["train"]})
        if len(self.label_names) < 2:
            raise ValueError(f"training data has a single label {self.label_names}: need at least two classes")
        self.vocabulary = list(self.vocab.tokens)
        self.vocab_size = len(self.vocab)
        self.num_classes = len(self.label_names)

    def generate(self, split: str, size: int, seed: int) -> list[TextRecord]:
        """``size`` posts of the embedded corpus ``generated_corpus`` (the docstring set: its fixed split)."""
        if self.generated_corpus == "docstring_topics":
            return [TextRecord(row.text, row.label, row.where) for row in docstring_topic_splits()[split]]
        make = generate_short_text_corpus if self.generated_corpus == "long_tail" else generate_sentiment_corpus
        pairs = make(size, seed)
        return [TextRecord(t, lab, f"<generated {split}>:{i + 1}") for i, (t, lab) in enumerate(pairs)]

    def read(self, split: str) -> list[TextRecord]:
        """The texts of ``paths[split]``, with labels except for ``predict`` (where the column is optional)."""
        label_column = self.label_column if split != "predict" else None
        records = read_text_records(
            self.paths[split], self.text_column, label_column, header=self.header, split=split
        )
        records = check_empty_texts(records, self.drop_empty)
        if not records:
            raise ValueError(f"{split} data {self.paths[split]} has no rows")
        return records

    def to_dataset(self, stage: str, records: list[TextRecord]) -> SequenceDataset:
        """Token ids (truncated to ``max_length``, counted in the log) and label ids."""
        index = {name: i for i, name in enumerate(self.label_names)}
        unseen = sorted({r.target for r in records if r.target is not None and r.target not in index})
        if unseen:
            first = next(r.where for r in records if r.target in unseen)
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
        targets = None if any(r.target is None for r in records) else [index[r.target] for r in records]
        return SequenceDataset(sequences, targets)

    def prediction_texts(self) -> list[str]:
        """The text of every prediction input, written beside its prediction (``input_text``)."""
        return [record.text for record in self.split_records("predict")]

    def inference_inputs(self) -> dict[str, Any]:
        """The tokenizer and ``max_length``: a text becomes ids as in ``to_dataset``."""
        return text_inputs_spec(self.tokenizer, max_length=self.max_length)

    def setup(self, stage: str | None = None) -> None:
        """Encode the splits the stage needs (reading val/test/predict files now) and save the vocabulary."""
        super().setup(stage)
        if stage == "fit" and self.trainer is not None:
            log_dir = self.trainer.log_dir  # a collective under DDP: every rank must ask
            if log_dir and self.trainer.is_global_zero:
                self.save_vocabulary(log_dir)

    def save_vocabulary(self, folder: str | Path) -> None:
        """Write ``vocab.txt`` (one token per line, in id order) and ``labels.txt`` into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.vocab.save(folder / "vocab.txt")
        (folder / "labels.txt").write_text("".join(name + "\n" for name in self.label_names), encoding="utf-8")
