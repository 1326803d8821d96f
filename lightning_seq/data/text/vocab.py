"""Vocabulary: tokens <-> ids, with the specials PAD=0, UNK=1, BOS=2, EOS=3."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from lightning_seq.types import BOS, BOS_ID, EOS, EOS_ID, PAD, PAD_ID, SPECIALS, UNK, UNK_ID

__all__ = ["BOS", "BOS_ID", "EOS", "EOS_ID", "PAD", "PAD_ID", "SPECIALS", "UNK", "UNK_ID", "Vocabulary"]


class Vocabulary:
    """An ordered list of tokens; the position of a token is its id. The four specials come first.

    Args:
        tokens: every token by id, specials included (as built by ``build`` or read by ``load``).
    """

    def __init__(self, tokens: Sequence[str]) -> None:
        tokens = list(tokens)
        if tuple(tokens[: len(SPECIALS)]) != SPECIALS:
            raise ValueError(f"a vocabulary must start with {list(SPECIALS)}, got {tokens[:4]}")
        if len(set(tokens)) != len(tokens):
            dupes = sorted(t for t, n in Counter(tokens).items() if n > 1)
            raise ValueError(f"duplicate tokens in vocabulary: {dupes[:10]}")
        self.tokens = tokens
        self._ids = {token: index for index, token in enumerate(tokens)}

    @classmethod
    def build(cls, texts: Iterable[Sequence[str]], min_freq: int = 1, max_size: int | None = None) -> Vocabulary:
        """Count tokens and keep the frequent ones: by count (descending), ties alphabetical.

        Args:
            texts: tokenized texts (the training split only).
            min_freq: keep tokens seen at least this often.
            max_size: keep at most this many tokens, specials included (None: no limit).
        """
        if min_freq < 1:
            raise ValueError(f"min_freq must be >= 1, got {min_freq!r}")
        if max_size is not None and max_size <= len(SPECIALS):
            raise ValueError(f"max_vocab_size must be > {len(SPECIALS)} (the specials), got {max_size!r}")
        counts = Counter(token for text in texts for token in text)
        for special in SPECIALS:
            counts.pop(special, None)
        ranked = sorted((item for item in counts.items() if item[1] >= min_freq), key=lambda kv: (-kv[1], kv[0]))
        if max_size is not None:
            ranked = ranked[: max_size - len(SPECIALS)]
        return cls(list(SPECIALS) + [token for token, _ in ranked])

    @classmethod
    def load(cls, path: str | Path) -> Vocabulary:
        """Read a vocabulary saved by ``save``: one token per line, in id order."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"vocabulary file not found: {path}")
        return cls(path.read_text(encoding="utf-8").split("\n")[:-1])

    def save(self, path: str | Path) -> None:
        """Write one token per line, in id order."""
        bad = [t for t in self.tokens if "\n" in t]
        if bad:
            raise ValueError(f"tokens containing a newline cannot be saved one per line: {bad[:5]}")
        Path(path).write_text("".join(token + "\n" for token in self.tokens), encoding="utf-8")

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Map tokens to ids; unknown tokens become ``UNK_ID``."""
        return [self._ids.get(token, UNK_ID) for token in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Map ids back to tokens."""
        return [self.tokens[i] for i in ids]

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: object) -> bool:
        return token in self._ids

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and other.tokens == self.tokens

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} tokens)"
