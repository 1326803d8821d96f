"""Tokenizers: text to a list of string tokens. Picked in YAML by ``class_path``."""

from __future__ import annotations

import re
from typing import Protocol, runtime_checkable


class WordTokenizer:
    """Split text into words and punctuation with a regular expression.

    Args:
        lowercase: lowercase the text before splitting.
        pattern: regular expression whose matches are the tokens (default: runs of word characters, or single
            punctuation marks).
    """

    def __init__(self, lowercase: bool = True, pattern: str = r"\w+(?:'\w+)?|[^\w\s]") -> None:
        try:
            self._regex = re.compile(pattern)
        except re.error as err:
            raise ValueError(f"pattern is not a valid regular expression: {pattern!r} ({err})") from err
        self.lowercase = lowercase
        self.pattern = pattern

    def __call__(self, text: str) -> list[str]:
        """Tokenize one text."""
        return self._regex.findall(text.lower() if self.lowercase else text)

    def __repr__(self) -> str:
        return f"WordTokenizer(lowercase={self.lowercase}, pattern={self.pattern!r})"


class CharTokenizer:
    """Split text into characters (whitespace included, so spacing survives).

    Args:
        lowercase: lowercase the text first.
    """

    def __init__(self, lowercase: bool = False) -> None:
        self.lowercase = lowercase

    def __call__(self, text: str) -> list[str]:
        """Tokenize one text."""
        return list(text.lower() if self.lowercase else text)

    def __repr__(self) -> str:
        return f"CharTokenizer(lowercase={self.lowercase})"


@runtime_checkable
class Tokenizer(Protocol):
    """Anything callable as ``tokenizer(text) -> list[str]``; give your own class by ``class_path``."""

    def __call__(self, text: str) -> list[str]:
        """Tokenize one text."""
        ...
