import pytest
import torch

from lightning_seq.nn import GRUEncoder, LSTMEncoder, RNNEncoder
from lightning_seq.nn.packed import packed_reference, to_torch_rnn

ENCODERS = [RNNEncoder, LSTMEncoder, GRUEncoder]
LENGTHS = torch.tensor([11, 4, 1, 7, 11, 2])


def make_batch(input_size=5, seed=0):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(len(LENGTHS), int(LENGTHS.max()) + 3, input_size, generator=generator)  # extra padding
    return x, LENGTHS


@pytest.mark.parametrize("num_layers", [1, 2, 3])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cls", ENCODERS)
def test_padded_batch_equals_packed_reference_and_unpadded_samples(cls, bidirectional, num_layers):
    torch.manual_seed(1)
    encoder = cls(5, 6, num_layers=num_layers, bidirectional=bidirectional).eval()
    x, lengths = make_batch()
    outputs, state = encoder(x, lengths)
    d = 2 if bidirectional else 1
    assert outputs.shape == (len(lengths), x.size(1), d * 6)
    assert state.hidden.shape == (num_layers, len(lengths), d * 6)
    assert (state.cell is not None) == (cls is LSTMEncoder)

    ref_out, ref_state = packed_reference(to_torch_rnn(encoder).eval(), x, lengths)
    torch.testing.assert_close(outputs, ref_out)
    torch.testing.assert_close(state.hidden, ref_state.hidden)
    if cls is LSTMEncoder:
        torch.testing.assert_close(state.cell, ref_state.cell)

    for row, length in enumerate(lengths.tolist()):
        one_out, one_state = encoder(x[row : row + 1, :length], lengths[row : row + 1])
        torch.testing.assert_close(outputs[row, :length], one_out[0])
        torch.testing.assert_close(state.hidden[:, row], one_state.hidden[:, 0])
        if cls is LSTMEncoder:
            torch.testing.assert_close(state.cell[:, row], one_state.cell[:, 0])
        assert torch.count_nonzero(outputs[row, length:]) == 0


@pytest.mark.parametrize("cls", ENCODERS)
def test_gradients_equal_packed_reference(cls):
    torch.manual_seed(2)
    encoder = cls(5, 4, num_layers=2, bidirectional=True)
    reference = to_torch_rnn(encoder)
    x, lengths = make_batch(seed=3)
    x_ours, x_ref = x.clone().requires_grad_(), x.clone().requires_grad_()
    out, state = encoder(x_ours, lengths)
    ref_out, ref_state = packed_reference(reference, x_ref, lengths)
    (out.square().sum() + state.hidden.sum()).backward()
    (ref_out.square().sum() + ref_state.hidden.sum()).backward()
    torch.testing.assert_close(x_ours.grad, x_ref.grad)
    torch.testing.assert_close(encoder.layers[1][1].weight_hh_l0.grad, reference.weight_hh_l1_reverse.grad)
    torch.testing.assert_close(encoder.layers[0][0].weight_ih_l0.grad, reference.weight_ih_l0.grad)


def test_lstm_cell_state_exact_after_long_padding():
    torch.manual_seed(0)
    encoder = LSTMEncoder(3, 8, bidirectional=True).eval()
    x = torch.randn(2, 300, 3) * 5
    lengths = torch.tensor([2, 300])
    _, state = encoder(x, lengths)
    _, alone = encoder(x[:1, :2], lengths[:1])
    torch.testing.assert_close(state.cell[:, 0], alone.cell[:, 0], rtol=0, atol=1e-6)


