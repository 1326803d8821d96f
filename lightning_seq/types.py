"""Batch and state containers shared by the whole library, and the shape glossary.

Shape glossary (used in every ``forward`` docstring and shape comment):

* ``B`` batch size, ``T`` padded number of time steps (the longest sequence in the batch),
* ``F`` input feature size (``embedding_dim`` for token inputs),
* ``H`` hidden size of one direction, ``D`` number of directions (2 when bidirectional, else 1),
* ``L`` number of stacked recurrent layers, ``C`` number of classes, ``V`` vocabulary size.

Every batch is batch-first and right-padded; ``lengths`` is an int64 tensor ``(B,)`` with ``1 <= length <= T``.

Also here: the token specials every vocabulary starts with, and the ``Protocol`` ties between tasks and data modules
(what a task may ask of the data module the Trainer runs with), so ``tasks/`` needs nothing from ``data/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple, Protocol, runtime_checkable

from torch import Tensor

if TYPE_CHECKING:
    from PIL import Image

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
SPECIALS = (PAD, UNK, BOS, EOS)
"""The first four tokens of every vocabulary, in this order (``<pad>`` doubles as the CTC blank)."""
PAD_ID, UNK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3
NEVER_GENERATED = (PAD_ID, BOS_ID)
"""Ids no target holds, so decoding never emits them (an undertrained model may still rank them first)."""
UNKNOWN_REFERENCE = "\ufffd"
"""What a reference's ``<unk>`` is scored as when the data gives no text as written: U+FFFD, one character that no
hypothesis holds (hypotheses keep ``<unk>`` or drop it), so an unknown reference token always counts as an error."""


@runtime_checkable
class ChecksCTCLengths(Protocol):
    """A data module that can check every target fits its input under a model's time reduction (CTC)."""

    def check_ctc_lengths(self, time_reduction: int = 1) -> None:
        """Raise naming the first sample whose target is longer than its input allows."""
        ...


@runtime_checkable
class StreamsTokens(Protocol):
    """A data module of contiguous token streams (the language model's truncated BPTT)."""

    sequence_length: int
    """Tokens per window (one batch row)."""

    def tokens_per_stream(self, split: str) -> int:
        """Tokens each stream of ``split`` holds."""
        ...

    def token_ids(self, split: str) -> Tensor:
        """The whole stream of ``split`` ``(N,)``: every line's ids followed by EOS."""
        ...


@runtime_checkable
class HoldsImages(Protocol):
    """A data set whose samples can be shown as images (the OCR contact sheet)."""

    def image(self, index: int) -> Image.Image:
        """Sample ``index`` as the image it was read from."""
        ...


class EncoderState(NamedTuple):
    """Final recurrent state of an encoder, per layer, both directions concatenated.

    Attributes:
        hidden: ``(L, B, D*H)``; for the backward direction this is the state after reading the first step.
        cell: ``(L, B, D*H)`` for LSTM encoders, ``None`` for cells without a cell state (RNN, GRU).
    """

    hidden: Tensor
    cell: Tensor | None


class SequenceBatch(NamedTuple):
    """A padded batch of sequences with their class targets.

    Attributes:
        inputs: ``(B, T)`` int64 token ids (PAD = 0) or ``(B, T, F)`` float features, right-padded.
        lengths: ``(B,)`` int64 number of valid steps per row.
        targets: ``(B,)`` int64 class ids; ``-1`` when the split has no labels (prediction).
        indices: ``(B,)`` int64 position of each row in its data set, so outputs can be put back in input order.
    """

    inputs: Tensor
    lengths: Tensor
    targets: Tensor
    indices: Tensor


