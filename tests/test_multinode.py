"""Past one machine: two ``torchrun`` agents on loopback acting as two nodes, a wrong launch, and SLURM.

The nodes are real processes (one ``torchrun`` agent each, static rendezvous, gloo on ``lo``) sharing this
folder as a cluster shares its file system; every launch has a hard timeout, so a hang fails the test.
"""

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.documentation import page
from tests.test_ddp import EQUIVALENCE, QUIET, cli, metrics, predictions_path, rows

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "recipes" / "sentiment_bilstm.yaml"
TIMEOUT = 300


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def node_env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT), "GLOO_SOCKET_IFNAME": "lo"}


def launch_nodes(cwd: Path, nodes: int, per_node: int, *args: str) -> list[subprocess.CompletedProcess]:
    """Start one ``torchrun`` agent per node (static rendezvous on 127.0.0.1) and wait for all of them."""
    port = str(free_port())
    agents = []
    for node_rank in range(nodes):
        command = [sys.executable, "-m", "torch.distributed.run", "--nnodes", str(nodes), "--node_rank",
                   str(node_rank), "--nproc-per-node", str(per_node), "--master_addr", "127.0.0.1",
                   "--master_port", port, "-m", "lightning_seq", *args, *QUIET]
        agents.append(subprocess.Popen(command, cwd=cwd, env=node_env(), stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True))
    done = []
    try:
        for agent in agents:
            out, err = agent.communicate(timeout=TIMEOUT)
            done.append(subprocess.CompletedProcess(agent.args, agent.returncode, out, err))
    finally:
        for agent in agents:
            if agent.poll() is None:
                agent.kill()
    return done


def test_two_torchrun_nodes_train_like_one_process_and_predict_each_input_once(tmp_path):
    """Two nodes × one process with batch 16 reach the weights of one process with batch 32 (1e-5): the same
    global batches in every step, as in the one-node DDP test; ``predict`` on both nodes writes every input once."""
    _, overrides = EQUIVALENCE["classifier"]
    common = ["--config", str(RECIPE), "--data.init_args.generated_size=200", "--trainer.max_epochs=2",
              "--trainer.log_every_n_steps=1", *overrides]
    nodes = ["--trainer.accelerator=cpu", "--trainer.strategy=ddp", "--trainer.devices=1", "--trainer.num_nodes=2"]
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    cli(tmp_path / "one", "fit", *common, "--data.init_args.batch_size=32", "--trainer.accelerator=cpu",
        "--trainer.devices=1")
    for node in launch_nodes(tmp_path / "two", 2, 1, "fit", *common, *nodes, "--data.init_args.batch_size=16"):
        assert node.returncode == 0, node.stderr[-3000:]
    runs = [tmp_path / name / "runs/sentiment_bilstm" for name in ("one", "two")]
    weights = [torch.load(run / "checkpoints/last.ckpt", weights_only=True) for run in runs]
    assert weights[0]["global_step"] == weights[1]["global_step"] == 14
    for name, value in weights[0]["state_dict"].items():
        torch.testing.assert_close(weights[1]["state_dict"][name], value, rtol=0, atol=1e-5, msg=name)
    one, two = (metrics(run / "version_0") for run in runs)
    assert [r["step"] for r in one] == [r["step"] for r in two]
    for a, b in zip(one, two, strict=True):
        assert float(a["val/acc"]) == pytest.approx(float(b["val/acc"]), abs=1e-4)

    checkpoint = str(runs[1] / "checkpoints/last.ckpt")
    for node in launch_nodes(tmp_path / "two", 2, 1, "predict", *common, *nodes, "--data.init_args.batch_size=16",
                             "--ckpt_path", checkpoint):
        assert node.returncode == 0, node.stderr[-3000:]
    cli(tmp_path / "one", "predict", *common, "--data.init_args.batch_size=32", "--trainer.accelerator=cpu",
        "--trainer.devices=1", "--ckpt_path", checkpoint)
    written = [rows(tmp_path / name / predictions_path(RECIPE)) for name in ("one", "two")]
    assert [int(r["index"]) for r in written[1]] == list(range(len(written[0]))) == list(range(20))
    assert [(r["input_text"], r["label"]) for r in written[1]] == [(r["input_text"], r["label"]) for r in written[0]]
    for mine, reference in zip(written[1], written[0], strict=True):
        assert float(mine["probabilities.positive"]) == pytest.approx(float(reference["probabilities.positive"]),
                                                                      abs=1e-5)