def test_dropout_only_between_layers_and_only_in_training():
    torch.manual_seed(0)
    encoder = LSTMEncoder(5, 6, num_layers=2, dropout=0.5)
    x, lengths = make_batch()
    encoder.eval()
    first, _ = encoder(x, lengths)
    second, _ = encoder(x, lengths)
    torch.testing.assert_close(first, second)
    encoder.train()
    noisy, _ = encoder(x, lengths)
    assert not torch.allclose(noisy, first)
    single = LSTMEncoder(5, 6, num_layers=1, dropout=0.5).train()
    a, _ = single(x, lengths)
    b, _ = single(x, lengths)
    torch.testing.assert_close(a, b)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hidden_size": 0}, "hidden_size must be an integer >= 1, got 0"),
        ({"hidden_size": -3}, "hidden_size must be an integer >= 1, got -3"),
        ({"num_layers": 0}, "num_layers must be an integer >= 1, got 0"),
        ({"dropout": 1.0}, r"dropout must lie in \[0, 1\), got 1.0"),
        ({"dropout": -0.1}, r"dropout must lie in \[0, 1\), got -0.1"),
    ],
)
@pytest.mark.parametrize("cls", ENCODERS)
def test_invalid_arguments_name_the_argument(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls(4, **kwargs)


def test_lengths_outside_range_are_refused():
    encoder = GRUEncoder(5, 3)
    x, _ = make_batch()
    with pytest.raises(ValueError, match=r"every length must lie in \[1, 14\]"):
        encoder(x[:2], torch.tensor([0, 3]))
    with pytest.raises(ValueError, match=r"every length must lie in \[1, 14\]"):
        encoder(x[:2], torch.tensor([15, 3]))
    with pytest.raises(ValueError, match=r"expected input \(B, T, 5\)"):
        encoder(x[..., :4], LENGTHS)


def test_rnn_relu_nonlinearity_matches_torch():
    encoder = RNNEncoder(5, 6, num_layers=2, bidirectional=True, nonlinearity="relu").eval()
    reference = to_torch_rnn(encoder).eval()
    assert reference.nonlinearity == "relu"
    x, lengths = make_batch()
    torch.testing.assert_close(encoder(x, lengths)[0], packed_reference(reference, x, lengths)[0])
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu', got 'sigmoid'"):
        RNNEncoder(5, nonlinearity="sigmoid")


@pytest.mark.parametrize("cls", ENCODERS)
def test_initial_state_continues_a_stream_exactly(cls):
    torch.manual_seed(3)
    encoder = cls(5, 6, num_layers=2).eval()
    x = torch.randn(3, 12, 5)
    full = torch.full((3,), 12)
    whole_out, whole_state = encoder(x, full)
    first_out, first_state = encoder(x[:, :5], torch.full((3,), 5))
    second_out, second_state = encoder(x[:, 5:], torch.full((3,), 7), first_state)
    torch.testing.assert_close(torch.cat([first_out, second_out], 1), whole_out)
    torch.testing.assert_close(second_state.hidden, whole_state.hidden)
    if cls is LSTMEncoder:
        torch.testing.assert_close(second_state.cell, whole_state.cell)
    # a padded continuation stops at each row's own length
    lengths = torch.tensor([7, 3, 1])
    padded_out, padded_state = encoder(x[:, 5:], lengths, first_state)
    for row, length in enumerate(lengths.tolist()):
        row_state = type(first_state)(*(t[:, row : row + 1] if t is not None else None for t in first_state))
        one_out, one_state = encoder(x[row : row + 1, 5 : 5 + length], lengths[row : row + 1], row_state)
        torch.testing.assert_close(padded_out[row, :length], one_out[0])
        torch.testing.assert_close(padded_state.hidden[:, row], one_state.hidden[:, 0])


def test_initial_state_of_the_wrong_shape_is_refused():
    encoder = LSTMEncoder(5, 6, num_layers=2)
    x, lengths = torch.randn(3, 4, 5), torch.full((3,), 4)
    _, state = encoder(x, lengths)
    with pytest.raises(ValueError, match=r"initial_state.hidden must have shape \(2, 2, 6\), got \(2, 3, 6\)"):
        encoder(x[:2], lengths[:2], state)
    with pytest.raises(ValueError, match=r"initial_state.cell must have shape \(2, 3, 6\) for an LSTM, got None"):
        encoder(x, lengths, state._replace(cell=None))


HOSTILE_FILLS = {
    "large": lambda shape, g: torch.randn(shape, generator=g) * 1e4,
    "minus_1e9": lambda shape, g: torch.full(shape, -1e9),
    "inf": lambda shape, g: torch.full(shape, float("inf")),
    "minus_inf": lambda shape, g: torch.full(shape, float("-inf")),
    "nan": lambda shape, g: torch.full(shape, float("nan")),
}


@pytest.mark.parametrize("fill", sorted(HOSTILE_FILLS))
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cls", ENCODERS)
def test_padding_content_never_matters(cls, bidirectional, num_layers, fill):
    """Padded steps filled with huge values, infinities or NaN: outputs, states and gradients equal the packed
    reference (which never reads padding) and the same batch padded with zeros."""
    torch.manual_seed(4)
    encoder = cls(5, 6, num_layers=num_layers, bidirectional=bidirectional)
    reference = to_torch_rnn(encoder)
    x, lengths = make_batch(seed=5)
    pad = ~(torch.arange(x.size(1)).unsqueeze(0) < lengths.unsqueeze(1))  # (B, T)
    hostile = x.clone()
    hostile[pad] = HOSTILE_FILLS[fill](hostile[pad].shape, torch.Generator().manual_seed(6))
    x_ours, x_ref = hostile.clone().requires_grad_(), x.clone().requires_grad_()
    out, state = encoder(x_ours, lengths)
    ref_out, ref_state = packed_reference(reference, x_ref, lengths)
    torch.testing.assert_close(out, ref_out)
    torch.testing.assert_close(state.hidden, ref_state.hidden)
    if cls is LSTMEncoder:
        torch.testing.assert_close(state.cell, ref_state.cell)
    (out.square().sum() + state.hidden.sum()).backward()
    (ref_out.square().sum() + ref_state.hidden.sum()).backward()
    torch.testing.assert_close(x_ours.grad, x_ref.grad)  # zero at padded steps on both sides
    assert torch.count_nonzero(x_ours.grad[pad]) == 0
    assert all(torch.isfinite(p.grad).all() for p in encoder.parameters())
    torch.testing.assert_close(encoder.layers[0][0].weight_ih_l0.grad, reference.weight_ih_l0.grad)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("encoder_class", [LSTMEncoder, GRUEncoder, RNNEncoder], ids=lambda c: c.__name__)
def test_state_layout_is_declared_by_the_contract(encoder_class, bidirectional):
    """``carries_cell`` and ``state_shape`` say what ``forward`` returns, so no caller tests types or probes."""
    encoder = encoder_class(3, 5, num_layers=2, bidirectional=bidirectional)
    _, state = encoder(torch.randn(4, 6, 3), torch.tensor([6, 2, 5, 1]))
    assert tuple(state.hidden.shape) == encoder.state_shape(4) == (2, 4, 5 * (2 if bidirectional else 1))
    assert encoder.carries_cell is (encoder_class is LSTMEncoder)
    assert (state.cell is not None) is encoder.carries_cell
    if encoder.carries_cell:
        assert tuple(state.cell.shape) == encoder.state_shape(4)
