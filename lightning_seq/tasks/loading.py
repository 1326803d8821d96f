"""A task from its checkpoint alone: the class comes from the checkpoint's own entry, not from a config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from lightning_seq.objects import object_at
from lightning_seq.tasks.base import SequenceTask
from lightning_seq.tasks.checkpoint_format import TASK_KEY


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """A lightning_seq checkpoint's entries, memory-mapped (the weights are not read until used).

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: the file was not written by a lightning_seq task.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    meta = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    if TASK_KEY not in meta:
        raise ValueError(f"{path} was not written by a lightning_seq task (no {TASK_KEY!r} entry)")
    return meta


def load_task(path: str | Path, map_location: str | torch.device = "cpu") -> SequenceTask:
    """The task a checkpoint was written by, loaded from it (weights-only: plain data), in eval mode.

    Args:
        path: a ``.ckpt`` written by ``lightning-seq fit`` (or ``Trainer.save_checkpoint`` of a task).
        map_location: where the weights go (``cpu``, ``cuda:0``).
    """
    task_class = object_at(read_checkpoint(path)[TASK_KEY])
    return task_class.load_from_checkpoint(path, map_location=map_location).eval()


__all__ = ["load_task", "read_checkpoint"]