@pytest.mark.parametrize(
    ("per_node", "flags", "expected"),
    [
        # 2 processes, but the Trainer counts one: without the check each would train alone, both writing last.ckpt
        (2, ["--trainer.devices=1", "--trainer.num_nodes=1"],
         "torchrun started 2 processes (2 per node), but the Trainer expects --trainer.devices × --trainer.num_nodes "
         "= 1 × 1 = 1 (1 per node): set --trainer.devices=2 --trainer.num_nodes=1 --trainer.strategy=ddp"),
        # the right total, split the wrong way between nodes and devices
        (1, ["--trainer.devices=2", "--trainer.num_nodes=1", "--trainer.strategy=ddp"],
         "torchrun started 2 processes (1 per node), but the Trainer expects --trainer.devices × --trainer.num_nodes "
         "= 2 × 1 = 2 (2 per node): set --trainer.devices=1 --trainer.num_nodes=2 --trainer.strategy=ddp"),
    ],
    ids=["too_few_devices", "nodes_as_devices"],
)
def test_a_launch_that_disagrees_with_the_trainer_fails_at_once_on_every_node(tmp_path, per_node, flags, expected):
    nodes = 2 // per_node
    args = ["fit", "--config", str(RECIPE), "--data.init_args.generated_size=64", "--trainer.accelerator=cpu", *flags]
    done = launch_nodes(tmp_path, nodes, per_node, *args)
    assert all(node.returncode != 0 for node in done)
    assert expected in done[0].stderr, done[0].stderr[-3000:]
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").rglob("*.ckpt"))


SLURM = {"SLURM_JOB_ID": "4242", "SLURM_JOB_NAME": "sentiment", "SLURM_NTASKS": "1", "SLURM_NTASKS_PER_NODE": "1",
         "SLURM_NNODES": "1", "SLURM_NODEID": "0", "SLURM_PROCID": "0", "SLURM_LOCALID": "0",
         "SLURM_NODELIST": "127.0.0.1"}


def test_cli_under_slurm_picks_lightnings_slurm_environment(tmp_path, monkeypatch):
    from lightning_fabric.plugins.environments import SLURMEnvironment

    from lightning_seq.cli import run

    for name, value in SLURM.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    built = run(["fit", "--config", str(RECIPE), "--data.init_args.generated_size=64", "--trainer.max_epochs=1",
                 "--trainer.limit_train_batches=1", "--trainer.limit_val_batches=1", "--trainer.accelerator=cpu",
                 "--trainer.devices=1", *QUIET])
    environment = built.trainer._accelerator_connector.cluster_environment  # the one every strategy is given
    assert isinstance(environment, SLURMEnvironment) and environment.auto_requeue
    assert environment.requeue_signal == signal.SIGUSR1


def test_slurm_requeue_saves_a_checkpoint_and_the_requeued_job_resumes_from_it(tmp_path):
    """SIGUSR1 (sbatch's ``--signal=SIGUSR1@90``) mid-epoch: Lightning saves ``hpc_ckpt_1.ckpt`` and calls
    ``scontrol requeue 4242``; here a stand-in ``scontrol`` records the call and kills the job, as SLURM does. The
    same command started again finds the checkpoint, resumes mid-epoch and ends with the weights of a job that was
    never stopped."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    scontrol = bin_dir / "scontrol"
    scontrol.write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/scontrol.log\nkill -9 $PPID\n', encoding="utf-8")
    scontrol.chmod(0o755)
    env = {**node_env(), **SLURM, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    common = ["--config", str(RECIPE), "--data.init_args.generated_size=200", "--data.init_args.batch_size=16",
              "--trainer.max_epochs=2", "--trainer.accelerator=cpu", "--trainer.devices=1"]
    signal_at = ["--trainer.callbacks+=tests.slurm_signal.SignalAtStep", "--trainer.callbacks.step=5"]

    def job(folder, *extra):
        folder.mkdir(exist_ok=True)
        command = [sys.executable, "-m", "lightning_seq", "fit", *common, *extra, *QUIET]
        return subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=TIMEOUT)

    straight = job(tmp_path / "straight")
    assert straight.returncode == 0, straight.stderr[-3000:]
    first = job(tmp_path / "requeued", *signal_at)
    assert first.returncode == -signal.SIGKILL, first.stderr[-3000:]
    assert (tmp_path / "scontrol.log").read_text(encoding="utf-8") == "requeue 4242\n"
    saved = torch.load(tmp_path / "requeued/runs/sentiment_bilstm/hpc_ckpt_1.ckpt", weights_only=True)
    assert saved["global_step"] == 5
    second = job(tmp_path / "requeued")
    assert second.returncode == 0, second.stderr[-3000:]
    assert "hpc_ckpt_1.ckpt" in second.stdout + second.stderr
    ends = [torch.load(tmp_path / name / "runs/sentiment_bilstm/checkpoints/last.ckpt", weights_only=True)
            for name in ("straight", "requeued")]
    assert ends[0]["global_step"] == ends[1]["global_step"] == 26
    for name, value in ends[0]["state_dict"].items():
        torch.testing.assert_close(ends[1]["state_dict"][name], value, rtol=0, atol=1e-6, msg=name)


def test_readme_holds_the_sbatch_script_and_it_matches_what_the_tests_check():
    script = (ROOT / "configs/slurm/fit.sbatch").read_text(encoding="utf-8")
    assert f"```bash\n{script}```" in page("scaling-out.md")
    directives = dict(line[len("#SBATCH --"):].partition("=")[::2] for line in script.splitlines()
                      if line.startswith("#SBATCH --"))
    assert directives["signal"] == "SIGUSR1@90" and "requeue" in directives  # the signal SLURMEnvironment handles
    command = script[script.index("srun "):]
    assert f"--trainer.num_nodes={directives['nodes']}" in command
    assert f"--trainer.devices={directives['ntasks-per-node']}" in command
    assert "--config configs/trainer/ddp.yaml" in command
