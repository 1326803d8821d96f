"""The checkpoint's own entries beside Lightning's: their keys, the format version, and plain hyper-parameters.

A ``SequenceTask`` writes the task's import path, the format and library version, the names (vocabulary, labels)
and the data's preprocessing under these keys; readers (the CLI, ``Predictor``, the server, ``export``) check them
before building anything.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from lightning_seq import __version__
from lightning_seq.tasks.plain_settings import PlainSettings

if TYPE_CHECKING:
    from lightning_seq.tasks.base import SequenceTask

RUN_STATE_KEY = "lightning_seq_run_state"
TASK_KEY = "lightning_seq_task"
PREPROCESSING_KEY = "lightning_seq_preprocessing"
"""The data module's ``inference_inputs()``: how raw inputs become model inputs (``lightning_seq.deploy``)."""
FORMAT_KEY = "lightning_seq_format"
VERSION_KEY = "lightning_seq_version"
CHECKPOINT_FORMAT = 3
"""Checkpoint format this version writes.

3 (0.3.0): the decoder is composed of parts (``decoder.bridge`` became ``decoder.start.bridge`` or
``decoder.context.bridge``, ``decoder.attention`` ``decoder.context.attention``, ``decoder.combine``
``decoder.readout.combine``) and a task's audio features are ``features`` (was ``featurizer``); format 2 still
loads, its keys renamed as they are read. 2 (0.2.0): decoders, attention and decoding strategies are classes
(``decoder: LSTMDecoder``, ``decoding: BeamSearch``); 1 (0.1, no format key): they were strings.
"""


def check_checkpoint_format(checkpoint: dict[str, Any], task: type[SequenceTask], where: str) -> None:
    """Refuse a checkpoint older than the format ``task`` reads, naming the versions instead of failing later.

    Args:
        checkpoint: the loaded checkpoint (its metadata is enough).
        task: the task class that will read it.
        where: the file, for the message.
    """
    if TASK_KEY not in checkpoint:  # not written by a lightning_seq task (a hand-made state): nothing to compare
        return
    saved = checkpoint.get(FORMAT_KEY, 1)  # 0.1 wrote the task's name but no format
    if saved >= task.oldest_readable_format:
        return
    version = checkpoint.get(VERSION_KEY, "0.1")
    raise ValueError(
        f"{where} was written by lightning_seq {version} (checkpoint format {saved}), which {task.__name__} of "
        f"lightning_seq {__version__} cannot read (format {task.oldest_readable_format} and later): its decoder and "
        f"decoding settings became classes (decoder: lightning_seq.nn.LSTMDecoder, decoding: "
        f"lightning_seq.tasks.BeamSearch, ...). Retrain with a current recipe, or use lightning_seq {version} for this "
        f"checkpoint"
    )


def import_path(cls: type) -> str:
    """``module.Class`` of a class, as stored in checkpoints."""
    return f"{cls.__module__}.{cls.__qualname__}"


def plain_hyperparameter(value: Any) -> Any:
    """A factory hyper-parameter as plain data: ``functools.partial(Cls, a=1)`` -> ``{"class_path", "init_args"}``.

    The form LightningCLI writes, so checkpoints of models built in Python load weights-only too and rebuild
    through the same instantiator. Values that have no such form (lambdas, positional arguments) are kept as they
    are (and need ``weights_only=False`` to load).
    """
    if isinstance(value, functools.partial) and not value.args and isinstance(value.func, type):
        if "<locals>" in value.func.__qualname__:
            return value
        init_args = {k: plain_hyperparameter(v) for k, v in value.keywords.items()}
        return {"class_path": import_path(value.func), "init_args": init_args}
    if isinstance(value, PlainSettings):
        return value.hyperparameters()
    if isinstance(value, type) and "<locals>" not in value.__qualname__:
        return {"class_path": import_path(value)}
    return value


__all__ = [
    "CHECKPOINT_FORMAT",
    "FORMAT_KEY",
    "PREPROCESSING_KEY",
    "RUN_STATE_KEY",
    "TASK_KEY",
    "VERSION_KEY",
    "check_checkpoint_format",
    "import_path",
    "plain_hyperparameter",
]
