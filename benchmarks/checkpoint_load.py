"""Benchmark 8: checkpoint load time against the vocabulary size (it must stay flat).

    python benchmarks/checkpoint_load.py [--size tiny|default|full]

A small ``SequenceClassifier`` (embedding 4, GRU-4) is saved with vocabularies of several sizes, then
``SequenceClassifier.load_from_checkpoint`` (weights-only, through the CLI's instantiator, as a checkpoint written
by ``lightning-seq fit`` loads) is timed for each, interleaved. Vocabularies travel as checkpoint state, never as
hyper-parameters: before, jsonargparse deep-copied and type-checked every word, and a 42,780-word vocabulary took
over ten minutes. Prints JSON: seconds per load (min, median) by vocabulary size and each size's ratio to the
smallest (target: <= 2).
"""

from __future__ import annotations

import functools
import logging
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
from harness import Settings, interleave, main, row

from lightning_seq.nn import GRUEncoder
from lightning_seq.tasks import SequenceClassifier

SIZES = {
    "tiny": {"vocabularies": [100, 5_000], "repeats": 2},
    "default": {"vocabularies": [100, 10_000, 100_000], "repeats": 5},
    "full": {"vocabularies": [100, 10_000, 100_000, 200_000], "repeats": 5},
    "gpu": {"vocabularies": [100, 10_000, 100_000], "repeats": 5},
}


def save(path: Path, vocab_size: int) -> None:
    """Write the checkpoint of a small classifier whose vocabulary has ``vocab_size`` words."""
    model = SequenceClassifier(
        num_classes=2, vocab_size=vocab_size, embedding_dim=4, encoder=functools.partial(GRUEncoder, hidden_size=4)
    )
    model.set_names(vocabulary=[f"word{i}" for i in range(vocab_size)], label_names=["negative", "positive"])
    trainer = pl.Trainer(logger=False, enable_checkpointing=False, accelerator="cpu", enable_progress_bar=False,
                         enable_model_summary=False)
    trainer.strategy.connect(model)
    trainer.save_checkpoint(path)


def run(settings: Settings) -> dict[str, Any]:
    """Save one checkpoint per vocabulary size, then time ``load_from_checkpoint`` of each, in turn."""
    size = SIZES[settings.size]
    sizes = size["vocabularies"]
    logging.getLogger("pytorch_lightning").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        paths = {v: Path(folder) / f"vocab{v}.ckpt" for v in sizes}
        for vocab_size, path in paths.items():
            save(path, vocab_size)
        loaded: dict[int, int] = {}

        def load(vocab_size: int) -> None:
            model = SequenceClassifier.load_from_checkpoint(paths[vocab_size], weights_only=True)
            loaded[vocab_size] = len(model.vocabulary)

        timings = interleave({str(v): functools.partial(load, v) for v in sizes}, size["repeats"], settings)
    smallest = timings[str(sizes[0])]
    rows = []
    for vocab_size in sizes[1:]:
        ratio = timings[str(vocab_size)].min / smallest.min
        rows.append(row("8 Checkpoint load", f"load_from_checkpoint s, {vocab_size} vs {sizes[0]} words",
                        timings[str(vocab_size)].min, smallest.min, ratio, "<= 2", ratio <= 2))
    return {
        "benchmark": "checkpoint_load",
        "settings": vars(settings) | size,
        "seconds": {v: timings[str(v)].summary() for v in sizes},
        "vocabulary_loaded": loaded,
        "rows": rows,
    }


if __name__ == "__main__":
    main(run, __doc__.splitlines()[0])
