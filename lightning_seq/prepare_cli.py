"""``lightning-seq prepare``: write a recipe's data splits as Parquet shards for ``ShardedDataModule``.

lightning-seq prepare --config recipes/sentiment_bilstm.yaml --output shards/ [--data.init_args.train_path=...]
lightning-seq fit --config recipes/sentiment_bilstm.yaml --data=lightning_seq.data.ShardedDataModule \
    --data.path=shards/

The recipe's own data module reads the user's CSV/TSV, folders or manifests (the same readers and errors as a
``fit``), builds its vocabulary and labels from the training split, and encodes every sample; the samples are then
written ``rows_per_shard`` to a file with the module's sizes, names and preprocessing. Preparing holds one split's
encoded samples in memory once; training from the shards holds one sorting buffer per loader worker.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

from pytorch_lightning import LightningDataModule, LightningModule

from lightning_seq.data.modules.base import LINKED_ATTRIBUTES, NAME_ATTRIBUTES, SequenceDataModule
from lightning_seq.data.shards.folder import write_index, write_split
from lightning_seq.tasks.checkpoint_format import import_path


def check_preparable(data: Any) -> None:
    """Refuse data modules whose samples cannot be stored as they come out of their data sets."""
    name = type(data).__name__
    if not isinstance(data, SequenceDataModule):
        raise ValueError(f"{name} is not a lightning_seq data module: prepare writes their data sets' samples")
    if getattr(data, "augment", None) is not None:
        raise ValueError(f"{name} draws a random augmentation for every sample it returns; shards would freeze one "
                         f"draw: prepare with --data.init_args.augment=null")
    if getattr(data, "features_on_device", False):
        raise ValueError(f"{name} computes features on the device after batching; prepare with "
                         f"--data.init_args.features_on_device=false so the shards hold the features")


def prepare(data: SequenceDataModule, output: Path, rows_per_shard: int, row_group_rows: int, overwrite: bool
            ) -> dict[str, Any]:
    """Write ``data``'s train, val and test splits (those it has) into ``output``; return the split entries."""
    check_preparable(data)
    if rows_per_shard < 1 or row_group_rows < 1:
        raise ValueError(f"--rows_per_shard and --row_group_rows must be >= 1, got {rows_per_shard}, {row_group_rows}")
    occupied = output.exists() and any(output.iterdir())
    if occupied and not overwrite:
        raise ValueError(f"{output} is not empty: give an empty folder or --overwrite")
    data.setup("fit")
    data.setup("test")
    datasets = {}
    for split in ("train", "val", "test"):
        dataset = data.datasets.get(split)
        if dataset is None and split != "train":
            continue
        if dataset is None or not hasattr(dataset, "lengths") or not hasattr(dataset, "__getitem__"):
            raise ValueError(f"{type(data).__name__} keeps no {split} samples (a token stream read in windows "
                             f"carried across batches): it cannot be sharded")
        datasets[split] = dataset
    if occupied:  # replaced only once the new splits are known to be writable
        shutil.rmtree(output)
    output.mkdir(parents=True, exist_ok=True)
    splits = {split: write_split(output, split, dataset, rows_per_shard, row_group_rows)
              for split, dataset in datasets.items()}
    linked = {name: getattr(data, name) for name in LINKED_ATTRIBUTES if hasattr(data, name)}
    names = {name: getattr(data, name) for name in NAME_ATTRIBUTES if hasattr(data, name)}
    module = {"linked": linked, "names": names, "state": data.state_dict(), "inference": data.inference_inputs()}
    write_index(output, splits, import_path(type(data)), import_path(data.collate_fn), module)
    return splits


def main(args: list[str]) -> None:
    """Entry point of ``lightning-seq prepare`` (the recipe's options pass through to its data module)."""
    from lightning_seq.cli import SeqCLI

    parser = argparse.ArgumentParser(
        prog="lightning-seq prepare", description=__doc__.split("\n\n")[0],
        epilog="Every other argument is the recipe's, as for `lightning-seq fit`: --config RECIPE.yaml and "
        "--data.* (see `lightning-seq fit --help`); the data module they build is the one written.")
    parser.add_argument("--output", required=True, type=Path, help="folder to write the shards into")
    parser.add_argument("--rows_per_shard", type=int, default=100_000, help="samples per Parquet file")
    parser.add_argument("--row_group_rows", type=int, default=1024,
                        help="samples per Parquet row group (the unit a reader decodes)")
    parser.add_argument("--overwrite", action="store_true", help="replace a folder that is not empty")
    known, rest = parser.parse_known_args(args)
    cli = SeqCLI(LightningModule, LightningDataModule, subclass_mode_model=True, subclass_mode_data=True,
                 auto_configure_optimizers=False, run=False, save_config_callback=None, args=rest)
    splits = prepare(cli.datamodule, known.output, known.rows_per_shard, known.row_group_rows, known.overwrite)
    for split, entry in splits.items():
        print(f"{split}: {entry['rows']} samples in {len(entry['shards'])} shard(s)")
    print(f"wrote {known.output}: train with --data=lightning_seq.data.ShardedDataModule "
          f"--data.path={known.output}")


__all__ = ["check_preparable", "main", "prepare"]