class Seq2SeqBatch(NamedTuple):
    """A padded batch of source sequences with the padded target sequences a decoder learns to write (N -> M).

    The batch of translation and of generation from a condition (``EncoderDecoderTask``).

    Attributes:
        inputs: ``(B, T)`` token ids, ``(B, T, F)`` float features or ``(B, 1)`` class ids (a condition),
            right-padded.
        lengths: ``(B,)`` int64 valid input steps.
        targets: ``(B, S)`` int64 target ids, right-padded with 0 (``<pad>``, never a target).
        target_lengths: ``(B,)`` int64 valid target ids per row (0 when the split has no targets).
        indices: ``(B,)`` int64 position of each row in its data set.
        references: the target tokens of each row as written (words missing from the target vocabulary included),
            when the data gives them; evaluation scores against these rather than the ids.
    """

    inputs: Tensor
    lengths: Tensor
    targets: Tensor
    target_lengths: Tensor
    indices: Tensor
    references: list[list[str]] | None = None


class TranscriptionBatch(NamedTuple):
    """A padded batch of feature sequences with their transcripts, aligned monotonically by CTC (N -> M, M <= N).

    The batch of ``CTCTranscriber`` (a row-scanned text line, framed speech).

    Attributes:
        inputs: ``(B, T, F)`` float features, right-padded.
        lengths: ``(B,)`` int64 valid frames.
        targets: ``(B, S)`` int64 transcript ids, right-padded with 0 (``<pad>``, which is also the CTC blank and
            never in a transcript).
        target_lengths: ``(B,)`` int64 transcript length per row (0 when the split has no transcripts).
        indices: ``(B,)`` int64 position of each row in its data set.
        references: the transcript's tokens as written (characters missing from the vocabulary included), when
            the data gives them; evaluation scores against these rather than the ids.
    """

    inputs: Tensor
    lengths: Tensor
    targets: Tensor
    target_lengths: Tensor
    indices: Tensor
    references: list[list[str]] | None = None


class SpokenWord(NamedTuple):
    """A word known to be in a recording: its label and where it is spoken (seconds from the recording start)."""

    label: str
    start: float
    end: float


class LanguageModelBatch(NamedTuple):
    """A window of ``B`` contiguous token streams: row ``r`` of batch ``i + 1`` continues row ``r`` of batch ``i``.

    Attributes:
        inputs: ``(B, T)`` int64 token ids.
        targets: ``(B, T)`` int64 next tokens (``inputs`` shifted left by one step in the stream).
    """

    inputs: Tensor
    targets: Tensor

class ForecastBatch(NamedTuple):
    """A batch of forecast windows: contexts right-padded to the longest, then ``H`` forecast steps.

    Attributes:
        inputs: ``(B, T, C)`` float32 context steps (normalised readings, observed indicators, known inputs).
        lengths: ``(B,)`` int64 context steps of each row.
        future: ``(B, H, F)`` float32 inputs known in advance at the forecast steps (calendar, known columns).
        targets: ``(B, H, K)`` float32 normalised targets (0 where unobserved or unknown).
        observed: ``(B, H, K)`` bool, False where a target was not read (or lies past the data).
        loc: ``(B, K)`` float32 location of each row's series, to return forecasts in original units.
        scale: ``(B, K)`` float32 scale of each row's series (``value = loc + scale * normalised``).
        naive_error: ``(B, K)`` float32 the series' seasonal-naive error on the training span (MASE's divisor).
        indices: ``(B,)`` int64 positions of the windows in their data set.
    """

    inputs: Tensor
    lengths: Tensor
    future: Tensor
    targets: Tensor
    observed: Tensor
    loc: Tensor
    scale: Tensor
    naive_error: Tensor
    indices: Tensor


WORD_MARK = "\u2581"
"""What subword tokenizers (SentencePiece, Hugging Face Metaspace) put in front of a piece that starts a word."""


def join_tokens(tokens: Sequence[str], joiner: str) -> str:
    """Tokens as text: joined by ``joiner``; with ``""``, subword pieces' word marks become spaces.

    ``join_tokens(["a", "b"], " ") == "a b"``, ``join_tokens(["▁new", "▁yo", "rk"], "") == "new york"``.
    """
    text = joiner.join(tokens)
    return text.replace(WORD_MARK, " ").strip() if joiner == "" and WORD_MARK in text else text
