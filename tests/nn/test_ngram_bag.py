import pytest
import torch

from lightning_seq.nn import NgramBag


def reference_bag(bag: NgramBag, ids: list[int]) -> torch.Tensor:
    """The mean of the table rows of every n-gram of orders 1..max_order, hashed one at a time."""
    rows = []
    for order in range(1, bag.max_order + 1):
        for start in range(len(ids) - order + 1):
            gram = torch.tensor([ids[start : start + order]])
            rows.append(bag.table.weight[bag.bucket_ids(gram, order)[0, 0]])
    return torch.stack(rows).mean(0)


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_each_row_is_the_mean_of_its_own_ngrams(order):
    torch.manual_seed(order)
    bag = NgramBag(num_buckets=1009, embedding_dim=6, max_order=order)
    lengths = torch.tensor([9, 5, 3, 2, 1])
    ids = torch.randint(1, 5000, (5, 9))
    out = bag(ids, lengths)
    assert out.shape == (5, 6)
    for row, length in enumerate(lengths.tolist()):
        torch.testing.assert_close(out[row], reference_bag(bag, ids[row, :length].tolist()))


def test_order_matters_only_through_pairs():
    bag1, bag2 = NgramBag(1009, 4, 1), NgramBag(1009, 4, 2)
    bag2.table.weight.data.copy_(bag1.table.weight.data)
    ids, swapped, lengths = torch.tensor([[5, 6, 7]]), torch.tensor([[7, 6, 5]]), torch.tensor([3])
    torch.testing.assert_close(bag1(ids, lengths), bag1(swapped, lengths))  # a bag of words
    assert not torch.allclose(bag2(ids, lengths), bag2(swapped, lengths))  # pairs read short-range order


def test_hashes_are_deterministic_in_range_for_huge_ids_and_distinct_by_order():
    bag = NgramBag(num_buckets=7919, embedding_dim=2, max_order=4)
    ids = torch.tensor([[2**40, 3, 2**50, 1, 9]])
    for order in range(1, 5):
        hashed = bag.bucket_ids(ids, order)
        assert hashed.shape == (1, 6 - order) and torch.equal(hashed, bag.bucket_ids(ids.clone(), order))
        assert int(hashed.min()) >= 0 and int(hashed.max()) < 7919
    assert bag.bucket_ids(torch.tensor([[3]]), 1) != bag.bucket_ids(torch.tensor([[0, 3]]), 2)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"num_buckets": 0}, "num_buckets must be >= 1, got 0"),
    ({"embedding_dim": 0}, "embedding_dim must be >= 1, got 0"),
    ({"max_order": 0}, "max_order must lie in 1..4, got 0"),
])
def test_bad_settings_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        NgramBag(**kwargs)
