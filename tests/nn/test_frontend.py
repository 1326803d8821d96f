import pytest
import torch

from lightning_seq.nn import ConvFrontEnd


@pytest.mark.parametrize("time_reduction", [1, 2, 4])
def test_padding_never_changes_a_rows_result(time_reduction):
    torch.manual_seed(0)
    frontend = ConvFrontEnd(32, channels=[4, 6], time_reduction=time_reduction).eval()
    x = torch.randn(3, 13, 32)
    lengths = torch.tensor([13, 6, 1])
    out, out_lengths = frontend(x, lengths)
    assert out.shape == (3, -(-13 // time_reduction), 6 * 8)
    assert out_lengths.tolist() == [-(-n // time_reduction) for n in (13, 6, 1)]
    torch.testing.assert_close(out_lengths, frontend.output_lengths(lengths))
    for row, length in enumerate(lengths.tolist()):
        alone, alone_lengths = frontend(x[row : row + 1, :length], lengths[row : row + 1])
        valid = int(alone_lengths[0])
        torch.testing.assert_close(out[row, :valid], alone[0])
        assert torch.count_nonzero(out[row, valid:]) == 0


def test_rgb_planes_and_invalid_arguments():
    assert ConvFrontEnd(3 * 16, in_channels=3, channels=[8]).output_size == 8 * 8
    with pytest.raises(ValueError, match="input_size 32 must be a multiple of in_channels 3"):
        ConvFrontEnd(32, in_channels=3)
    with pytest.raises(ValueError, match="time_reduction must be a power of two up to 4, got 3"):
        ConvFrontEnd(32, time_reduction=3)
    with pytest.raises(ValueError, match="time_reduction must be a power of two up to 4, got 8"):
        ConvFrontEnd(32, time_reduction=8)
    with pytest.raises(ValueError, match="3 blocks halve the height 3 times: 4 is too small"):
        ConvFrontEnd(4, channels=[2, 2, 2])
