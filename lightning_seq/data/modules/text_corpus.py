"""Plain-text corpora for language models: one token stream, cut into contiguous per-rank, per-row streams."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal

import torch
from torch import Tensor
from torch.utils.data import DataLoader

from lightning_seq.baselines.kneser_ney import KneserNeyLM, token_symbols
from lightning_seq.data.datasets.sequences import SequenceDataset
from lightning_seq.data.datasets.streams import StreamWindows, arrange_streams, stream_ids
from lightning_seq.data.modules.base import ResumableDataLoader, SequenceDataModule
from lightning_seq.data.preprocessing.inputs import text_inputs_spec
from lightning_seq.data.readers.docstring_topics import docstring_topic_splits, unlabelled_docstring_texts
from lightning_seq.data.readers.package_texts import package_text_splits
from lightning_seq.data.synthetic.corpus import generate_corpus
from lightning_seq.data.text.subword import SubwordTokenizer
from lightning_seq.data.text.tokenizers import CharTokenizer, Tokenizer
from lightning_seq.data.text.unigram import unigram_perplexity
from lightning_seq.data.text.vocab import EOS_ID, UNK_ID, Vocabulary

log = logging.getLogger(__name__)

Line = tuple[str, str]  # (text, where)


def read_lines(path: str | Path) -> list[Line]:
    """Non-empty lines of a UTF-8 text file with their ``file:line``; errors name the file (and line)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"text file not found: {path}")
    lines, empty = [], 0
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as err:
                raise ValueError(f"{path}:{number}: not valid UTF-8 ({err.reason} at byte {err.start})") from err
            if text.strip():
                lines.append((text, f"{path}:{number}"))
            else:
                empty += 1
    if empty:
        log.info("%s: %d empty lines skipped (line boundaries are kept as end-of-line tokens)", path, empty)
    return lines


def text_lines(text: str, where: str) -> list[Line]:
    """The non-empty lines of ``text`` with ``where:line``, cut as ``read_lines`` cuts a file."""
    lines = [line.rstrip("\r") for line in text.removesuffix("\n").split("\n")]
    return [(line, f"{where}:{number}") for number, line in enumerate(lines, start=1) if line.strip()]


EMBEDDED_CORPORA = ("grammar", "package_texts", "docstring_topics")


