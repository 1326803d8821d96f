"""Shards: the sample codec, the epoch plan (exactly once, equal counts, disjoint parts), real loader workers and
resumption, read back from files written in ``tmp_path``."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lightning_seq.data.batching.collate import collate_sequences
from lightning_seq.data.datasets.sequences import SequenceDataset, WithReferences
from lightning_seq.data.shards import Batching, ShardLoader, ShardStream, epoch_plan, read_index, write_split
from lightning_seq.data.shards.codec import describe, from_table, to_table
from lightning_seq.data.shards.folder import read_lengths, write_index
from lightning_seq.data.shards.plan import part_bounds


def make_dataset(size: int, seed: int = 0) -> SequenceDataset:
    generator = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, 40, (size,), generator=generator).tolist()
    sequences = [torch.randint(2, 50, (n,), generator=generator) for n in lengths]
    return SequenceDataset(sequences, [i % 3 for i in range(size)])


def write_folder(folder, size, rows_per_shard=37, row_group_rows=8):
    dataset = make_dataset(size)
    entry = write_split(folder, "train", dataset, rows_per_shard, row_group_rows)
    write_index(folder, {"train": entry}, "tests.Data", "lightning_seq.data.batching.collate.collate_sequences",
                {"linked": {}, "names": {}, "state": {}, "inference": {}})
    return dataset, read_index(folder)["splits"]["train"]


def stream(folder, entry, batching, rank=0, world=1, workers=0):
    made = ShardStream(folder, entry, read_lengths(folder, "train", entry["rows"]), batching, collate_sequences,
                       workers=workers)
    made.set_world(rank, world)
    return made


def pq_round_trip(table, folder):
    import pyarrow.parquet as pq

    pq.write_table(table, folder / "round.parquet")
    return pq.read_table(folder / "round.parquet")


def test_codec_round_trips_every_field_kind(tmp_path):
    samples = [
        (torch.arange(6, dtype=torch.float32).reshape(2, 3), 4, 0.5, "a b", ["x", "y"], None, torch.tensor(3)),
        (torch.ones(0, 3), -1, 1.5, "", [], None, torch.tensor(-7)),
    ]
    fields = describe(samples[0])
    back = from_table(to_table(samples, fields, "test"), fields)
    for mine, theirs in zip(back, samples, strict=True):
        for a, b in zip(mine, theirs, strict=True):
            if isinstance(b, torch.Tensor):
                assert a.dtype == b.dtype and torch.equal(a, b)
            else:
                assert a == (list(b) if isinstance(b, list | tuple) else b)
    empty = [(torch.zeros(0, dtype=torch.long), -1), (torch.zeros(0, dtype=torch.long), -1)]  # unlabelled targets
    table = pq_round_trip(to_table(empty, describe(empty[0]), "test"), tmp_path)
    assert [(tuple(t.shape), target) for t, target in from_table(table, describe(empty[0]))] == [((0,), -1)] * 2
    with pytest.raises(TypeError, match="test: sample 1 does not match the first sample's fields"):
        to_table([samples[0], (torch.ones(2), "not an int", 0.5, "", [], None, torch.tensor(1))], fields, "test")
    with pytest.raises(TypeError, match="cannot store a sample field of type dict"):
        describe(({"a": 1},))


@settings(max_examples=120, deadline=None)
@given(
    shard_rows=st.lists(st.integers(1, 30), min_size=1, max_size=8),
    ranks=st.integers(1, 3),
    workers=st.integers(1, 3),
    batch_size=st.one_of(st.none(), st.integers(1, 9)),
    max_tokens=st.one_of(st.none(), st.integers(1, 120)),
    buffer_size=st.integers(1, 40),
    shuffle=st.booleans(),
    epoch=st.integers(0, 3),
)
def test_plan_uses_every_sample_once_with_equal_counts_and_disjoint_parts(
    shard_rows, ranks, workers, batch_size, max_tokens, buffer_size, shuffle, epoch
):
    if batch_size is None and max_tokens is None:
        batch_size = 4
    total = sum(shard_rows)
    lengths = np.random.default_rng(total).integers(1, 30, total)
    batching = Batching(batch_size, max_tokens, buffer_size, shuffle, seed=5)
    parts = ranks * workers
    if total < parts:
        with pytest.raises(ValueError, match=f"{total} samples cannot give each of {parts} readers"):
            epoch_plan(shard_rows, lengths, batching, epoch, parts)
        return
    try:
        plans = epoch_plan(shard_rows, lengths, batching, epoch, parts)
    except ValueError as error:  # only when some part has fewer samples than the longest part's count
        assert "cannot give every part" in str(error)
        return
    assert len({len(p) for p in plans}) == 1
    seen = np.concatenate([np.concatenate(p) for p in plans])
    assert sorted(seen.tolist()) == list(range(total))
    for plan in plans:
        for batch in plan:
            assert len(batch) >= 1
            if batch_size is not None:
                assert len(batch) <= batch_size
            if max_tokens is not None and len(batch) > 1:
                assert len(batch) * lengths[batch].max() <= max_tokens
    # each part holds one contiguous range of the epoch's stream: its rows are those of its bounds
    sizes = [end - start for start, end in part_bounds(total, parts)]
    assert [sum(len(b) for b in p) for p in plans] == sizes


def test_token_budget_caps_padded_tokens_and_buffers_pad_less_than_random_batches():
    lengths = np.random.default_rng(0).integers(1, 200, 5000)
    rows = [500] * 10
    budget = epoch_plan(rows, lengths, Batching(None, 1000, 1000, True, 0), 0, 1)[0]
    assert all(len(b) == 1 or len(b) * lengths[b].max() <= 1000 for b in budget)

    def padding(plan):
        real = sum(int(lengths[b].sum()) for b in plan)
        padded = sum(len(b) * int(lengths[b].max()) for b in plan)
        return 1 - real / padded

    bucketed = padding(epoch_plan(rows, lengths, Batching(32, None, 2000, True, 0), 0, 1)[0])
    unsorted = padding(epoch_plan(rows, lengths, Batching(32, None, 1, True, 0), 0, 1)[0])
    assert bucketed < 0.05 < 0.3 < unsorted


@pytest.mark.parametrize("size", [203, 64, 97])
def test_two_ranks_with_two_workers_each_read_every_sample_exactly_once(tmp_path, size):
    """Real loader worker processes; 203 and 97 divide neither the parts nor the batches."""
    dataset, entry = write_folder(tmp_path, size)
    batching = Batching(8, None, 24, True, seed=3)
    per_rank = []
    for rank in range(2):
        made = stream(tmp_path, entry, batching, rank, 2, workers=2)
        loader = ShardLoader(made, lambda: 1)
        batches = list(loader)
        assert len(batches) == len(made)
        per_rank.append(batches)
    assert len(per_rank[0]) == len(per_rank[1])
    indices = [i for batches in per_rank for batch in batches for i in batch.indices.tolist()]
    assert sorted(indices) == list(range(size))
    for batches in per_rank:  # the samples are the ones written, padded into batches
        for batch in batches:
            for row, index in enumerate(batch.indices.tolist()):
                n = int(batch.lengths[row])
                assert torch.equal(batch.inputs[row, :n], dataset.sequences[index])


def test_epochs_differ_and_the_plan_depends_only_on_seed_and_epoch(tmp_path):
    _, entry = write_folder(tmp_path, 150)
    made = stream(tmp_path, entry, Batching(8, None, 30, True, seed=1))
    first = [b.indices.tolist() for b in ShardLoader(made, lambda: 0)]
    fresh = stream(tmp_path, entry, Batching(8, None, 30, True, seed=1))
    again = [b.indices.tolist() for b in ShardLoader(fresh, lambda: 0)]
    second = [b.indices.tolist() for b in ShardLoader(made, lambda: 1)]
    assert first == again and first != second


@pytest.mark.parametrize(("workers", "done"), [(0, 7), (2, 7), (2, 8), (3, 1)])
def test_resumed_stream_yields_exactly_the_batches_an_uninterrupted_one_had_left(tmp_path, workers, done):
    _, entry = write_folder(tmp_path, 203)
    batching = Batching(8, None, 24, True, seed=3)
    straight = [b.indices.tolist() for b in ShardLoader(stream(tmp_path, entry, batching, workers=workers), lambda: 2)]
    interrupted = stream(tmp_path, entry, batching, workers=workers)
    loader = ShardLoader(interrupted, lambda: 2)
    for count, _ in enumerate(loader, start=1):
        interrupted.consumed = count  # the data module counts batches that reach the device
        if count == done:
            break
    state = interrupted.state_dict()
    assert (state["epoch"], state["batches_done"], state["ranks"], state["workers"]) == (2, done, 1, max(workers, 1))
    resumed = stream(tmp_path, entry, batching, workers=workers)
    resumed.load_state_dict(state)
    rest = [b.indices.tolist() for b in ShardLoader(resumed, lambda: 2)]
    assert rest == straight[done:]
    assert resumed.consumed == done
    # the next epoch starts whole
    assert [b.indices.tolist() for b in ShardLoader(resumed, lambda: 3)] == [
        b.indices.tolist() for b in ShardLoader(stream(tmp_path, entry, batching, workers=workers), lambda: 3)]


def test_references_and_unlabelled_rows_travel(tmp_path):
    base = make_dataset(20)
    dataset = WithReferences(base, [[f"ref {i}"] for i in range(20)])
    entry = write_split(tmp_path, "val", dataset, 7, 3)
    assert entry["fields"] == [{"kind": "tensor", "dtype": "int64"}, {"kind": "int"}, {"kind": "int"},
                               {"kind": "strings"}]
    from lightning_seq.data.shards import read_stream

    groups = read_stream(tmp_path, entry["shards"], entry["fields"], [2, 0, 1], 3, 17)
    rows = [(first + k, sample) for first, group in groups for k, sample in enumerate(group)]
    stream_ids = list(range(14, 20)) + list(range(0, 14))
    assert [r for r, _ in rows] == stream_ids[3:17]
    for row, sample in rows:
        assert torch.equal(sample[0], base.sequences[row]) and sample[3] == [f"ref {row}"]


def test_bad_folders_and_sizes_are_refused_by_name(tmp_path):
    with pytest.raises(FileNotFoundError, match="index.json not found: --data.init_args.path must be a folder"):
        read_index(tmp_path)
    _, entry = write_folder(tmp_path, 80)
    (tmp_path / entry["shards"][1]["file"]).unlink()
    with pytest.raises(FileNotFoundError, match="train-00001.parquet \\(a train shard listed in"):
        read_index(tmp_path)
    with pytest.raises(ValueError, match="give batch_size, max_tokens or both"):
        Batching(None, None)
    with pytest.raises(ValueError, match="buffer_size must be >= 1, got 0"):
        Batching(8, None, 0)


def test_a_url_reads_the_same_batches_as_the_folder_through_real_workers(tmp_path):
    """``file://`` goes through the same pyarrow.fs calls as ``s3://`` or ``gs://`` (not reachable here)."""
    _, entry = write_folder(tmp_path, 120)
    batching = Batching(8, None, 24, True, seed=2)
    local = [b.indices.tolist() for b in ShardLoader(stream(tmp_path, entry, batching, workers=2), lambda: 0)]
    url = f"file://{tmp_path}"
    assert read_index(url)["splits"]["train"] == entry
    made = ShardStream(url, entry, read_lengths(url, "train", entry["rows"]), batching, collate_sequences, workers=2)
    assert [b.indices.tolist() for b in ShardLoader(made, lambda: 0)] == local
    with pytest.raises(FileNotFoundError, match=f"file://{tmp_path}/nowhere/index.json not found"):
        read_index(f"file://{tmp_path}/nowhere")


