"""What every task shares: the constructor, building encoders and front-ends, the names it holds, checkpoint hooks.

The rest comes from one mixin per concern: names through ``TaskNames`` (``names.py``), the run state an exact
resume needs through ``ResumableRun`` (``run_state.py``), the injected optimizer and the sizing of its schedule
through ``InjectedOptimization`` (``optimization.py``), losses weighted and logged over steps, epochs and ranks
through ``WeightedLossLogging`` (``loss_logging.py``), pretrained word vectors through ``PretrainedEmbeddings``
(``pretrained.py``) and audio features computed in the model through ``InModelFeatures``
(``in_model_features.py``); the checkpoint's own entries are defined in ``checkpoint_format.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pytorch_lightning as pl
import torch
from pytorch_lightning.cli import LRSchedulerCallable, OptimizerCallable
from typing_extensions import Self

from lightning_seq import __version__
from lightning_seq.nn.encoder import EncoderFactory, SequenceEncoder
from lightning_seq.nn.frontend import FrontEndFactory, SequenceFrontEnd
from lightning_seq.tasks.checkpoint_format import (
    CHECKPOINT_FORMAT,
    FORMAT_KEY,
    PREPROCESSING_KEY,
    TASK_KEY,
    VERSION_KEY,
    check_checkpoint_format,
    import_path,
    plain_hyperparameter,
)
from lightning_seq.tasks.in_model_features import InModelFeatures
from lightning_seq.tasks.loss_logging import WeightedLossLogging
from lightning_seq.tasks.names import TaskNames
from lightning_seq.tasks.optimization import InjectedOptimization
from lightning_seq.tasks.pretrained import PretrainedEmbeddings
from lightning_seq.tasks.run_state import ResumableRun


class SequenceTask(
    TaskNames,
    ResumableRun,
    InjectedOptimization,
    WeightedLossLogging,
    PretrainedEmbeddings,
    InModelFeatures,
    pl.LightningModule,
):
    """Base LightningModule: injected optimizer and scheduler, and optional in-model input features.

    Audio framing can run inside the model (on its accelerator) when a data module links ``input_features``.
    Vocabularies and label names are not constructor arguments: they come from the data module in ``setup`` or
    from a checkpoint, and travel in checkpoints as plain state (see ``lightning_seq.tasks.names``).

    Args:
        optimizer: ``params -> Optimizer``; in YAML a ``class_path`` with ``init_args`` (default AdamW, lr 1e-3).
        lr_scheduler: ``optimizer -> scheduler``, or None for a constant learning rate.
        scheduler_interval: step the scheduler every ``epoch`` or every optimizer ``step``.
        scheduler_monitor: metric a ``ReduceLROnPlateau`` scheduler watches.
        input_features: settings of ``AudioFeatures`` (linked from a data module with ``features_on_device``);
            inputs are then waveforms ``(B, N)`` and become frame features inside the model.
    """

    oldest_readable_format: int = 1
    """The oldest checkpoint format this task's constructor accepts (raised by tasks whose arguments changed)."""

    def __init__(
        self,
        *,
        optimizer: OptimizerCallable = torch.optim.AdamW,
        lr_scheduler: LRSchedulerCallable | None = None,
        scheduler_interval: Literal["epoch", "step"] = "epoch",
        scheduler_monitor: str = "val/loss",
        input_features: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        if scheduler_interval not in ("epoch", "step"):
            raise ValueError(f"scheduler_interval must be 'epoch' or 'step', got {scheduler_interval!r}")
        self.optimizer_factory = optimizer
        self.scheduler_factory = lr_scheduler
        self.scheduler_interval = scheduler_interval
        self.scheduler_monitor = scheduler_monitor
        self.use_features(input_features)
        self.start_loss_logging()

    @staticmethod
    def build_encoder(encoder: EncoderFactory, input_size: int) -> SequenceEncoder:
        """The encoder ``encoder(input_size)`` builds, refused unless it is a ``SequenceEncoder``."""
        built = encoder(input_size)
        if not isinstance(built, SequenceEncoder):
            raise TypeError(f"encoder must build a SequenceEncoder, got {type(built).__name__}")
        return built

    @staticmethod
    def build_frontend(frontend: FrontEndFactory | None, feature_size: int) -> tuple[SequenceFrontEnd | None, int]:
        """The front-end over ``feature_size`` features (None without a factory) and the size the encoder reads."""
        if frontend is None:
            return None, feature_size
        built = frontend(feature_size)
        if not isinstance(built, SequenceFrontEnd):
            raise TypeError(f"frontend must build a SequenceFrontEnd, got {type(built).__name__}")
        return built, built.output_size

    def export_blocker(self) -> str | None:
        """Why this task's computation cannot become a traced graph, or None when it can (asked by ``export``)."""
        return None

    @property
    def datamodule(self) -> pl.LightningDataModule | None:
        """The data module of the Trainer this task runs under, or None (no Trainer, or loaders given directly)."""
        return getattr(self._trainer, "datamodule", None) if self._trainer is not None else None

    @property
    def vocabulary(self) -> list[str] | None:
        """(Source) tokens by id, from the data or the checkpoint; None until known."""
        return self.names("vocabulary")

    @property
    def label_names(self) -> list[str] | None:
        """Class names by id, from the data or the checkpoint; None until known."""
        return self.names("label_names")

    @property
    def target_vocabulary(self) -> list[str] | None:
        """Target tokens by id (specials first), from the data or the checkpoint; None until known."""
        return self.names("target_vocabulary")

    def setup(self, stage: str) -> None:
        """Take the names of the data module the Trainer runs with; before fitting, load pretrained embeddings.

        Pretrained vectors are read once, for a model whose weights did not come from a checkpoint (when ``fit``
        resumes from one, the restored weights replace them right after).
        """
        datamodule = self.datamodule
        if datamodule is not None:
            self.names_from(datamodule, "data")
        if stage == "fit":
            self.load_pretrained_embeddings()

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Store the task's import path, its names and ``run_state`` (plain strings and tensors: weights-only)."""
        checkpoint[TASK_KEY] = import_path(type(self))
        checkpoint[FORMAT_KEY], checkpoint[VERSION_KEY] = CHECKPOINT_FORMAT, __version__
        self.store_run_state(checkpoint)
        self.save_names(checkpoint)
        describe_inputs = getattr(getattr(self._trainer, "datamodule", None), "inference_inputs", None)
        if callable(describe_inputs):  # the preprocessing, so a predictor needs the checkpoint alone
            checkpoint[PREPROCESSING_KEY] = describe_inputs()
        hparams = checkpoint.get("hyper_parameters")
        if hparams is not None and "_instantiator" not in hparams:  # built in Python, not by the CLI
            plain = {key: plain_hyperparameter(value) for key, value in hparams.items()}
            if plain != hparams:
                checkpoint["hyper_parameters"] = {
                    **plain,
                    "_class_path": import_path(type(self)),
                    "_instantiator": "pytorch_lightning.cli.instantiate_module",
                }

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Refuse a checkpoint of another task or an older format; take its names; restore this rank's ``run_state``."""
        check_checkpoint_format(checkpoint, type(self), "the checkpoint")
        written_by = checkpoint.get(TASK_KEY)
        if written_by is not None and written_by != import_path(type(self)):
            raise ValueError(
                f"the checkpoint was written by {written_by}, not by {import_path(type(self))}: use the config "
                f"(recipe) it was trained with"
            )
        self.load_names(checkpoint)
        self.keep_trained_embeddings()
        self.restore_run_state(checkpoint)

    @classmethod
    def load_from_checkpoint(  # type: ignore[override]
        cls,
        checkpoint_path: str | Path,
        map_location: Any = None,
        hparams_file: str | Path | None = None,
        strict: bool | None = None,
        weights_only: bool | None = None,
        **kwargs: Any,
    ) -> Self:
        """Lightning's ``load_from_checkpoint``, after refusing a checkpoint of an older format by name.

        An old checkpoint's hyper-parameters no longer fit the constructor; the check reads the file's metadata
        (memory-mapped, not the weights) so the error names the versions instead of an argument. ``kwargs`` are
        Lightning's hyper-parameter overrides.
        """
        if isinstance(checkpoint_path, str | Path) and Path(checkpoint_path).is_file():
            meta = torch.load(checkpoint_path, map_location="cpu", weights_only=True, mmap=True)
            check_checkpoint_format(meta, cls, str(checkpoint_path))
        loader = super().load_from_checkpoint
        return loader(checkpoint_path, map_location, hparams_file, strict, weights_only, **kwargs)