class TextCorpusDataModule(SequenceDataModule):
    """Text files -> one token stream per split (each line followed by EOS) for ``LanguageModel``.

    The stream is cut into ``batch_size × world_size`` contiguous pieces; each rank takes its own ``batch_size``
    pieces as the rows of its batches, and each batch is the next window of ``sequence_length`` steps of every row,
    so a model carrying its state from one batch to the next reads every row as one continuous text (truncated
    BPTT). The tail that does not divide evenly is left out and its size logged. With no ``train_path`` an
    embedded corpus is used: ``grammar`` (generated from a small English-like grammar, ``generated_size``
    sentences) or ``package_texts`` (real text every machine with this project has: the installed Python packages'
    documentation and licences, paragraph-deduplicated, split by a seeded hash of each paragraph; see
    ``data.package_texts``; about 0.9 M / 0.11 M / 0.1 M characters, ``generated_size`` does not apply) or
    ``docstring_topics`` (the texts of the real classification yardstick, ``SentimentDataModule``'s corpus of the same
    name, without labels: training is its training split after every other standard-library module's docstrings,
    validation and test its own splits, so a language model pretrained here for a classifier (ULMFiT) never reads the
    classifier's validation or test texts; about 0.5 M / 0.03 M / 0.03 M characters).

    ``predict`` continues prompts: one per line of ``predict_path``, or the first ``prompt_length`` tokens of the
    first ``num_prompts`` test lines. Prompt tokens outside the vocabulary become ``<unk>`` (counted in the log).

    Args:
        train_path: training text (UTF-8, one line per sentence or paragraph); None generates the embedded corpus.
        val_path: validation text; None holds out the last ``val_fraction`` of the training lines.
        test_path: test text.
        predict_path: prompts, one per line.
        tokenizer: splits lines into tokens (default: characters).
        min_freq: keep tokens seen at least this often in training.
        max_vocab_size: largest vocabulary, specials included.
        sequence_length: time steps per batch window (the model may split it further into TBPTT chunks).
        val_fraction: share of training lines held out (from the end, to keep the text contiguous).
        generated_corpus: the embedded corpus when no ``train_path`` is given: ``grammar``, ``package_texts`` or
            ``docstring_topics``.
        generated_size: training sentences of the embedded grammar (val and test get a tenth each).
        prompt_length: tokens of each test line used as a default prompt.
        num_prompts: default prompts taken from the test lines.
        batch_size: contiguous streams (rows) per batch, per rank.
        seed: seed of the embedded corpus.
    """

    def __init__(
        self,
        train_path: str | None = None,
        val_path: str | None = None,
        test_path: str | None = None,
        predict_path: str | None = None,
        tokenizer: Tokenizer | None = None,
        min_freq: int = 1,
        max_vocab_size: int | None = None,
        sequence_length: int = 100,
        val_fraction: float = 0.1,
        generated_corpus: Literal["grammar", "package_texts", "docstring_topics"] = "grammar",
        generated_size: int = 4000,
        prompt_length: int = 3,
        num_prompts: int = 20,
        batch_size: int = 32,
        seed: int = 0,
    ) -> None:
        super().__init__(batch_size=batch_size, bucketing=False, pool_batches=1, num_workers=0, seed=seed)
        for name, value, minimum in (
            ("sequence_length", sequence_length, 1),
            ("prompt_length", prompt_length, 0),
            ("num_prompts", num_prompts, 1),
        ):
            if value < minimum:
                raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
        if generated_corpus not in EMBEDDED_CORPORA:
            raise ValueError(f"generated_corpus must be one of {list(EMBEDDED_CORPORA)}, got {generated_corpus!r}")
        self.generated_corpus = generated_corpus
        self.paths = {"train": train_path, "val": val_path, "test": test_path, "predict": predict_path}
        self.tokenizer = tokenizer if tokenizer is not None else CharTokenizer()
        self.sequence_length, self.prompt_length, self.num_prompts = sequence_length, prompt_length, num_prompts
        self.val_fraction = val_fraction
        self.load_splits(generated_size=generated_size, val_fraction=val_fraction)
        self.fit_tokenizers({"tokenizer": [text for text, _ in self.records["train"]]})
        train_tokens = [self.tokenizer(text) for text, _ in self.records["train"]]
        if not any(train_tokens):
            raise ValueError(f"the training corpus {train_path or '<generated>'} is empty (0 tokens)")
        self.vocab = Vocabulary.build(train_tokens, min_freq, max_vocab_size)
        self.vocabulary = list(self.vocab.tokens)
        self.vocab_size = len(self.vocab)
        self.ids: dict[str, Tensor] = {}
        self.windows: dict[str, StreamWindows] = {}

    # ------------------------------------------------------------------------------------------------ splits
    def generate(self, split: str, size: int, seed: int) -> list[Line]:
        """``size`` sentences of the embedded grammar, or the package texts' ``split`` (split by ``self.seed``)."""
        if self.generated_corpus == "package_texts":
            return text_lines(package_text_splits(seed=self.seed)[split], f"<package texts {split}>")
        if self.generated_corpus == "docstring_topics":
            rows = [(row.text, row.where) for row in docstring_topic_splits()[split]]
            if split != "train":
                return rows
            others = [(text, f"<other standard-library docstrings>:{i + 1}")
                      for i, text in enumerate(unlabelled_docstring_texts())]
            return others + rows
        return [(text, f"<generated {split}>:{i + 1}") for i, text in enumerate(generate_corpus(size, seed))]

    def read(self, split: str) -> list[Line]:
        """The lines of ``paths[split]``."""
        return read_lines(str(self.paths[split]))

    def read_sources(self) -> dict[str, list[Line]]:
        """The training text, and the validation text.

        Without a validation file, validation is the training text's last ``val_fraction`` of lines, in order (a
        language model's held-out text continues its training text).
        """
        lines = self.read("train")
        if self.paths["val"] is not None:
            return {"train": lines, "val": self.read("val")}
        cut = len(lines) - max(1, round(len(lines) * self.val_fraction))
        if cut < 1:
            raise ValueError(f"{self.paths['train']}: {len(lines)} lines are too few to hold out val")
        return {"train": lines[:cut], "val": lines[cut:]}

    # ------------------------------------------------------------------------------------------------ streams
    def token_ids(self, split: str) -> Tensor:
        """The whole stream of ``split`` ``(N,)``: every line's ids followed by EOS."""
        if split not in self.ids:
            lines = self.split_records(split)
            encoded = [self.vocab.encode(self.tokenizer(text)) for text, _ in lines]
            ids = stream_ids(encoded, EOS_ID)
            if not any(encoded):
                raise ValueError(f"the {split} corpus {self.paths[split] or '<generated>'} is empty (0 tokens)")
            unknown = int((ids == UNK_ID).sum())
            if unknown and split != "train":
                log.warning("%s: %d tokens not in the vocabulary were mapped to <unk>", split, unknown)
            self.ids[split] = ids
        return self.ids[split]

    def _ranks(self) -> tuple[int, int]:
        trainer = self.trainer
        return (trainer.global_rank, trainer.world_size) if trainer is not None else (0, 1)

    def tokens_per_stream(self, split: str) -> int:
        """Tokens in each row's stream of ``split`` on this rank's setup."""
        rank, world = self._ranks()
        return self.token_ids(split).numel() // (self.batch_size * world)

    def streams(self, split: str, rank: int = 0, world_size: int = 1) -> Tensor:
        """The ``(batch_size, n)`` contiguous streams rank ``rank`` of ``world_size`` reads in ``split``."""
        ids = self.token_ids(split)
        rows = self.batch_size * world_size
        if ids.numel() // rows < 2:
            raise ValueError(
                f"the {split} corpus has {ids.numel()} tokens: too few for {self.batch_size} streams x {world_size} "
                f"ranks (each stream needs at least 2 tokens; {rows * 2} in all); lower batch_size or add text"
            )
        left_out = ids.numel() % rows
        if left_out and rank == 0:
            log.info("%s: the last %d of %d tokens do not fill a stream and are left out", split, left_out, ids.numel())
        return arrange_streams(ids, self.batch_size, rank, world_size)

    def unigram_perplexity(self, split: str = "val") -> float:
        """Perplexity of add-one-smoothed training unigram frequencies on ``split`` (the weakest baseline)."""
        return unigram_perplexity(self.token_ids("train"), self.token_ids(split), self.vocab_size)

    def kneser_ney_perplexity(self, split: str = "val", order: int = 7) -> float:
        """Perplexity on ``split`` of an interpolated Kneser-Ney ``order``-gram counted on the training stream.

        The classical baseline a language model must beat, on the very token stream the model reads (end-of-line
        tokens included; ``<unk>`` where the model sees it). Try orders 3-9 and keep the best on ``val``.
        """
        model = KneserNeyLM(order).fit(token_symbols(self.token_ids("train")))
        return model.perplexity(token_symbols(self.token_ids(split)))

    # ------------------------------------------------------------------------------------------------ Lightning
    def setup(self, stage: str | None = None) -> None:
        """Arrange this rank's streams for the stage (or read and encode the prompts for ``predict``)."""
        self.save_tokenizers_when_fitting(stage)
        if stage == "predict":
            self.datasets["predict"] = self._prompts()
            return
        rank, world = self._ranks()
        wanted = {"fit": ["train", "val"], "validate": ["val"], "test": ["test"]}
        for split in wanted.get(stage or "fit", ["train", "val"]):
            if split not in self.windows:
                self.windows[split] = StreamWindows(self.streams(split, rank, world), self.sequence_length)
        if "val" in self.windows and rank == 0 and stage in (None, "fit", "validate"):
            log.info("unigram baseline perplexity on val: %.3f", self.unigram_perplexity("val"))

    def _prompt_lines(self) -> list[Line]:
        if self.paths["predict"] is not None:
            return read_lines(self.paths["predict"])
        test = self.split_records("test")[: self.num_prompts]
        return [(self._prefix(text), where) for text, where in test]

    def _prefix(self, text: str) -> str:
        tokens = self.tokenizer(text)[: self.prompt_length]
        if isinstance(self.tokenizer, SubwordTokenizer):
            return self.tokenizer.detokenize(tokens)
        return "".join(tokens) if isinstance(self.tokenizer, CharTokenizer) else " ".join(tokens)

    def _prompts(self) -> SequenceDataset:
        self._predict_lines = self._prompt_lines()
        encoded = [[EOS_ID, *self.vocab.encode(self.tokenizer(text))] for text, _ in self._predict_lines]
        unknown = sum(ids.count(UNK_ID) for ids in encoded)
        if unknown:
            log.warning("predict: %d prompt tokens not in the vocabulary were mapped to <unk>", unknown)
        return SequenceDataset([torch.tensor(ids, dtype=torch.long) for ids in encoded])

    def inference_inputs(self) -> dict[str, Any]:
        """The tokenizer, and ``<eos>`` before every prompt (as ``lightning-seq predict`` reads prompts)."""
        return text_inputs_spec(self.tokenizer, prefix_ids=[EOS_ID])

    def _stream_loader(self, split: str) -> DataLoader:
        if split not in self.windows:
            raise RuntimeError(f"no {split} streams: call setup() first")
        if split == "train":
            self._train_position = self.windows["train"]
            return ResumableDataLoader(self.windows["train"], batch_size=None, generator=self.loader_generator())
        return DataLoader(self.windows[split], batch_size=None, generator=self.loader_generator())

    def train_dataloader(self) -> DataLoader:
        """Windows of this rank's training streams, in stream order (never shuffled: the state carries)."""
        return self._stream_loader("train")

    def val_dataloader(self) -> DataLoader:
        """Windows of this rank's validation streams, in order."""
        return self._stream_loader("val")

    def test_dataloader(self) -> DataLoader:
        """Windows of this rank's test streams, in order."""
        return self._stream_loader("test")

    def prediction_ids(self) -> list[str]:
        """Where each prompt came from (``file:line`` or the generated test line)."""
        if not hasattr(self, "_predict_lines"):
            self._predict_lines = self._prompt_lines()
        return [where for _, where in self._predict_lines]
