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
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pytorch_lightning import LightningDataModule, LightningModule

from lightning_seq.data.modules.base import LINKED_ATTRIBUTES, NAME_ATTRIBUTES, SequenceDataModule
from lightning_seq.data.shards.folder import FORMAT, write_index, write_split
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


PARTIAL = ".partial-"
"""The mark in the name of the temporary sibling a prepare writes into (``.<output>.partial-XXXX``)."""


def input_paths(value: Any) -> Iterator[Path]:
    """Every string in a parsed configuration (nested namespaces, dicts and lists) that names an existing path."""
    if isinstance(value, str | Path):
        if str(value) and "\n" not in str(value) and Path(value).exists():
            yield Path(value).resolve()
    elif isinstance(value, dict):
        for item in value.values():
            yield from input_paths(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from input_paths(item)
    elif hasattr(value, "__dict__") and type(value).__name__ == "Namespace":
        yield from input_paths(vars(value))


def is_shard_folder(folder: Path) -> bool:
    """Whether ``folder`` holds the ``index.json`` of a shard folder (the only kind ``--overwrite`` replaces)."""
    index = folder / "index.json"
    try:
        return index.is_file() and f'"format": "{FORMAT}"' in index.read_text(encoding="utf-8")[:4096]
    except (OSError, UnicodeDecodeError):
        return False


def check_output(output: Path, overwrite: bool, inputs: Iterable[Path] = ()) -> bool:
    """Refuse an output that would destroy a user's files; True when it is a shard folder to replace.

    Raises:
        ValueError: the output holds or lies inside an input path; it is not empty and ``overwrite`` is off; it is
            not empty and not a shard folder (``--overwrite`` replaces only those).
    """
    target = output.resolve()
    for path in (Path(p).resolve() for p in inputs):
        if path == target or target in path.parents or path in target.parents:
            where = "holds" if target in path.parents or path == target else "lies inside"
            raise ValueError(f"--output {output} {where} the input {path}: write the shards to a folder apart from "
                             f"the data they are made from")
    if output.exists() and not output.is_dir():
        raise ValueError(f"--output {output} is a file, not a folder")
    occupied = output.exists() and any(output.iterdir())
    if occupied and not overwrite:
        raise ValueError(f"{output} is not empty: give an empty folder or --overwrite")
    if occupied and not is_shard_folder(output):
        raise ValueError(f"{output} is not empty and holds no index.json: --overwrite replaces only a shard folder "
                         f"written by `lightning-seq prepare`; give an empty or new folder")
    return occupied


def sweep_partials(output: Path) -> None:
    """Remove the temporary siblings that earlier prepares of ``output`` left when they were killed."""
    for stale in output.parent.glob(f".{output.name}{PARTIAL}*"):
        if stale.is_dir():
            shutil.rmtree(stale)


def prepare(data: SequenceDataModule, output: Path, rows_per_shard: int, row_group_rows: int, overwrite: bool,
            inputs: Iterable[Path] = ()) -> dict[str, Any]:
    """Write ``data``'s train, val and test splits (those it has) into ``output``; return the split entries.

    The shards are written into a temporary sibling of ``output`` that replaces it only once complete, so a prepare
    that is interrupted leaves the folder as it was (and its temporary sibling, swept by the next prepare).

    Args:
        data: the recipe's data module.
        output: the shard folder to write.
        rows_per_shard: samples per Parquet file.
        row_group_rows: samples per Parquet row group.
        overwrite: replace ``output`` when it is a shard folder already.
        inputs: the paths the data is read from; an output that holds or lies inside one is refused.
    """
    check_preparable(data)
    if rows_per_shard < 1 or row_group_rows < 1:
        raise ValueError(f"--rows_per_shard and --row_group_rows must be >= 1, got {rows_per_shard}, {row_group_rows}")
    replace = check_output(output, overwrite, list(inputs))
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
    output.parent.mkdir(parents=True, exist_ok=True)
    sweep_partials(output)
    partial = Path(tempfile.mkdtemp(prefix=f".{output.name}{PARTIAL}", dir=output.parent))
    try:
        splits = {split: write_split(partial, split, dataset, rows_per_shard, row_group_rows)
                  for split, dataset in datasets.items()}
        linked = {name: getattr(data, name) for name in LINKED_ATTRIBUTES if hasattr(data, name)}
        names = {name: getattr(data, name) for name in NAME_ATTRIBUTES if hasattr(data, name)}
        module = {"linked": linked, "names": names, "state": data.state_dict(), "inference": data.inference_inputs()}
        write_index(partial, splits, import_path(type(data)), import_path(data.collate_fn), module)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if replace:  # the old shards step aside only now, and go once the new ones are in place
        retired = Path(tempfile.mkdtemp(prefix=f".{output.name}{PARTIAL}old-", dir=output.parent))
        output.rename(retired / output.name)
        partial.rename(output)
        shutil.rmtree(retired)
    else:
        if output.exists():
            output.rmdir()  # empty (checked above)
        partial.rename(output)
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
    parser.add_argument("--overwrite", action="store_true",
                        help="replace a shard folder written before (one with its index.json; any other folder that "
                             "is not empty is refused)")
    known, rest = parser.parse_known_args(args)
    cli = SeqCLI(LightningModule, LightningDataModule, subclass_mode_model=True, subclass_mode_data=True,
                 auto_configure_optimizers=False, run=False, save_config_callback=None, args=rest)
    inputs = sorted(set(input_paths(cli.config.get("data"))))
    splits = prepare(cli.datamodule, known.output, known.rows_per_shard, known.row_group_rows, known.overwrite, inputs)
    for split, entry in splits.items():
        print(f"{split}: {entry['rows']} samples in {len(entry['shards'])} shard(s)")
    print(f"wrote {known.output}: train with --data=lightning_seq.data.ShardedDataModule "
          f"--data.path={known.output}")


__all__ = ["check_output", "check_preparable", "input_paths", "is_shard_folder", "main", "prepare"]
