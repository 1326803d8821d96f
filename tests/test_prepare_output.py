"""``lightning-seq prepare --overwrite`` never deletes a user's files: it replaces only a shard folder (one with
its ``index.json``), writes into a temporary sibling renamed at the end, and refuses an output that holds or lies
inside an input; a prepare killed mid-write leaves the old shards as they were."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lightning_seq.cli import main
from lightning_seq.data.shards import read_index
from lightning_seq.prepare_cli import check_output

ROOT = Path(__file__).resolve().parents[1]
RECIPE = str(ROOT / "recipes" / "sentiment_bilstm.yaml")


def user_csv(folder: Path, rows: int = 60) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["text,label"] + [f"{'good' if i % 2 else 'bad'} service number {i},{'pos' if i % 2 else 'neg'}"
                              for i in range(rows)]
    (folder / "train.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "test.csv").write_text("\n".join(lines[:11]) + "\n", encoding="utf-8")
    return ["--data.init_args.train_path", str(folder / "train.csv"), "--data.init_args.test_path",
            str(folder / "test.csv")]


def prepare(output: Path, *extra: str) -> None:
    main(["prepare", "--config", RECIPE, "--data.init_args.generated_size=120", "--output", str(output),
          "--rows_per_shard", "40", *extra])


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_overwrite_refuses_a_folder_that_is_not_a_shard_folder_and_keeps_its_files(tmp_path, capsys):
    mine = tmp_path / "data"
    mine.mkdir()
    (mine / "thesis.txt").write_text("years of work", encoding="utf-8")
    with pytest.raises(SystemExit):
        prepare(mine, "--overwrite")
    assert (f"{mine} is not empty and holds no index.json: --overwrite replaces only a shard folder written by "
            f"`lightning-seq prepare`; give an empty or new folder") in capsys.readouterr().err
    assert files_of(mine) == {"thesis.txt": b"years of work"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]  # no temporary folder left behind


def test_overwrite_refuses_an_output_that_holds_or_lies_inside_an_input(tmp_path, capsys):
    inputs = user_csv(tmp_path / "data")
    before = files_of(tmp_path / "data")
    for output in (tmp_path, tmp_path / "data"):
        with pytest.raises(SystemExit):
            main(["prepare", "--config", RECIPE, *inputs, "--output", str(output), "--overwrite"])
        message = capsys.readouterr().err
        assert f"--output {output} holds the input {tmp_path / 'data' / 'test.csv'}: write the shards" in message
        assert files_of(tmp_path / "data") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]
    images = tmp_path / "images"  # a folder input (an ImageFolder root): an output inside it is refused too
    with pytest.raises(ValueError, match=f"--output {images / 'shards'} lies inside the input {images}: write"):
        check_output(images / "shards", True, [images])
    assert check_output(tmp_path / "data" / "shards", False, [tmp_path / "data" / "train.csv"]) is False


def test_overwrite_replaces_a_shard_folder_and_leaves_no_temporary_folder(tmp_path):
    prepare(tmp_path / "shards")
    first = read_index(tmp_path / "shards")
    prepare(tmp_path / "shards", "--overwrite", "--data.init_args.generated_size=80")
    again = read_index(tmp_path / "shards")
    assert first["splits"]["train"]["rows"] != again["splits"]["train"]["rows"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shards"]
    assert not any(p.name.startswith("train-0000") and p.stat().st_size == 0 for p in (tmp_path / "shards").iterdir())


def test_a_prepare_killed_mid_write_leaves_the_old_shards_intact(tmp_path):
    prepare(tmp_path / "shards")
    before = files_of(tmp_path / "shards")
    command = [sys.executable, "-m", "lightning_seq", "prepare", "--config", RECIPE,
               "--data.init_args.generated_size=4000", "--output", str(tmp_path / "shards"), "--rows_per_shard", "2",
               "--row_group_rows", "1", "--overwrite"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    writer = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        while not any(p.name.startswith("train-") for d in tmp_path.iterdir() if d.name != "shards"
                      for p in d.iterdir()):
            assert writer.poll() is None, writer.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "prepare wrote no shard into a temporary folder in 120 s"
            time.sleep(0.02)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    assert files_of(tmp_path / "shards") == before
    prepare(tmp_path / "shards", "--overwrite")  # a later prepare replaces it, and sweeps the killed one's folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shards"]
