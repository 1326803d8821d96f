"""Pictures to where a run's results go: a PNG in the log folder and an image in every TensorBoard log."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytorch_lightning as pl
from PIL import Image
from pytorch_lightning.loggers import TensorBoardLogger


def publish_picture(trainer: pl.Trainer, log_dir: str | None, image: Image.Image, filename: str) -> None:
    """Save ``image`` as ``log_dir/filename`` and add it to each TensorBoard logger of the trainer (rank 0 only).

    ``log_dir`` is passed in because reading ``trainer.log_dir`` is a collective under DDP that every rank must
    make, while only rank 0 publishes. The TensorBoard tag is the file name without its suffix
    (``confusion_matrix``, ``attention_0``), at the trainer's current global step.

    Args:
        trainer: the running trainer (its loggers and global step).
        log_dir: the trainer's log folder, as every rank read it; None writes no file.
        image: the picture.
        filename: the PNG's name in the log folder.
    """
    if not trainer.is_global_zero:
        return
    if log_dir:
        image.save(Path(log_dir) / filename)
    pixels = None
    for logger in trainer.loggers:
        if isinstance(logger, TensorBoardLogger):
            if pixels is None:
                pixels = np.asarray(image.convert("RGB"))  # (H, W, 3) uint8
            logger.experiment.add_image(Path(filename).stem, pixels, trainer.global_step, dataformats="HWC")
            logger.experiment.flush()
