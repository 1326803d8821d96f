"""What every task shares: the constructor, encoders and front-ends, loss weighting and logging, checkpoint hooks.

Names travel through ``TaskNames`` (``names.py``), the run state an exact resume needs through ``ResumableRun``
(``run_state.py``), the injected optimizer and the sizing of its schedule through ``InjectedOptimization``
(``optimization.py``); the checkpoint's own entries are defined in ``checkpoint_format.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, NamedTuple

import pytorch_lightning as pl
import torch
from pytorch_lightning.cli import LRSchedulerCallable, OptimizerCallable
from torch import Tensor, nn
from torchmetrics import MeanMetric
from typing_extensions import Self

from lightning_seq import __version__
from lightning_seq.nn.audio_features import AudioFeatures
from lightning_seq.nn.embedding import load_pretrained_vectors
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
from lightning_seq.tasks.names import TaskNames
from lightning_seq.tasks.optimization import InjectedOptimization
from lightning_seq.tasks.run_state import ResumableRun


class MeanLoss(NamedTuple):
    """A loss that is a mean, and what it is a mean over.

    Attributes:
        value: the scalar loss.
        count: its denominator, a scalar tensor: rows, the summed class weights of the targets (a weighted
            cross-entropy), target tokens, or sequences (CTC's per-sequence mean). Epoch means, evaluation losses
            and the DDP rescaling of ``global_mean`` all weight by it, so a loss is averaged over what it averages.
    """

    value: Tensor
    count: Tensor


class SequenceTask(TaskNames, ResumableRun, InjectedOptimization, pl.LightningModule):
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
        self.featurizer = AudioFeatures.from_config(input_features) if input_features is not None else None
        # evaluation losses weighted by their denominators, summed over ranks by torchmetrics (not checkpointed)
        self.eval_losses = torch.nn.ModuleDict({"val": MeanMetric(), "test": MeanMetric()})
        self._train_loss_sum: Tensor | None = None  # denominator-weighted sum over the epoch, on the device
        self._train_loss_weight: Tensor | None = None  # the summed denominators, on the device
        self._state_epoch: int | None = None  # the training epoch the epoch state (loss sum, ...) belongs to
        self._pretrained_loaded = False  # pretrained vectors read, or weights restored from a checkpoint

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

    def pretrained_tables(self) -> list[tuple[nn.Embedding, str, str]]:
        """Embedding tables to fill from pretrained vector files: ``(table, names key, file)``; none by default."""
        return []

    def load_pretrained_embeddings(self) -> None:
        """Fill every table of ``pretrained_tables`` from its file by the names it is indexed with (once)."""
        if self._pretrained_loaded:
            return
        for table, key, path in self.pretrained_tables():
            names = self.names(key)
            if names is None:
                raise ValueError(
                    f"pretrained embeddings {path} need the {key} to look words up: train with a data module that "
                    f"has one, or call set_names({key}=...) first"
                )
            load_pretrained_vectors(table, names, path)
        self._pretrained_loaded = True

    def featurize(self, inputs: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """Waveforms ``(B, N)`` to features ``(B, T, F)`` and frame lengths when ``input_features`` is set."""
        if self.featurizer is None:
            return inputs, lengths
        return self.featurizer(inputs, lengths)

    def log_train_loss(
        self, loss: Tensor, weight: Tensor | int, extra: dict[str, Tensor | float] | None = None
    ) -> None:
        """Log ``train/loss_step`` (with ``extra``) and accumulate ``train/loss_epoch``, at little per-step cost.

        ``self.log`` costs about half a millisecond a call on a CPU, so step values are logged only on the steps
        something reads them: the steps the Trainer writes to its logger (every ``log_every_n_steps``), every step
        while a progress bar is shown, and every step of ``fast_dev_run``. The epoch value is the ``weight``-weighted
        mean of every step's loss (weight: the loss's own denominator, ``MeanLoss.count``), summed on the device
        (no host sync per step) and logged once, averaged over ranks, by ``on_train_epoch_end``.

        Args:
            loss: this step's scalar loss.
            weight: what the loss is a mean over (rows, summed class weights, target tokens).
            extra: other per-step values to log beside the loss (e.g. the teacher-forcing rate).
        """
        loss = loss.detach().float()
        weight = torch.as_tensor(weight, dtype=torch.float32, device=loss.device)
        weighted = loss * weight
        self._train_loss_sum = weighted if self._train_loss_sum is None else self._train_loss_sum + weighted
        self._train_loss_weight = weight if self._train_loss_weight is None else self._train_loss_weight + weight
        if not self._step_is_read():
            return
        self.log("train/loss_step", loss, on_step=True, on_epoch=False, prog_bar=True)  # per step: no weight
        for name, value in (extra or {}).items():
            self.log(name, value, on_step=True, on_epoch=False)

    def global_mean(self, loss: Tensor, count: Tensor | int) -> Tensor:
        """The training loss to back-propagate: under DDP, the mean over the whole global batch.

        DDP averages the ranks' gradients with equal weights, but the ranks of one step may hold unequal shares of
        a global batch (29 samples: 15 and 14), so a per-rank mean would weight samples unequally and the run would
        not match one process with the same global batch. Scaling rank ``r``'s mean by ``world * n_r / sum(n)``
        makes the averaged gradient that of the mean over all ``sum(n)`` items. One small all-reduce per step.

        Args:
            loss: this rank's scalar loss, a mean over ``count`` items.
            count: the loss's denominator (rows, summed class weights of the targets, target tokens).
        """
        trainer = self._trainer
        if trainer is None or trainer.world_size == 1:
            return loss
        local = torch.as_tensor(count, dtype=torch.float32, device=loss.device)
        total = trainer.strategy.reduce(local.clone(), reduce_op="sum")
        return loss * (local * trainer.world_size / total)

    def log_eval_loss(self, stage: str, loss: Tensor, weight: Tensor | int, prog_bar: bool = False) -> None:
        """Log ``{stage}/loss`` as the ``weight``-weighted mean over the epoch and every rank.

        ``weight`` is the loss's own denominator (``MeanLoss.count``), so the epoch value is the mean over every
        token (or weighted target) of the split, whatever the batches held.

        Through a torchmetrics ``MeanMetric``: Lightning's own ``sync_dist`` mean divides by the mean of the ranks'
        integer sample counts, which truncates, so with unequal shares (13 and 12 samples) the loss came out 4%
        too high under DDP.
        """
        metric = self.eval_losses[stage]
        metric.update(loss.detach().float(), torch.as_tensor(weight, dtype=torch.float32, device=loss.device))
        self.log(f"{stage}/loss", metric, on_epoch=True, prog_bar=prog_bar)

    def _step_is_read(self) -> bool:
        trainer = self._trainer
        if trainer is None:  # called outside a Trainer: nothing reads logged values
            return False
        if trainer.fast_dev_run or trainer.progress_bar_callback is not None:
            return True
        if trainer.log_every_n_steps < 1 or not trainer.loggers:
            return False
        # the logger connector writes when (batches stepped so far + 1) is a multiple of log_every_n_steps. Private:
        # no public counter matches it (global_step counts optimizer steps, not logged batches, under manual
        # optimization); tests/test_lightning_private_apis.py fails by name if Lightning changes it.
        return (trainer.fit_loop.epoch_loop._batches_that_stepped + 1) % trainer.log_every_n_steps == 0

    def on_train_epoch_start(self) -> None:
        """Start the epoch's state from zero, unless it was restored for this very epoch (a mid-epoch resume).

        Whether Lightning runs this hook when it resumes in the middle of an epoch differs between versions (2.6
        skips it), so the decision does not depend on it: the state remembers the epoch it belongs to, and only a
        state of another epoch is reset.
        """
        if self._state_epoch != self.current_epoch:
            self.reset_epoch_state()
            self._state_epoch = self.current_epoch

    def reset_epoch_state(self) -> None:
        """Zero the state kept over one training epoch: the training-loss sum (subclasses add theirs)."""
        self._train_loss_sum, self._train_loss_weight = None, None

    def on_train_epoch_end(self) -> None:
        """Log ``train/loss_epoch``: the weighted mean loss of the epoch over every rank's samples."""
        if self._train_loss_sum is not None and self._train_loss_weight is not None:
            total = self.trainer.strategy.reduce(self._train_loss_sum.clone(), reduce_op="sum")  # over ranks
            mean = total / self.trainer.strategy.reduce(self._train_loss_weight.clone(), reduce_op="sum")
            self.log("train/loss_epoch", mean, prog_bar=True)

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
        self._pretrained_loaded = True  # trained weights: never overwrite them with pretrained vectors
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
