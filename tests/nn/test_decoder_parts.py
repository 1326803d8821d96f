import torch

from lightning_seq.nn import DotAttention
from lightning_seq.nn import decoder_parts as parts
from lightning_seq.types import EncoderState


def encoder_state(cell=True):
    torch.manual_seed(0)
    hidden = torch.randn(2, 3, 4)  # two encoder layers, batch 3, size 4
    return EncoderState(hidden, torch.randn(2, 3, 4) if cell else None)


def test_starts():
    state = encoder_state()
    hidden, cell = parts.ZeroStart(2, 5)(state)
    assert hidden.shape == cell.shape == (3, 2, 5) and not hidden.any() and not cell.any()
    hidden, cell = parts.CopiedStart(2, 4, copies_cell=True)(state)
    assert torch.equal(hidden[:, 0], state.hidden[-1]) and torch.equal(hidden[:, 1], state.hidden[-1])
    assert torch.equal(cell[:, 1], state.cell[-1])
    _, cell = parts.CopiedStart(2, 4, copies_cell=False)(state)  # a GRU decoder keeps no cell
    assert not cell.any()
    _, cell = parts.CopiedStart(2, 4, copies_cell=True)(encoder_state(cell=False))  # a GRU encoder has none to copy
    assert not cell.any()
    bridged = parts.BridgedStart(2, 5, 4)
    hidden, cell = bridged(state)
    expected = torch.tanh(bridged.bridge(state.hidden[-1])).view(3, 2, 5)
    assert torch.equal(hidden, expected) and not cell.any()


def decoder_state(hidden, context, memory):
    feed = torch.zeros(hidden.size(0), hidden.size(2))
    return parts.DecoderState(hidden, torch.zeros_like(hidden), feed, context, memory)


def test_fixed_contexts_read_the_encoder_once_and_weigh_nothing():
    state, outputs, mask = encoder_state(), torch.randn(3, 6, 4), torch.ones(3, 6, dtype=torch.bool)
    start = torch.randn(3, 2, 5)
    none, final = parts.DecoderContext(), parts.FinalStateContext(4)
    bridged, top = parts.BridgedContext(4, 5), parts.StartContext(5)
    assert (none.size, final.size, bridged.size, top.size) == (0, 4, 5, 5)
    assert none.fixed(state, start).shape == (3, 0)
    assert torch.equal(final.fixed(state, start), state.hidden[-1])
    assert torch.equal(bridged.fixed(state, start), torch.tanh(bridged.bridge(state.hidden[-1])))
    assert torch.equal(top.fixed(state, start), start[:, -1])
    for part in (none, final, bridged, top):
        memory = part.memory(outputs, mask)
        assert memory.values.shape == (3, 0, 0) and memory.mask.shape == (3, 0) and not part.attends
        fixed = part.fixed(state, start)
        context, weights = part(decoder_state(start, fixed, memory), None)
        assert context is fixed and weights.shape == (3, 0)


def test_attention_contexts_query_with_the_state_or_the_state_and_the_input():
    torch.manual_seed(1)
    outputs, mask = torch.randn(2, 4, 5), torch.tensor([[True] * 4, [True, True, False, False]])
    hidden = torch.randn(2, 1, 5)
    plain = parts.AttentionContext(DotAttention(5, 5))
    assert plain.attends and plain.size == 5
    state = decoder_state(hidden, torch.zeros(2, 0), plain.memory(outputs, mask))
    context, weights = plain(state, None)
    scores = torch.einsum("bsd,bd->bs", outputs, hidden[:, -1]).masked_fill(~mask, float("-inf"))
    torch.testing.assert_close(weights, torch.softmax(scores, -1))
    torch.testing.assert_close(context, torch.einsum("bs,bsd->bd", weights, outputs))
    previous = torch.randn(2, 3)
    assert torch.equal(parts.InputAwareAttentionContext(DotAttention(8, 8)).query(state, previous),
                       torch.cat([hidden[:, -1], previous], -1))


def test_step_input_concatenates_what_it_reads_in_order():
    previous, context, feed = torch.ones(2, 3), 2 * torch.ones(2, 4), 3 * torch.ones(2, 5)
    both = parts.StepInput(previous=True, context=True, feed=False, sizes=(3, 4, 5))
    assert both.size == 7 and torch.equal(both(previous, context, feed), torch.cat([previous, context], -1))
    fed = parts.StepInput(previous=False, context=True, feed=True, sizes=(3, 4, 5))
    assert fed.size == 9 and torch.equal(fed(None, context, feed), torch.cat([context, feed], -1))
    constant = parts.StepInput(previous=False, context=False, feed=False, sizes=(3, 4, 5))
    assert constant.size == 1 and torch.equal(constant(None, context, feed), torch.zeros(2, 1))


def test_cell_stack_steps_every_layer_and_keeps_state_dict_keys():
    torch.manual_seed(2)
    lstm, gru = parts.CellStack(torch.nn.LSTMCell, 3, 4, 2, 0.0), parts.CellStack(torch.nn.GRUCell, 3, 4, 2, 0.0)
    assert list(lstm.state_dict())[:2] == ["0.weight_ih", "0.weight_hh"] and lstm.carries_cell and not gru.carries_cell
    x, hidden, cell = torch.randn(5, 3), torch.randn(5, 2, 4), torch.randn(5, 2, 4)
    new_hidden, new_cell = lstm(x, hidden, cell)
    h0, c0 = lstm[0](x, (hidden[:, 0], cell[:, 0]))
    h1, c1 = lstm[1](h0, (hidden[:, 1], cell[:, 1]))
    assert torch.equal(new_hidden, torch.stack([h0, h1], 1)) and torch.equal(new_cell, torch.stack([c0, c1], 1))
    _, kept = gru(x, hidden, cell)
    assert torch.equal(kept, cell)  # a GRU carries no cell: the state's cell passes through


def test_readouts():
    torch.manual_seed(3)
    top, context, previous = torch.randn(2, 4), torch.randn(2, 6), torch.randn(2, 3)
    assert parts.Readout()(top, context, previous) is top
    attentional, deep = parts.AttentionalReadout(4, 6), parts.DeepReadout(4, 6, 3)
    assert attentional.combine.in_features == 10 and deep.combine.in_features == 13
    torch.testing.assert_close(attentional(top, context, previous),
                               torch.tanh(attentional.combine(torch.cat([top, context], -1))))
    torch.testing.assert_close(deep(top, context, previous),
                               torch.tanh(deep.combine(torch.cat([top, context, previous], -1))))
