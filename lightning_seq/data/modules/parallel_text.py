"""Parallel text (source -> target) for encoder-decoder models: TSV/CSV/JSONL files or an embedded task."""

from __future__ import annotations

import logging
from typing import Any

import torch

from lightning_seq.data.batching.collate import collate_with_references
from lightning_seq.data.datasets.sequences import SequenceDataset, WithReferences
from lightning_seq.data.modules.base import LOADER_ARGS, SequenceDataModule
from lightning_seq.data.preprocessing.inputs import text_inputs_spec
from lightning_seq.data.readers.hf import split_paths
from lightning_seq.data.readers.tables import check_column
from lightning_seq.data.readers.text import TextRecord, read_text_records
from lightning_seq.data.synthetic.parallel import generate_parallel_corpus
from lightning_seq.data.text.tokenizers import Tokenizer, WordTokenizer
from lightning_seq.data.text.vocab import UNK_ID, Vocabulary
from lightning_seq.docstrings import append_args

log = logging.getLogger(__name__)


@append_args(LOADER_ARGS)
class ParallelTextDataModule(SequenceDataModule):
    """Source/target pairs for ``Seq2SeqTask``.

    Each file (TSV, CSV, JSONL or Parquet, or a Hugging Face data set) has a source and a target column; a
    headerless ``source<TAB>target`` file (the Tatoeba / Anki layout; further fields are ignored) reads as it is.
    Vocabularies are built from the training split, separately per side or shared. With no ``train_path`` the
    embedded task is generated: reverse a sequence of letters and shift each letter by one.

    Args:
        train_path: training pairs; None generates the embedded task.
        val_path: validation pairs; None carves ``val_fraction`` of training.
        test_path: test pairs.
        predict_path: sources to translate (a target column is optional).
        hf_dataset: a Hugging Face data set by Hub name or local folder: its ``train``, ``validation`` and ``test``
            splits stand in for the paths not given (needs ``lightning-seq[hf]``).
        source_column: column name (or JSON key) of the source text, or its 0-based position.
        target_column: column of the target text, by name or position.
        header: whether CSV/TSV files start with a header line; None detects it (a header holds both column
            names). Headerless files read the source from field 0 and the target from field 1 unless positions are
            given.
        source_tokenizer: source tokenizer (default: words, case kept).
        target_tokenizer: target tokenizer (default: words, case kept).
        shared_vocabulary: one vocabulary for both sides.
        min_freq: keep tokens seen at least this often in training.
        max_vocab_size: largest vocabulary per side, specials included.
        val_fraction: share of training pairs held out when there is no ``val_path``.
        generated_size: training pairs of the embedded task (val and test get a tenth each).
        seed: seed of the embedded task, the val split and the shuffling order.
    """

    def __init__(
        self,
        train_path: str | None = None,
        val_path: str | None = None,
        test_path: str | None = None,
        predict_path: str | None = None,
        hf_dataset: str | None = None,
        source_column: int | str = "source",
        target_column: int | str = "target",
        header: bool | None = None,
        source_tokenizer: Tokenizer | None = None,
        target_tokenizer: Tokenizer | None = None,
        shared_vocabulary: bool = False,
        min_freq: int = 1,
        max_vocab_size: int | None = None,
        val_fraction: float = 0.1,
        generated_size: int = 6000,
        batch_size: int = 64,
        bucketing: bool = True,
        pool_batches: int = 16,
        num_workers: int = 0,
        seed: int = 0,
    ) -> None:
        super().__init__(
            batch_size=batch_size, bucketing=bucketing, pool_batches=pool_batches, num_workers=num_workers, seed=seed
        )
        check_column(source_column, "source_column")
        check_column(target_column, "target_column")
        given = {"train": train_path, "val": val_path, "test": test_path, "predict": predict_path}
        self.paths = split_paths(given, hf_dataset)
        self.columns = (source_column, target_column)
        self.header = header
        self.source_tokenizer = source_tokenizer if source_tokenizer is not None else WordTokenizer(lowercase=False)
        self.target_tokenizer = target_tokenizer if target_tokenizer is not None else WordTokenizer(lowercase=False)
        self.collate_fn = collate_with_references
        self.load_splits(generated_size=generated_size, val_fraction=val_fraction)
        train = self.records["train"]
        self.fit_tokenizers(
            {"source_tokenizer": [r.text for r in train], "target_tokenizer": [r.target for r in train]}
        )
        sources = [self.source_tokenizer(r.text) for r in self.records["train"]]
        targets = [self.target_tokenizer(r.target) for r in self.records["train"]]
        if shared_vocabulary:
            self.source_vocab = self.target_vocab = Vocabulary.build(sources + targets, min_freq, max_vocab_size)
        else:
            self.source_vocab = Vocabulary.build(sources, min_freq, max_vocab_size)
            self.target_vocab = Vocabulary.build(targets, min_freq, max_vocab_size)
        self.vocabulary = list(self.source_vocab.tokens)
        self.vocab_size = len(self.source_vocab)
        self.target_vocabulary = list(self.target_vocab.tokens)
        self.target_vocab_size = len(self.target_vocab)

    def generate(self, split: str, size: int, seed: int) -> list[TextRecord]:
        """``size`` pairs of the embedded task (reverse the letters, shift each by one)."""
        pairs = generate_parallel_corpus(size, seed)
        return [TextRecord(s, t, f"<generated {split}>:{i + 1}") for i, (s, t) in enumerate(pairs)]

    def read(self, split: str) -> list[TextRecord]:
        """The pairs of ``paths[split]`` (a target column only where it is not ``predict``); no empty text."""
        labelled = split != "predict"
        records = read_text_records(
            self.paths[split], self.columns[0], self.columns[1] if labelled else None, header=self.header, split=split
        )
        empty = [f"{r.where} (source)" for r in records if not r.text.strip()]
        empty += [f"{r.where} (target)" for r in records if labelled and not (r.target or "").strip()]
        if empty:
            raise ValueError(f"{split}: {len(empty)} empty texts: {', '.join(empty[:10])}")
        if not records:
            raise ValueError(f"{split} data {self.paths[split]} has no rows")
        return records

    def prediction_texts(self) -> list[str]:
        """The text of every prediction input, written beside its prediction (``input_text``)."""
        return [record.text for record in self.split_records("predict")]

    def inference_inputs(self) -> dict[str, Any]:
        """The source tokenizer: a source text becomes ids as in ``to_dataset``."""
        return text_inputs_spec(self.source_tokenizer)

    def to_dataset(self, split: str, records: list[TextRecord]) -> WithReferences:
        """Source and target ids, with the target tokens as written (the references)."""
        sources, targets, references, unknown, unknown_targets = [], [], [], 0, 0
        for record in records:
            ids = self.source_vocab.encode(self.source_tokenizer(record.text))
            if not ids:
                raise ValueError(f"{record.where}: source has no tokens after tokenization")
            unknown += ids.count(UNK_ID)
            sources.append(torch.tensor(ids, dtype=torch.long))
            reference = self.target_tokenizer(record.target) if record.target else []
            target = self.target_vocab.encode(reference)
            unknown_targets += target.count(UNK_ID)
            targets.append(torch.tensor(target, dtype=torch.long))
            references.append(reference)
        if unknown and split != "train":
            log.warning("%s: %d source tokens not in the vocabulary were mapped to <unk>", split, unknown)
        if unknown_targets and split != "train":
            log.warning(
                "%s: %d target tokens not in the target vocabulary were mapped to <unk> (scored as written: a "
                "model cannot produce them)",
                split,
                unknown_targets,
            )
        return WithReferences(SequenceDataset(sources, targets), references)
