"""Hashed word and character n-gram counts of a text: what a tf-idf linear model reads, without a vocabulary.

Two blocks, as scikit-learn's union of a word vectorizer (``ngram_range=(1, word_order)``) and a ``char_wb``
one (``ngram_range=char_orders``) gives: word n-grams over lowercased words (runs of word characters), and
character n-grams within each word padded by one space on either side. Every n-gram is hashed (CRC-32 of its
block, order and text: the same bucket on every machine and in every process) into ``num_buckets`` columns.
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter
from collections.abc import Sequence
from typing import Literal

from lightning_seq.types import SPECIALS, UNK, UNKNOWN_REFERENCE

_WORD = re.compile(r"\w+")
SUBWORD_MARK = "\u2581"  # SentencePiece's word-start mark


TokenKind = Literal["characters", "pieces", "words"]
"""What a vocabulary's tokens are, so its ids are read back as the text they came from."""


def token_kind(vocabulary: Sequence[str]) -> TokenKind:
    """Decided once per vocabulary: every ordinary token one character, any marked ``▁`` as a piece, or words."""
    ordinary = [t for t in vocabulary if t not in SPECIALS]
    if all(len(t) == 1 for t in ordinary):
        return "characters"
    if any(t.startswith(SUBWORD_MARK) for t in ordinary):
        return "pieces"
    return "words"


def tokens_to_text(tokens: Sequence[str], kind: TokenKind) -> str:
    """The text that tokens of a vocabulary of ``kind`` stand for.

    Characters are joined as they are, pieces at their ``▁`` marks, words by spaces. ``<unk>`` becomes U+FFFD (no
    word of its own); padding and the other specials are left out.
    """
    kept = [UNKNOWN_REFERENCE if t == UNK else t for t in tokens if t == UNK or t not in SPECIALS]
    if kind == "characters":
        return "".join(kept)
    if kind == "pieces":
        return "".join(kept).replace(SUBWORD_MARK, " ").strip()
    return " ".join(kept)


class HashedNgrams:
    """Counts of hashed word and character n-grams, per block.

    Args:
        num_buckets: columns each n-gram is hashed into (shared by both blocks, told apart by the hash).
        word_order: longest word n-gram (0: no word block).
        char_orders: shortest and longest character n-gram within words (``(0, 0)``: no character block).
    """

    def __init__(self, num_buckets: int = 2**18, word_order: int = 2, char_orders: Sequence[int] = (2, 5)) -> None:
        if num_buckets < 2:
            raise ValueError(f"num_buckets must be >= 2, got {num_buckets!r}")
        if not 0 <= word_order <= 4:
            raise ValueError(f"word_order must lie in 0..4, got {word_order!r}")
        low, high = tuple(char_orders) if len(char_orders) == 2 else (None, None)
        if low is None or not ((low, high) == (0, 0) or 1 <= low <= high <= 8):
            raise ValueError(f"char_orders must be (shortest, longest) within 1..8, or (0, 0); got {char_orders!r}")
        if word_order == 0 and high == 0:
            raise ValueError("word_order=0 and char_orders=(0, 0) leave no n-gram to count")
        self.num_buckets, self.word_order, self.char_orders = num_buckets, word_order, (low, high)

    @property
    def num_blocks(self) -> int:
        """How many blocks a text's counts come in (words, characters, or both)."""
        return int(self.word_order > 0) + int(self.char_orders[1] > 0)

    def bucket(self, block: str, order: int, gram: str) -> int:
        """The column of one n-gram."""
        return zlib.crc32(f"{block}{order}\x00{gram}".encode()) % self.num_buckets

    def __call__(self, text: str) -> list[Counter[int]]:
        """One ``Counter`` of bucket -> count per block (words first), for the lowercased ``text``."""
        words = _WORD.findall(text.lower())
        blocks: list[Counter[int]] = []
        if self.word_order > 0:
            grams: Counter[int] = Counter()
            for order in range(1, self.word_order + 1):
                for start in range(len(words) - order + 1):
                    grams[self.bucket("w", order, " ".join(words[start : start + order]))] += 1
            blocks.append(grams)
        low, high = self.char_orders
        if high > 0:
            chars: Counter[int] = Counter()
            for word in words:
                padded = f" {word} "
                for order in range(low, min(high, len(padded)) + 1):
                    for start in range(len(padded) - order + 1):
                        chars[self.bucket("c", order, padded[start : start + order])] += 1
            blocks.append(chars)
        return blocks


def sublinear(count: int) -> float:
    """``1 + ln(count)``: scikit-learn's ``sublinear_tf``."""
    return 1.0 + math.log(count)
