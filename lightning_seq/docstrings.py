"""Argument descriptions shared by several classes, written once and appended to each class's docstring.

The CLI's ``--help`` reads every constructor argument's description from its class's docstring, and Python has no
way to inherit part of a docstring; ``append_args`` joins a shared block onto the ``Args:`` section a class ends with.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T", bound=type)


def append_args(shared: str) -> Callable[[T], T]:
    """A class decorator that appends ``shared`` (Google-style ``name: description`` lines) to the ``Args:`` section.

    The class docstring must end with its ``Args:`` section, or have none (one is started). ``shared`` is written
    with the indentation of a class docstring's arguments (eight spaces).
    """

    def decorate(cls: T) -> T:
        doc = (cls.__doc__ or "").rstrip()
        if "Args:" not in doc:
            doc += "\n\n    Args:"
        cls.__doc__ = doc + "\n" + shared.strip("\n") + "\n    "
        return cls

    return decorate
