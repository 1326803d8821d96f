"""Every sample exactly once per epoch through a real Trainer: under a token budget (whose batch count changes from
epoch to epoch), across a mid-epoch resume, and when the resumed run has another worker count or world size."""

from collections import defaultdict

import numpy as np
import pytest
import pytorch_lightning as pl
import torch

from lightning_seq.data import ShardedDataModule
from lightning_seq.data.batching.collate import collate_sequences
from lightning_seq.data.shards import (
    Batching,
    ShardLoader,
    ShardStream,
    epoch_plan,
    read_lengths,
    write_index,
    write_split,
)
from tests.data.shards.test_shards import make_dataset, stream, write_folder


class Recorder(pl.LightningModule):
    """Records the samples each training step sees, by epoch; learns nothing (lr 0)."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.seen: dict[int, list[int]] = defaultdict(list)

    def training_step(self, batch, batch_idx):
        self.seen[self.current_epoch].extend(batch.indices.tolist())
        return (self.weight * batch.inputs.float().mean()).sum()

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.0)


class SaveAt(pl.Callback):
    def __init__(self, step: int, path) -> None:
        self.step, self.path = step, path

    def on_train_batch_end(self, trainer, *args) -> None:
        if trainer.global_step == self.step:
            trainer.save_checkpoint(self.path)


def trainer(epochs: int, *callbacks) -> pl.Trainer:
    return pl.Trainer(max_epochs=epochs, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                      enable_progress_bar=False, enable_model_summary=False, callbacks=list(callbacks))


def shards(folder, size, **options) -> ShardedDataModule:
    """A folder of a train split of ``size`` samples (37 a shard) and a small val split, as prepare writes them."""
    folder.mkdir(parents=True, exist_ok=True)
    splits = {"train": write_split(folder, "train", make_dataset(size), 37, 8),
              "val": write_split(folder, "val", make_dataset(20, seed=1), 37, 8)}
    write_index(folder, splits, "tests.Data", "lightning_seq.data.batching.collate.collate_sequences",
                {"linked": {}, "names": {}, "state": {}, "inference": {}})
    return ShardedDataModule(str(folder), **options)


def test_the_token_budget_plan_changes_its_batch_count_between_epochs():
    """The premise of the next test: under max_tokens the epochs do not have one batch count."""
    lengths = np.random.default_rng(0).integers(1, 40, 600)
    counts = {len(epoch_plan([37] * 16 + [8], lengths, Batching(None, 60, 24, True, 0), e, 1)[0]) for e in range(4)}
    assert len(counts) > 1


@pytest.mark.parametrize("workers", [0, 2])
def test_a_token_budget_trains_every_sample_once_in_every_epoch(tmp_path, workers):
    data = shards(tmp_path, 600, batch_size=None, max_tokens=60, buffer_size=24, num_workers=workers)
    model = Recorder()
    trainer(4).fit(model, datamodule=data)
    for epoch in range(4):
        assert sorted(model.seen[epoch]) == list(range(600)), epoch


@pytest.mark.parametrize(("before", "after", "step"), [(0, 0, 23), (2, 0, 7), (0, 2, 30), (2, 3, 45)])
def test_a_resume_with_another_worker_count_trains_every_sample_once(tmp_path, before, after, step):
    """A checkpoint saved mid-epoch with ``before`` loader workers, resumed with ``after``: the interrupted epoch
    still uses every sample exactly once, and so does every later epoch."""
    checkpoint = tmp_path / "mid.ckpt"
    first = Recorder()
    trainer(3, SaveAt(step, checkpoint)).fit(
        first, datamodule=shards(tmp_path / "a", 203, batch_size=None, max_tokens=60, buffer_size=24,
                                 num_workers=before))
    saved = torch.load(checkpoint, weights_only=False)
    interrupted = saved["loops"]["fit_loop"]["epoch_progress"]["current"]["completed"]
    state = saved["ShardedDataModule"]["train_position"]
    assert (state["epoch"], state["workers"]) == (interrupted, max(before, 1)) and 0 < state["batches_done"]
    seen_before = first.seen[interrupted][: len(replay(tmp_path / "a", state))]
    assert seen_before == replay(tmp_path / "a", state)  # what the first run had used of that epoch when it saved
    second = Recorder()
    trainer(3).fit(second, datamodule=shards(tmp_path / "b", 203, batch_size=None, max_tokens=60, buffer_size=24,
                                             num_workers=after), ckpt_path=str(checkpoint))
    assert sorted(seen_before + second.seen[interrupted]) == list(range(203))
    assert set(seen_before).isdisjoint(second.seen[interrupted])
    for epoch in range(interrupted + 1, 3):
        assert sorted(second.seen[epoch]) == list(range(203)), epoch


def replay(folder, state) -> list[int]:
    """The samples of the first ``batches_done`` batches of the state's epoch, read by a stream of its settings."""
    from lightning_seq.data.shards import read_index

    entry = read_index(folder)["splits"]["train"]
    workers = state["workers"] if state["workers"] > 1 else 0
    made = stream(folder, entry, Batching(None, 60, 24, True, 0), workers=workers)
    seen = []
    for count, batch in enumerate(ShardLoader(made, lambda: state["epoch"]), start=1):
        if count > state["batches_done"]:
            break
        seen.extend(batch.indices.tolist())
    return seen


