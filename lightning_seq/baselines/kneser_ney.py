"""Interpolated Kneser-Ney character n-gram language model: the classical baseline a character LM must beat.

Chen & Goodman's interpolated form with one absolute discount per order. The highest order counts how often each
n-gram occurs; every lower order counts its *continuations* (how many different characters precede a gram), so a
character that is frequent only inside one common word does not get a large unigram probability. Each order gives
up ``D`` per distinct continuation of a context and passes that mass to the next lower order; the lowest order
interpolates with a uniform distribution over the training characters plus one slot for characters never seen,
so every character of any text gets a probability above zero.

The text is read as one stream: each character is predicted from up to ``order - 1`` characters before it (fewer
at the start), newlines included, exactly as the character LM recipe reads its corpus.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

from torch import Tensor

MAX_SYMBOL = 0x10FFFF


def token_symbols(ids: Tensor) -> str:
    """A token-id stream ``(N,)`` as a string of one character per token (id ``i`` is ``chr(i)``).

    So the model counts any tokens (words, subword pieces) as it counts characters, on exactly the stream a
    language model reads (end-of-line tokens included).
    """
    values = ids.flatten().tolist()
    if values and (min(values) < 0 or max(values) > MAX_SYMBOL):
        raise ValueError(f"token ids must lie in [0, {MAX_SYMBOL}], got {min(values)}..{max(values)}")
    return "".join(map(chr, values))


class KneserNeyLM:
    """Interpolated Kneser-Ney character n-gram model.

    Args:
        order: n, the longest gram (context of ``order - 1`` characters); at least 1.
        discount: the absolute discount of every order, in (0, 1); None estimates one per order from the counts
            of counts, ``n1 / (n1 + 2 * n2)`` (Ney's estimate).
    """

    def __init__(self, order: int = 5, discount: float | None = None) -> None:
        if isinstance(order, bool) or not isinstance(order, int) or order < 1:
            raise ValueError(f"order must be an integer >= 1, got {order!r}")
        if discount is not None and not 0.0 < discount < 1.0:
            raise ValueError(f"discount must lie in (0, 1), got {discount!r}")
        self.order = order
        self.fixed_discount = discount
        self.counts: list[dict[str, int]] = []  # counts[k - 1][gram of k characters]: raw (k = n) or continuation
        self.totals: list[dict[str, int]] = []  # totals[k - 1][context of k - 1 characters]: sum of its counts
        self.distinct: list[dict[str, int]] = []  # distinct[k - 1][context]: characters seen after it
        self.discounts: list[float] = []
        self.vocabulary: set[str] = set()

    def fit(self, text: str) -> KneserNeyLM:
        """Count ``text`` (one stream of characters); returns the model."""
        if len(text) < 2:
            raise ValueError(f"the training text needs at least 2 characters, got {len(text)}")
        n = self.order
        raw = Counter(text[i : i + n] for i in range(len(text) - n + 1)) if len(text) >= n else Counter()
        levels: list[dict[str, int]] = [dict(raw)]
        for _ in range(n - 1):  # each lower order: the distinct left neighbours of every gram (continuations)
            levels.append(dict(Counter(gram[1:] for gram in levels[-1])))
        self.counts = list(reversed(levels))  # counts[k - 1]: k-grams (one only at the stream's start has none)
        self.totals, self.distinct, self.discounts = [], [], []
        for grams in self.counts:
            totals: Counter[str] = Counter()
            distinct: Counter[str] = Counter()
            for gram, count in grams.items():
                totals[gram[:-1]] += count
                distinct[gram[:-1]] += 1
            self.totals.append(dict(totals))
            self.distinct.append(dict(distinct))
            estimated = self._discount(grams.values()) if self.fixed_discount is None else self.fixed_discount
            self.discounts.append(estimated)
        self.vocabulary = set(text)
        return self

    @staticmethod
    def _discount(counts: Iterable[int]) -> float:
        """Ney's estimate ``n1 / (n1 + 2 * n2)`` from how many grams were counted once and twice (0.5 without)."""
        of_counts = Counter(counts)
        n1, n2 = of_counts.get(1, 0), of_counts.get(2, 0)
        if n1 == 0 or n2 == 0:
            return 0.5
        return min(max(n1 / (n1 + 2 * n2), 0.05), 0.95)

    def _check_fitted(self) -> None:
        if not self.counts:
            raise RuntimeError("the model is not fitted: call fit(text) first")

    def probability(self, context: str, char: str) -> float:
        """P(``char`` | the last ``order - 1`` characters of ``context``)."""
        self._check_fitted()
        if len(char) != 1:
            raise ValueError(f"char must be one character, got {char!r}")
        return self._probability(context, char)

    def _probability(self, context: str, char: str) -> float:
        """``probability`` without its checks (the caller made them once)."""
        p = 1.0 / (len(self.vocabulary) + 1)  # uniform over the training characters and one unseen slot
        for k in range(1, self.order + 1):
            if k - 1 > len(context):
                break
            history = context[len(context) - (k - 1) :] if k > 1 else ""
            total = self.totals[k - 1].get(history, 0)
            if total == 0:
                continue  # an unseen context passes its whole mass down
            discount = self.discounts[k - 1]
            count = self.counts[k - 1].get(history + char, 0)
            p = max(count - discount, 0.0) / total + discount * self.distinct[k - 1][history] / total * p
        return p

    def log2_likelihood(self, text: str, history: str = "") -> float:
        """Summed log2-probability of every character of ``text``, each given what precedes it (``history`` first)."""
        self._check_fitted()
        stream = history + text
        start = len(history)
        keep = self.order - 1
        return sum(math.log2(self._probability(stream[max(0, i - keep) : i], stream[i]))
                   for i in range(start, len(stream)))

    def bits_per_character(self, text: str, history: str = "") -> float:
        """Mean negative log2-probability per character of ``text``."""
        if not text:
            raise ValueError("cannot score an empty text")
        return -self.log2_likelihood(text, history) / len(text)

    def perplexity(self, text: str, history: str = "") -> float:
        """Per-character perplexity of ``text``: ``2 ** bits_per_character``."""
        return 2.0 ** self.bits_per_character(text, history)
