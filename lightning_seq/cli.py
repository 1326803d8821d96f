"""The ``lightning-seq`` command: LightningCLI with subclass modes and data-to-model links."""

from __future__ import annotations

from pytorch_lightning import LightningDataModule, LightningModule
from pytorch_lightning.cli import LightningArgumentParser, LightningCLI

from lightning_seq.data.base import LINKED_ATTRIBUTES


class SeqCLI(LightningCLI):
    """LightningCLI whose model and data are chosen by ``class_path``, with the data's sizes linked into the model."""

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        """Link every size the data module knows into the model at instantiation.

        A data module leaves out what does not apply to it, and jsonargparse skips the links of absent attributes.
        """
        for name in LINKED_ATTRIBUTES:
            parser.link_arguments(f"data.{name}", f"model.init_args.{name}", apply_on="instantiate")


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
    """Entry point of the ``lightning-seq`` console script and ``python -m lightning_seq``."""
    run(args)