@pytest.mark.parametrize(("ranks_before", "ranks_after", "done"), [(1, 2, 9), (2, 1, 5), (2, 3, 4), (3, 2, 6)])
@pytest.mark.parametrize("max_tokens", [None, 80])
def test_a_resume_with_another_world_size_uses_every_sample_once(tmp_path, ranks_before, ranks_after, done,
                                                                 max_tokens):
    """Ranks simulated by streams with their rank set; the saved state is rank 0's (Lightning saves rank 0's)."""
    _, entry = write_folder(tmp_path, 203)
    batching = Batching(8 if max_tokens is None else None, max_tokens, 24, True, seed=3)
    used: list[int] = []
    states = []
    for rank in range(ranks_before):
        made = stream(tmp_path, entry, batching, rank, ranks_before, workers=2)
        for count, batch in enumerate(ShardLoader(made, lambda: 1), start=1):
            made.consumed = count
            used.extend(batch.indices.tolist())
            if count == done:
                break
        states.append(made.state_dict())
    assert all(s == states[0] for s in states)  # every rank saved the same position
    counts = set()
    for rank in range(ranks_after):
        made = stream(tmp_path, entry, batching, rank, ranks_after, workers=0)
        made.load_state_dict(states[0])
        loader = ShardLoader(made, lambda: 1)
        batches = list(loader)
        counts.add((len(loader), len(batches)))
        used.extend(i for batch in batches for i in batch.indices.tolist())
    assert sorted(used) == list(range(203))
    assert len(counts) == 1  # every new rank yields as many batches, and as many as its length says (after done)
    (length, yielded), = counts
    assert length == done + yielded


def test_a_resume_with_other_batch_settings_or_shards_is_refused_naming_both(tmp_path):
    _, entry = write_folder(tmp_path, 120)
    made = stream(tmp_path, entry, Batching(8, None, 24, True, seed=3))
    state = made.state_dict()
    other = stream(tmp_path, entry, Batching(16, None, 24, True, seed=3))
    with pytest.raises(ValueError, match="saved with batch_size=8, max_tokens=None, buffer_size=24, seed=3; this run "
                                         "has batch_size=16, max_tokens=None, buffer_size=24, seed=3"):
        other.load_state_dict(state)
    fewer = dict(entry, shards=entry["shards"][:2], rows=sum(s["rows"] for s in entry["shards"][:2]))
    lengths = read_lengths(tmp_path, "train", entry["rows"])[: fewer["rows"]]
    shorter = ShardStream(tmp_path, fewer, lengths, Batching(8, None, 24, True, seed=3), collate_sequences)
    with pytest.raises(ValueError, match="saved over the shards .*train-00003.parquet.*; this run reads"):
        shorter.load_state_dict(state)
