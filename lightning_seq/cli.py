"""The ``lightning-seq`` command: LightningCLI with subclass modes and data-to-model links."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import torch
from pytorch_lightning import Callback, LightningDataModule, LightningModule, Trainer
from pytorch_lightning.callbacks.progress import ProgressBar
from pytorch_lightning.cli import LightningArgumentParser, LightningCLI
from pytorch_lightning.loggers import Logger

from lightning_seq.callbacks.line_progress import LineProgress
from lightning_seq.cli_errors import TRACEBACK_FLAG, report, wants_traceback
from lightning_seq.data.modules.base import LINKED_ATTRIBUTES, SequenceDataModule
from lightning_seq.data.text.subword import SubwordTokenizer
from lightning_seq.launch_check import check_launch
from lightning_seq.objects import object_at
from lightning_seq.tasks.base import SequenceTask
from lightning_seq.tasks.checkpoint_format import TASK_KEY, check_checkpoint_format, import_path

# Settings that only affect inference: with --ckpt_path they come from the command line / config, not the checkpoint.
INFERENCE_OPTIONS = ("decoding", "max_length", "heat_maps", "contact_sheet_size")


def data_state(checkpoint: dict[str, Any], data_class: type) -> dict[str, Any] | None:
    """The checkpoint's entry for a data module of ``data_class`` (Lightning keys it by class name).

    A model trained from shards (``ShardedDataModule``) keeps the state of the module that wrote them under the
    shards' key; predicting or testing with the recipe's own module then reads that entry, so its subword tokenizers
    are the ones training used (``check_tokenizers`` refuses them if they are not the same kind).
    """
    from lightning_seq.data.modules.sharded import ShardedDataModule

    state = checkpoint.get(data_class.__qualname__)
    if state is None and data_class is not ShardedDataModule:
        state = checkpoint.get(ShardedDataModule.__qualname__)
    return state


class SeqCLI(LightningCLI):
    """LightningCLI whose model and data are chosen by ``class_path``, with the data's sizes linked into the model.

    With ``--ckpt_path``, Lightning rebuilds the model from the checkpoint's hyperparameters; the inference settings
    in ``INFERENCE_OPTIONS`` (the decoding strategy with its settings, ``max_length``, ...) are kept from the command
    line instead, so a model trained with greedy validation can be tested or used with beam search:
    ``--model.init_args.decoding=lightning_seq.tasks.BeamSearch --model.init_args.decoding.beam_size=10``.
    """

    def _parse_ckpt_path(self) -> None:
        # A private LightningCLI hook (no public one sees the config before the checkpoint's hyperparameters replace
        # it); its signature is held by tests/test_lightning_private_apis.py.
        subcommand = self.config.get("subcommand")
        model = self.config[subcommand].get("model") if subcommand else None
        self._check_checkpoint_task(subcommand, model)
        given = getattr(model, "init_args", None)
        keep = {k: given[k] for k in INFERENCE_OPTIONS if given is not None and k in given}
        super()._parse_ckpt_path()
        restored = getattr(self.config[subcommand].get("model"), "init_args", None) if subcommand else None
        if restored is not None:
            for key, value in keep.items():
                if key in restored:
                    restored[key] = value

    def _checkpoint(self, ckpt_path: str) -> dict[str, Any]:
        """The checkpoint's entries, read once per path while the CLI checks it, memory-mapped (weights unread).

        ``_check_data_against_checkpoint``, the last check, lets them go: a resumed fit overwrites ``last.ckpt``.
        """
        cache = self.__dict__.setdefault("_checkpoints", {})
        if ckpt_path not in cache:
            cache[ckpt_path] = torch.load(ckpt_path, weights_only=True, map_location="cpu", mmap=True)
        return cache[ckpt_path]

    def _check_checkpoint_task(self, subcommand: str | None, model: Any) -> None:
        """Refuse a checkpoint written by another task than the configured one, or in an older format, by name."""
        ckpt_path = self.config[subcommand].get("ckpt_path") if subcommand else None
        class_path = getattr(model, "class_path", None)
        if not ckpt_path or class_path is None or not Path(ckpt_path).is_file():
            return
        meta = self._checkpoint(ckpt_path)
        written_by = meta.get(TASK_KEY)
        configured = _class_of(class_path)
        if configured is not None and issubclass(configured, SequenceTask):
            check_checkpoint_format(meta, configured, ckpt_path)
        if written_by is not None and configured is not None and written_by != import_path(configured):
            raise ValueError(
                f"{ckpt_path} was written by {written_by}, but the config builds {import_path(configured)}: "
                f"give the config (recipe) the checkpoint was trained with"
            )

    def _instantiate_trainer(self, config: dict[str, Any], callbacks: list[Callback]) -> Trainer:
        """The trainer, with plain-line progress when stderr is not a terminal and its loggers in one folder.

        * Lightning's bar redraws itself on every step; written to a file that is one line per step (issue 16 saw a
          223 KB log from a 10-epoch fit). When stderr is not a terminal and the progress bar is on and not
          configured, ``LineProgress`` prints one line per epoch instead.
        * Loggers that share a ``save_dir`` and ``name`` (the recipes' TensorBoard and CSV loggers) each pick the
          next free ``version_N`` when they first write, so the second would take the folder after the first's.
          They are given the first one's version, so events, ``metrics.csv`` and the pictures share one folder.
        * Under ``torchrun`` or ``srun``, ``devices`` and ``num_nodes`` must match the processes the launcher
          started (``check_launch``): a mismatch stops every rank at once with the flags to set.

        A private LightningCLI hook: the public ``trainer_class`` cannot add callbacks chosen from the parsed config
        or check the built Trainer; its signature is held by tests/test_lightning_private_apis.py.
        """
        given = config.get("callbacks") or []
        given = given if isinstance(given, list) else [given]
        configured = any(isinstance(c, ProgressBar) for c in [*given, *callbacks])
        if config.get("enable_progress_bar", True) is not False and not configured and not sys.stderr.isatty():
            callbacks = [*callbacks, LineProgress()]
        trainer = super()._instantiate_trainer(config, callbacks)
        check_launch(trainer)
        share_log_folder(trainer.loggers)
        return trainer

    def before_instantiate_classes(self) -> None:
        """With ``--ckpt_path``: build subword tokenizers from the checkpoint's models instead of training new ones.

        Each subword tokenizer of the data config that names no ``model_path`` is given the model the checkpoint
        holds for it, written next to the checkpoint as ``<checkpoint stem>.<argument><suffix>`` (so the run's saved
        ``config.yaml`` names the file, and the same tokenizer is used however its training would turn out today).
        """
        ckpt_path = self.config[self.subcommand].get("ckpt_path") if self.subcommand else None
        data = self.config[self.subcommand].get("data") if self.subcommand else None
        init_args = getattr(data, "init_args", None)
        if not ckpt_path or init_args is None or not Path(ckpt_path).is_file():
            return
        data_class = _class_of(getattr(data, "class_path", None))
        state = data_state(self._checkpoint(ckpt_path), data_class) if data_class is not None else None
        for name, model in (state or {}).get("tokenizers", {}).items():
            tokenizer = init_args.get(name)
            tokenizer_class = _class_of(getattr(tokenizer, "class_path", None))
            if tokenizer_class is None or not issubclass(tokenizer_class, SubwordTokenizer):
                continue  # the data module says what differs, naming the tokenizer (check_tokenizers)
            if tokenizer.init_args.get("model_path") is None:
                path = Path(ckpt_path).with_name(f"{Path(ckpt_path).stem}.{name}{tokenizer_class.suffix}")
                if not path.is_file() or path.read_bytes() != model:
                    path.write_bytes(model)
                tokenizer.init_args["model_path"] = str(path)

    def _check_data_against_checkpoint(self) -> None:
        """Refuse, before any step runs, a checkpoint whose subword tokenizers differ from the data module's.

        Lightning restores the model before the data module's state, so without this the user would first see the
        vocabulary check fail, and not learn that the tokenizer is what differs.
        """
        ckpt_path = self.config[self.subcommand].get("ckpt_path") if self.subcommand else None
        data = self.datamodule
        if not ckpt_path or not Path(ckpt_path).is_file() or not isinstance(data, SequenceDataModule):
            self.__dict__.pop("_checkpoints", None)
            return
        state = data_state(self._checkpoint(ckpt_path), type(data))
        self.__dict__.pop("_checkpoints", None)
        if isinstance(state, dict):
            data.check_tokenizers(state, str(ckpt_path))

    def before_fit(self) -> None:
        """Check the data against a checkpoint to resume from."""
        self._check_data_against_checkpoint()

    def before_validate(self) -> None:
        """Check the data against the checkpoint to validate."""
        self._check_data_against_checkpoint()

    def before_test(self) -> None:
        """Check the data against the checkpoint to test."""
        self._check_data_against_checkpoint()

    def before_predict(self) -> None:
        """Check the data against the checkpoint to predict with."""
        self._check_data_against_checkpoint()

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        """Link every size the data module knows into the model at instantiation.

        A data module leaves out what does not apply to it, and jsonargparse skips the links of absent attributes.
        """
        for name in LINKED_ATTRIBUTES:
            parser.link_arguments(f"data.{name}", f"model.init_args.{name}", apply_on="instantiate")


def _class_of(class_path: str | None) -> type | None:
    """The class an import path names, or None."""
    if not class_path or "." not in class_path:
        return None
    found = object_at(class_path)
    return found if isinstance(found, type) else None


def share_log_folder(loggers: list[Logger]) -> None:
    """Give loggers with the same ``save_dir`` and ``name`` and no fixed version the first one's version."""
    first: dict[tuple[str | None, str | None], Logger] = {}
    for logger in loggers:
        key = (logger.save_dir, logger.name)
        if key not in first:
            first[key] = logger
        elif getattr(logger, "_version", 0) is None:
            # the loggers' own version slot: the CLI built them from the config, so the constructor's ``version`` is
            # past; private, tested in tests/test_lightning_private_apis.py
            logger._version = first[key].version  # type: ignore[attr-defined]


def run(args: list[str] | None = None) -> SeqCLI:
    """Run the CLI (``fit``, ``validate``, ``test``, ``predict``) and return it, with its ``trainer`` and ``model``.

    Args:
        args: command-line words replacing ``sys.argv[1:]`` (handy in tests and notebooks).
    """
    return SeqCLI(
        LightningModule,
        LightningDataModule,
        subclass_mode_model=True,
        subclass_mode_data=True,
        auto_configure_optimizers=False,
        save_config_kwargs={"overwrite": True},
        args=args,
    )


def main(args: list[str] | None = None) -> None:
    """Entry point of the ``lightning-seq`` console script and ``python -m lightning_seq``.

    An error in the user's data or settings is printed as one block (the file, line or argument and what is wrong)
    and the command exits with status 1; ``--print_traceback`` (or ``LIGHTNING_SEQ_TRACEBACK=1``) shows the full
    chain instead. Under DDP the process group is shut down before the interpreter exits: left to the exit-time
    destructors, gloo's threads now and then aborted a finished run ("terminate called without an active
    exception").
    """
    words = list(sys.argv[1:] if args is None else args)
    show_traceback = wants_traceback(words)
    if TRACEBACK_FLAG in words:
        words = [word for word in words if word != TRACEBACK_FLAG]
        if args is None:
            sys.argv[1:] = words  # LightningCLI reads sys.argv; it must not see our flag
    try:
        if words[:1] == ["serve"]:  # not a Trainer command: the HTTP server of a checkpoint
            from lightning_seq.deploy.serve_cli import main as serve

            serve(words[1:])
            return
        if words[:1] == ["prepare"]:  # not a Trainer command: a recipe's data written as shards
            from lightning_seq.prepare_cli import main as prepare

            prepare(words[1:])
            return
        run(None if args is None else words)
    except Exception as error:  # report() re-raises all but the user's errors
        raise SystemExit(report(error, show_traceback)) from None
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.barrier()  # every rank is past its last collective
        torch.distributed.destroy_process_group()
