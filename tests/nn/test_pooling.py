import pytest
import torch

from lightning_seq.nn import AttentionPooling, LastPooling, MaxPooling, MeanPooling, merge_directions
from lightning_seq.nn.pooling import build_pooling

LENGTHS = torch.tensor([3, 1, 5])


def padded_outputs(width=4):
    torch.manual_seed(0)
    outputs = torch.randn(3, 5, width)
    outputs[0, 3:] = 100.0  # padding must never leak into a pooled value
    outputs[1, 1:] = 100.0
    return outputs


def test_last_pooling_unidirectional_gathers_each_rows_last_step():
    outputs = padded_outputs()
    pooled = LastPooling(1)(outputs, LENGTHS)
    expected = torch.stack([outputs[0, 2], outputs[1, 0], outputs[2, 4]])
    torch.testing.assert_close(pooled, expected)


def test_last_pooling_bidirectional_takes_backward_half_at_step_zero():
    outputs = padded_outputs(width=6)
    pooled = LastPooling(2)(outputs, LENGTHS)
    expected = torch.stack(
        [
            torch.cat([outputs[0, 2, :3], outputs[0, 0, 3:]]),
            outputs[1, 0],
            torch.cat([outputs[2, 4, :3], outputs[2, 0, 3:]]),
        ]
    )
    torch.testing.assert_close(pooled, expected)


def test_mean_and_max_ignore_padding():
    outputs = padded_outputs()
    mean = MeanPooling()(outputs, LENGTHS)
    maximum = MaxPooling()(outputs, LENGTHS)
    for row, length in enumerate(LENGTHS.tolist()):
        torch.testing.assert_close(mean[row], outputs[row, :length].mean(0))
        torch.testing.assert_close(maximum[row], outputs[row, :length].amax(0))


def test_attention_gives_padding_zero_weight_and_matches_unpadded():
    torch.manual_seed(0)
    pool = AttentionPooling(4)
    outputs = padded_outputs()
    weights = pool.weights(outputs, LENGTHS)
    assert weights.shape == (3, 5)
    assert torch.all(weights[0, 3:] == 0) and torch.all(weights[1, 1:] == 0)
    torch.testing.assert_close(weights.sum(1), torch.ones(3))
    pooled = pool(outputs, LENGTHS)
    for row, length in enumerate(LENGTHS.tolist()):
        alone = pool(outputs[row : row + 1, :length], LENGTHS[row : row + 1])
        torch.testing.assert_close(pooled[row], alone[0])


def test_merge_directions():
    pooled = torch.arange(8.0).view(2, 4)
    torch.testing.assert_close(merge_directions(pooled, 2, "concat"), pooled)
    torch.testing.assert_close(merge_directions(pooled, 2, "sum"), torch.tensor([[2.0, 4.0], [10.0, 12.0]]))
    torch.testing.assert_close(merge_directions(pooled, 2, "mean"), torch.tensor([[1.0, 2.0], [5.0, 6.0]]))
    torch.testing.assert_close(merge_directions(pooled, 1, "sum"), pooled)
    with pytest.raises(ValueError, match="direction_merge must be 'concat', 'sum' or 'mean', got 'max'"):
        merge_directions(pooled, 2, "max")


def test_build_pooling_refuses_unknown_mode():
    assert isinstance(build_pooling("attention", 8, 2), AttentionPooling)
    with pytest.raises(ValueError, match="pooling must be one of 'last', 'mean', 'max', 'attention', got 'first'"):
        build_pooling("first", 8, 2)
