"""Refuse, before any collective runs, a Trainer whose process count disagrees with the launcher that started it.

Under ``torchrun`` or ``srun`` the launcher decides how many processes exist; the Trainer's ``devices`` and
``num_nodes`` must describe the same world. When they do not, Lightning either stops with a message that names
neither flag (DDP), or - with one device and the default strategy - lets every process train alone, each writing
the same checkpoint files. This check names the flags, the launcher's figures and the fix, on every rank at once,
so a wrong launch ends in seconds instead of waiting at a rendezvous.
"""

from __future__ import annotations

import os

from lightning_fabric.plugins.environments import SLURMEnvironment, TorchElasticEnvironment
from pytorch_lightning import Trainer


def launcher_world() -> tuple[str, int, int] | None:
    """The external launcher's name, world size and processes per node, or None when no launcher started us.

    ``torchrun`` sets ``WORLD_SIZE`` and ``LOCAL_WORLD_SIZE``; SLURM's ``srun`` sets ``SLURM_NTASKS`` and
    ``SLURM_NTASKS_PER_NODE`` (absent when tasks are spread unevenly, then read as the world divided by the nodes).
    """
    if TorchElasticEnvironment.detect():
        world = int(os.environ["WORLD_SIZE"])
        return "torchrun", world, int(os.environ.get("LOCAL_WORLD_SIZE", world))
    if SLURMEnvironment.detect():
        world = int(os.environ["SLURM_NTASKS"])
        nodes = int(os.environ.get("SLURM_NNODES", "1"))
        per_node = os.environ.get("SLURM_NTASKS_PER_NODE", "")
        return "srun", world, int(per_node) if per_node.isdigit() else max(world // max(nodes, 1), 1)
    return None


def check_launch(trainer: Trainer) -> None:
    """Raise ``ValueError`` when ``devices × num_nodes`` or ``devices`` differ from what the launcher started.

    Args:
        trainer: the Trainer the CLI built (its ``num_devices`` and ``num_nodes`` are read).
    """
    found = launcher_world()
    if found is None:
        return
    launcher, world, per_node = found
    devices, nodes = trainer.num_devices, trainer.num_nodes
    if devices * nodes == world and devices == per_node:
        return
    raise ValueError(
        f"{launcher} started {world} processes ({per_node} per node), but the Trainer expects "
        f"--trainer.devices × --trainer.num_nodes = {devices} × {nodes} = {devices * nodes} "
        f"({devices} per node): set --trainer.devices={per_node} --trainer.num_nodes={max(world // per_node, 1)} "
        f"--trainer.strategy=ddp, or launch {devices} processes per node on {nodes} nodes"
    )


__all__ = ["check_launch", "launcher_world"]
