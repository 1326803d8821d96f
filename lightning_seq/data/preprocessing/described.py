"""Objects a checkpoint can rebuild without their YAML: ``{"class_path", "init_args"}`` read from the object itself.

A tokenizer (or any other small configured object of the preprocessing) is described by its import path and the
value of each constructor argument, read back from the attribute of the same name; a trained subword tokenizer also
keeps its model bytes. Only plain values (``None``, booleans, numbers, strings and lists or dicts of them) are
kept, so the description loads with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import inspect
from typing import Any

from lightning_seq.data.text.subword import SubwordTokenizer
from lightning_seq.objects import object_at

PLAIN = (type(None), bool, int, float, str)


def is_plain(value: Any) -> bool:
    """Whether ``value`` is ``None``, a boolean, number or string, or a list/tuple/dict of such values."""
    if isinstance(value, PLAIN):
        return True
    if isinstance(value, list | tuple):
        return all(is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_plain(v) for k, v in value.items())
    return False


def describe(obj: Any) -> dict[str, Any]:
    """``obj`` as ``{"class_path", "init_args"}`` (and ``"model"`` bytes for a trained subword tokenizer).

    Raises:
        ValueError: when a constructor argument is not kept as an attribute of the same name, or is not plain data;
            the message names the class and the argument.
    """
    cls = type(obj)
    class_path = f"{cls.__module__}.{cls.__qualname__}"
    init_args: dict[str, Any] = {}
    for name, parameter in inspect.signature(cls.__init__).parameters.items():
        if name == "self" or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if not hasattr(obj, name):
            raise ValueError(
                f"{class_path} cannot be stored for inference: its argument {name!r} is not kept as an attribute of "
                f"the same name"
            )
        value = getattr(obj, name)
        if not is_plain(value):
            raise ValueError(
                f"{class_path} cannot be stored for inference: its argument {name!r} holds a value of type "
                f"{type(value).__name__}, not plain data"
            )
        init_args[name] = list(value) if isinstance(value, tuple) else value
    description: dict[str, Any] = {"class_path": class_path, "init_args": init_args}
    if isinstance(obj, SubwordTokenizer):
        description["init_args"]["model_path"] = None  # the training run's file: the bytes travel instead
        description["model"] = obj.to_bytes()
    return description


def rebuild(description: dict[str, Any]) -> Any:
    """The object ``describe`` described (a subword tokenizer with its model loaded)."""
    cls = object_at(description["class_path"])
    obj = cls(**description["init_args"])
    if "model" in description:
        obj.load_bytes(description["model"], "<checkpoint>")
    return obj
