"""Objects named by their import path (``package.module.Name``), as checkpoints and shard indexes store them."""

from __future__ import annotations

import importlib
from typing import Any


def object_at(path: str) -> Any:
    """The object ``path`` names: ``lightning_seq.tasks.classification.SequenceClassifier``.

    Raises:
        ImportError: the module cannot be imported, or holds no such name (the message names ``path``).
    """
    module_name, _, name = path.rpartition(".")
    if not module_name:
        raise ImportError(f"{path!r} is no import path (expected package.module.Name)")
    found = getattr(importlib.import_module(module_name), name, None)
    if found is None:
        raise ImportError(f"{module_name} has no {name!r} (from the import path {path!r})")
    return found
