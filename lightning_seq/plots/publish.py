"""Pictures to where a run's results go: a PNG in the log folder and a figure in every TensorBoard log."""

from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl
from matplotlib.figure import Figure
from pytorch_lightning.loggers import TensorBoardLogger


def publish_picture(trainer: pl.Trainer, log_dir: str | None, figure: Figure, filename: str) -> None:
    """Save ``figure`` as ``log_dir/filename`` and add it to each TensorBoard logger of the trainer (rank 0 only).

    ``log_dir`` is passed in because reading ``trainer.log_dir`` is a collective under DDP that every rank must
    make, while only rank 0 publishes. The TensorBoard tag is the file name without its suffix
    (``confusion_matrix``, ``attention_0``), at the trainer's current global step.

    Args:
        trainer: the running trainer (its loggers and global step).
        log_dir: the trainer's log folder, as every rank read it; None writes no file.
        figure: the picture.
        filename: the PNG's name in the log folder.
    """
    if not trainer.is_global_zero:
        return
    if log_dir:
        figure.savefig(Path(log_dir) / filename)
    for logger in trainer.loggers:
        if isinstance(logger, TensorBoardLogger):
            logger.experiment.add_figure(Path(filename).stem, figure, trainer.global_step, close=False)
            logger.experiment.flush()
