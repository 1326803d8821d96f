"""Raw texts to the token ids a text model reads, exactly as its training data module encoded them."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from lightning_seq.data.preprocessing.described import rebuild
from lightning_seq.data.preprocessing.inputs import TEXT_KIND
from lightning_seq.data.text.tokenizers import Tokenizer
from lightning_seq.data.text.vocab import Vocabulary
from lightning_seq.deploy.limits import check_steps
from lightning_seq.types import UNK_ID

log = logging.getLogger(__name__)


class TextInputs:
    """Texts to token-id tensors ``(T,)``: tokenizer, vocabulary (unknown tokens to ``<unk>``), prefix, limit.

    Args:
        tokenizer: splits a text into tokens.
        vocabulary: tokens by id (the model's).
        prefix_ids: ids put before every text; with a prefix an empty text is a valid input (a language model
            continues from nothing).
        max_length: truncate longer texts to this many tokens (with a warning), as the data module did in
            training; None keeps them whole.
    """

    kind = TEXT_KIND

    def __init__(
        self,
        tokenizer: Tokenizer,
        vocabulary: Vocabulary,
        prefix_ids: Sequence[int] = (),
        max_length: int | None = None,
    ) -> None:
        if max_length is not None and max_length < 1:
            raise ValueError(f"max_length must be >= 1 or None, got {max_length!r}")
        self.tokenizer = tokenizer
        self.vocabulary = vocabulary
        self.prefix_ids = list(prefix_ids)
        self.max_length = max_length

    @classmethod
    def from_spec(cls, spec: dict[str, Any], vocabulary: Sequence[str]) -> TextInputs:
        """Rebuild from ``text_inputs_spec``'s dict and the model's vocabulary."""
        return cls(rebuild(spec["tokenizer"]), Vocabulary(vocabulary), spec["prefix_ids"], spec["max_length"])

    def check(self, value: Any, position: int) -> str:
        """``value`` as a text, or an error naming ``position`` (not a string; empty without a prefix)."""
        if not isinstance(value, str):
            raise TypeError(f"input {position}: expected a text (str), got {type(value).__name__}")
        if not self.prefix_ids and not value.strip():
            raise ValueError(f"input {position}: empty text")
        return value

    def encode(self, value: Any, position: int, max_steps: int | None = None) -> Tensor:
        """One text to ids ``(T,)`` (``prefix_ids`` first); errors name ``position``.

        Args:
            value: the text.
            position: the input's position (errors name it).
            max_steps: the most token ids (prefix included) the text may give; more raise ``InputTooLong``.
        """
        ids = self.vocabulary.encode(self.tokenizer(self.check(value, position)))
        if not ids and not self.prefix_ids:
            raise ValueError(f"input {position}: the text has no tokens after tokenization: {value[:60]!r}")
        if self.max_length is not None and len(ids) > self.max_length:
            log.warning("input %d: truncated from %d to max_length=%d tokens", position, len(ids), self.max_length)
            ids = ids[: self.max_length]
        check_steps(len(self.prefix_ids) + len(ids), max_steps, position)
        if UNK_ID in ids:
            log.info("input %d: %d tokens not in the vocabulary were read as <unk>", position, ids.count(UNK_ID))
        return torch.tensor([*self.prefix_ids, *ids], dtype=torch.long)

    def describe_input(self, value: Any) -> str:
        """The input as written beside its prediction (the text itself)."""
        return str(value)