def test_a_corrupt_truncated_or_missing_shard_is_named_when_it_is_read(tmp_path):
    _, entry = write_folder(tmp_path, 80)
    batching = Batching(8, None, 24, False, seed=0)
    shard = tmp_path / entry["shards"][1]["file"]
    data = shard.read_bytes()
    for broken, detail in ((data[: len(data) // 2], "a shard"), (b"PAR1" + b"\0" * 64, "a shard"),
                           (None, "a shard")):
        if broken is None:
            shard.unlink()
        else:
            shard.write_bytes(broken)
        with pytest.raises(ValueError, match=f"^{tmp_path / entry['shards'][1]['file']} \\({detail}\\) cannot be "
                                             f"read: "):
            list(ShardLoader(stream(tmp_path, entry, batching), lambda: 0))
    shard.write_bytes(data)
    (tmp_path / "lengths/train.npy").write_bytes(b"\x93NUMPY broken")
    with pytest.raises(ValueError, match=f"^{tmp_path}/lengths/train.npy \\(the train lengths\\) cannot be read: "):
        read_lengths(tmp_path, "train", entry["rows"])
    (tmp_path / "module.pt").write_bytes(b"not a torch file")
    from lightning_seq.data.shards.folder import read_description

    with pytest.raises(ValueError, match=f"^{tmp_path}/module.pt \\(the data module's description\\) cannot be "):
        read_description(tmp_path)
