import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.data.distributed import DistributedSampler

from lightning_seq.data import BucketBatchSampler

_RNG = random.Random(0)
LENGTHS = [_RNG.randint(1, 60) for _ in range(103)]


def batches_per_rank(world, epoch, shuffle=True, batch_size=8):
    result = []
    for rank in range(world):
        sampler = BucketBatchSampler(
            LENGTHS, batch_size, shuffle=shuffle, pool_batches=2, seed=5, num_replicas=world, rank=rank
        )
        sampler.set_epoch(epoch)
        result.append(list(sampler))
        assert len(result[-1]) == len(sampler)
    return result


@pytest.mark.parametrize("world", [1, 2, 3, 4])
def test_every_sample_exactly_once_and_equal_batch_counts(world):
    for epoch in (0, 1):
        ranks = batches_per_rank(world, epoch)
        assert len({len(batches) for batches in ranks}) == 1
        seen = sorted(i for batches in ranks for batch in batches for i in batch)
        assert seen == list(range(len(LENGTHS)))
        assert all(1 <= len(batch) <= 8 for batches in ranks for batch in batches)


def test_set_epoch_reshuffles_and_ranks_agree():
    first = batches_per_rank(2, epoch=0)
    again = batches_per_rank(2, epoch=0)
    second = batches_per_rank(2, epoch=1)
    assert first == again  # every rank computes the same plan from seed + epoch
    assert first != second


def test_batches_group_similar_lengths():
    sampler = BucketBatchSampler(LENGTHS, 8, shuffle=True, pool_batches=16, seed=0)
    padded = sum(len(b) * max(LENGTHS[i] for i in b) for b in sampler)
    useful = sum(LENGTHS)
    random_batches = [list(range(i, min(i + 8, 103))) for i in range(0, 103, 8)]
    padded_random = sum(len(b) * max(LENGTHS[i] for i in b) for b in random_batches)
    assert useful / padded > 0.9 > useful / padded_random


def test_evaluation_order_is_sorted_and_deterministic():
    (batches,) = batches_per_rank(1, epoch=0, shuffle=False)
    order = [i for batch in batches for i in batch]
    assert [LENGTHS[i] for i in order] == sorted(LENGTHS, reverse=True)
    assert batches_per_rank(1, epoch=7, shuffle=False)[0] == batches


def test_adopts_rank_from_injected_distributed_sampler():
    injected = DistributedSampler(list(range(103)), num_replicas=3, rank=2, shuffle=False)
    sampler = BucketBatchSampler(LENGTHS, 8, sampler=injected)
    assert (sampler.num_replicas, sampler.rank) == (3, 2)
    assert len(sampler) == 5


def test_invalid_arguments():
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        BucketBatchSampler(LENGTHS, 0)
    with pytest.raises(ValueError, match="cannot batch an empty data set"):
        BucketBatchSampler([], 4)
    with pytest.raises(ValueError, match=r"rank must lie in \[0, 2\), got 2"):
        BucketBatchSampler(LENGTHS, 4, num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="3 samples cannot give every one of 4 ranks a batch"):
        len(BucketBatchSampler([1, 2, 3], 4, num_replicas=4, rank=0))


@settings(max_examples=150, deadline=None)
@given(
    total=st.integers(1, 3000),
    global_batch=st.sampled_from([1, 2, 4, 8, 12, 16, 24, 32, 48, 64]),
    worlds=st.sampled_from([(1, 2), (1, 4), (2, 4), (1, 3), (3, 6), (1, 8)]),
    shuffle=st.booleans(),
    pool_batches=st.integers(1, 20),
    epoch=st.integers(0, 5),
)
def test_each_step_holds_the_same_samples_for_every_world_size_with_the_same_global_batch(
    total, global_batch, worlds, shuffle, pool_batches, epoch
):
    lengths = [random.Random(total).randint(1, 400) for _ in range(total)]
    plans = []
    for world in worlds:
        if global_batch % world:
            return
        sampler = BucketBatchSampler(lengths, global_batch // world, shuffle=shuffle, pool_batches=pool_batches,
                                     seed=3, num_replicas=world, rank=0)
        sampler.set_epoch(epoch)
        steps = -(-total // global_batch)
        if total // steps < world:  # too few samples to give every rank one in every step
            with pytest.raises(ValueError, match="cannot"):
                sampler.global_plan()
            return
        plan = sampler.global_plan()
        per_rank = [[step[rank] for step in plan] for rank in range(world)]
        assert all(len(batches) == len(sampler) for batches in per_rank)  # every rank: the same number of batches
        assert all(1 <= len(b) <= global_batch // world for step in plan for b in step)
        assert sorted(i for step in plan for b in step for i in b) == list(range(total))  # each sample once
        plans.append([sorted(i for b in step for i in b) for step in plan])
    assert plans[0] == plans[1]


@pytest.mark.parametrize("total", [68, 100, 200, 256, 1000, 3000, 6000])
def test_one_process_with_batch_32_sees_the_samples_of_two_with_batch_16_at_training_sizes(total):
    lengths = [random.Random(total).randint(1, 50) for _ in range(total)]
    one = BucketBatchSampler(lengths, 32, seed=1, num_replicas=1, rank=0)
    ranks = [BucketBatchSampler(lengths, 16, seed=1, num_replicas=2, rank=r) for r in (0, 1)]
    for epoch in (0, 1):
        for sampler in (one, *ranks):
            sampler.set_epoch(epoch)
        single, first, second = list(one), list(ranks[0]), list(ranks[1])
        assert len(single) == len(first) == len(second)
        assert [sorted(b) for b in single] == [sorted(a + b) for a, b in zip(first, second, strict=True)]
