import itertools

import pytest
import torch

from lightning_seq.nn import DotAttention, GRUDecoder, LSTMDecoder, LSTMEncoder, RecurrentDecoder, RNNDecoder
from lightning_seq.nn.decoder_parts import (
    AttentionalReadout,
    AttentionContext,
    BridgedContext,
    BridgedStart,
    CopiedStart,
    DecoderContext,
    DeepReadout,
    FinalStateContext,
    InputAwareAttentionContext,
    Readout,
    StartContext,
    ZeroStart,
)
from lightning_seq.nn.masking import lengths_to_mask
from lightning_seq.tasks.decoding import beam_search, greedy_decode

VARIANTS = list(itertools.product(["last", "bridge", "attention"], ["init", "input", "input_and_prev"]))


def encode(seed=0, batch=3):
    torch.manual_seed(seed)
    encoder = LSTMEncoder(5, 6, bidirectional=True)
    x = torch.randn(batch, 7, 5)
    lengths = torch.tensor([7, 4, 2, 5, 1, 6][:batch])
    outputs, state = encoder(x, lengths)
    return encoder, outputs, state, lengths_to_mask(lengths, 7)


def decoder_for(context, conditioning, decoder_class=LSTMDecoder, **kwargs):
    return decoder_class(9, 12, hidden_size=12, context=context, conditioning=conditioning, **kwargs)


@pytest.mark.parametrize(("context", "conditioning"), VARIANTS)
@pytest.mark.parametrize("input_feeding", [False, True])
def test_step_loop_equals_teacher_forced_forward(context, conditioning, input_feeding):
    _, outputs, state, mask = encode()
    decoder = decoder_for(context, conditioning, input_feeding=input_feeding, num_layers=2).eval()
    inputs = torch.randint(2, 9, (3, 5))
    whole, attention = decoder(inputs, decoder.initial_state(outputs, state, mask))
    assert whole.shape == (3, 5, 9)
    assert decoder.attends == (context == "attention")
    assert attention.shape == (3, 5, 7 if decoder.attends else 0)  # weights over the 7 source steps, or none
    step_state = decoder.initial_state(outputs, state, mask)
    for t in range(5):
        log_probs, step_state = decoder.step(inputs[:, t], step_state)
        torch.testing.assert_close(log_probs, whole[:, t])
    if decoder.attends:
        torch.testing.assert_close(attention.sum(-1), torch.ones(3, 5))
        assert torch.all(attention[2, :, 2:] == 0)


@pytest.mark.parametrize(("context", "conditioning"), VARIANTS)
@pytest.mark.parametrize("cell", [LSTMDecoder, GRUDecoder])
def test_every_variant_learns_a_tiny_copy_task(context, conditioning, cell):
    torch.manual_seed(1)
    losses = train_copy_task(decoder_for(context, conditioning, cell))
    assert losses[-1] < 0.7 * losses[0]


def train_copy_task(decoder, steps=40):
    """Train ``decoder`` with a fresh BiLSTM encoder to emit a fixed target per source; the losses per step."""
    encoder, _, _, _ = encode(seed=1, batch=6)
    target = torch.randint(3, 9, (6, 4))
    teacher = torch.cat([torch.full((6, 1), 2), target[:, :-1]], 1)
    optimizer = torch.optim.Adam([*decoder.parameters(), *encoder.parameters()], lr=0.01)
    x, lengths = torch.randn(6, 7, 5), torch.tensor([7, 4, 2, 5, 1, 6])
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        enc_out, enc_state = encoder(x, lengths)
        log_probs, _ = decoder(teacher, decoder.initial_state(enc_out, enc_state, lengths_to_mask(lengths, 7)))
        loss = torch.nn.functional.nll_loss(log_probs.reshape(-1, 9), target.reshape(-1))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def test_batched_beam_equals_per_example_and_beam_one_equals_greedy_with_attention():
    _, outputs, state, mask = encode(seed=2, batch=4)
    decoder = decoder_for("attention", "input_and_prev", input_feeding=True).eval()
    init = decoder.initial_state(outputs, state, mask)
    batched = beam_search(decoder, init, batch=4, bos=2, eos=3, max_length=8, beam_size=3)
    for row in range(4):
        alone_state = decoder.reorder(init, torch.tensor([row]))
        alone = beam_search(decoder, alone_state, batch=1, bos=2, eos=3, max_length=8, beam_size=3)
        assert torch.equal(batched.tokens[row], alone.tokens[0])
    one = beam_search(decoder, init, batch=4, bos=2, eos=3, max_length=8, beam_size=1)
    assert torch.equal(one.tokens, greedy_decode(decoder, init, batch=4, bos=2, eos=3, max_length=8).tokens)


def test_scheduled_sampling_feeds_predictions_when_not_forcing():
    _, outputs, state, mask = encode(seed=3)
    decoder = decoder_for("attention", "input_and_prev").eval()
    inputs = torch.randint(3, 9, (3, 6))
    forced, _ = decoder(inputs, decoder.initial_state(outputs, state, mask), teacher_forcing=1.0)
    free, _ = decoder(inputs, decoder.initial_state(outputs, state, mask), teacher_forcing=0.0)
    torch.testing.assert_close(free[:, 0], forced[:, 0])  # step 0 always reads the first input (BOS)
    # free running = feeding back the argmax, step by step
    step_state = decoder.initial_state(outputs, state, mask)
    tokens = inputs[:, 0]
    for t in range(6):
        log_probs, step_state = decoder.step(tokens, step_state)
        torch.testing.assert_close(log_probs, free[:, t])
        tokens = log_probs.argmax(-1)
    half, _ = decoder(
        inputs,
        decoder.initial_state(outputs, state, mask),
        teacher_forcing=0.5,
        generator=torch.Generator().manual_seed(0),
    )
    assert not torch.allclose(half, forced) and not torch.allclose(half, free)


def test_invalid_decoder_arguments():
    with pytest.raises(ValueError, match="hidden_size must equal the encoder's output size 12, got 8"):
        LSTMDecoder(9, 12, hidden_size=8, context="last", conditioning="init")
    with pytest.raises(ValueError, match="context must be 'last', 'bridge' or 'attention', got 'mean'"):
        GRUDecoder(9, 12, context="mean")
    with pytest.raises(ValueError, match="conditioning must be 'init', 'input' or 'input_and_prev', got 'both'"):
        RNNDecoder(9, 12, conditioning="both")
    with pytest.raises(ValueError, match="an attention factory needs context 'attention', got 'bridge'"):
        LSTMDecoder(9, 12, context="bridge", attention=DotAttention)
    with pytest.raises(TypeError, match="RecurrentDecoder has no cell: build an LSTMDecoder, GRUDecoder or RNNDecoder"):
        RecurrentDecoder(9, 12)
    with pytest.raises(TypeError, match="attention must build an Attention, got Linear"):
        LSTMDecoder(9, 12, attention=torch.nn.Linear)


@pytest.mark.parametrize(("decoder_class", "cell_class"), [(LSTMDecoder, torch.nn.LSTMCell),
                                                            (GRUDecoder, torch.nn.GRUCell),
                                                            (RNNDecoder, torch.nn.RNNCell)])
def test_decoder_class_picks_the_cell_and_attention_class_the_scoring(decoder_class, cell_class):
    _, outputs, state, mask = encode()
    decoder = decoder_class(9, 12, hidden_size=12, num_layers=2, attention=DotAttention).eval()
    assert [type(c) for c in decoder.cells] == [cell_class, cell_class]
    assert isinstance(decoder.context.attention, DotAttention)
    log_probs, weights = decoder(torch.randint(4, 9, (3, 5)), decoder.initial_state(outputs, state, mask))
    assert log_probs.shape == (3, 5, 9) and weights.shape == (3, 5, 7)
    torch.testing.assert_close(log_probs.exp().sum(-1), torch.ones(3, 5))


def test_reorder_beams_equals_reorder_within_groups_and_keeps_the_shared_memory():
    _, outputs, state, mask = encode(seed=3, batch=2)
    decoder = decoder_for("attention", "input_and_prev", input_feeding=True).eval()
    expanded = decoder.reorder(decoder.initial_state(outputs, state, mask), torch.arange(2).repeat_interleave(3))
    expanded = expanded._replace(hidden=torch.randn_like(expanded.hidden), feed=torch.randn_like(expanded.feed))
    index = torch.tensor([2, 0, 0, 4, 5, 3])  # every row stays within its sequence's three beams
    full, beams = decoder.reorder(expanded, index), decoder.reorder_beams(expanded, index)
    for name in ("hidden", "cell", "feed", "context"):
        assert torch.equal(getattr(full, name), getattr(beams, name)), name
    for a, b in zip(full.memory, beams.memory, strict=True):
        assert torch.equal(a, b)
    assert beams.memory is expanded.memory


def test_scheduled_sampling_draws_the_coin_per_time_step_not_per_sequence(monkeypatch):
    """With teacher_forcing=0.5 every sequence mixes gold tokens and the model's own predictions: the coin is drawn
    at each step (a per-sequence coin would feed a row only gold or only its own tokens)."""
    _, outputs, state, mask = encode(seed=4, batch=6)
    decoder = decoder_for("attention", "input_and_prev").eval()
    steps = 40
    fed, predicted = [], []
    original = decoder.step_with_attention

    def spy(tokens, step_state):
        fed.append(tokens.clone())
        log_probs, new_state, weights = original(tokens, step_state)
        predicted.append(log_probs.argmax(-1))
        return log_probs, new_state, weights

    monkeypatch.setattr(decoder, "step_with_attention", spy)
    inputs = torch.randint(3, 9, (6, steps))
    decoder(inputs, decoder.initial_state(outputs, state, mask), 0.5, torch.Generator().manual_seed(0))
    teacher, model = torch.zeros(6), torch.zeros(6)
    for t in range(1, steps):
        gold, own = inputs[:, t], predicted[t - 1]
        clear = gold != own  # steps where gold and prediction differ tell which one was fed
        assert torch.all((fed[t] == gold) | (fed[t] == own))
        teacher += (clear & (fed[t] == gold)).float()
        model += (clear & (fed[t] == own)).float()
    assert torch.all(teacher >= 5) and torch.all(model >= 5)  # both kinds of token within every sequence
    share = float(teacher.sum() / (teacher + model).sum())
    assert 0.35 < share < 0.65  # about half of the coins say "teacher"


NEW_VARIANTS = [
    ("attention", "input_and_prev", {"deep_output": True}),
    ("last", "init", {"deep_output": True}),
    ("bridge", "input", {"deep_output": True}),
    ("attention", "input_and_prev", {"attention_query": "state_and_input"}),
    ("attention", "init", {"attention_query": "state_and_input", "deep_output": True}),
]


@pytest.mark.parametrize(("context", "conditioning", "options"), NEW_VARIANTS)
def test_deep_output_and_input_aware_attention_step_like_forward_and_learn(context, conditioning, options):
    _, outputs, state, mask = encode()
    decoder = decoder_for(context, conditioning, num_layers=2, **options).eval()
    inputs = torch.randint(2, 9, (3, 5))
    whole, _ = decoder(inputs, decoder.initial_state(outputs, state, mask))
    step_state = decoder.initial_state(outputs, state, mask)
    for t in range(5):
        log_probs, step_state = decoder.step(inputs[:, t], step_state)
        torch.testing.assert_close(log_probs, whole[:, t])
    torch.manual_seed(1)
    losses = train_copy_task(decoder_for(context, conditioning, **options))
    assert losses[-1] < 0.7 * losses[0]


def test_deep_output_reads_context_and_previous_token():
    """y_t = g(h_t, c_t, y_{t-1}): the output layer reads [h; c; E y_prev]. With conditioning 'input' the recurrent
    state never sees the previous token, so only a deep output makes the scores depend on it."""
    _, outputs, state, mask = encode(seed=5)
    plain = decoder_for("bridge", "input").eval()
    deep = decoder_for("bridge", "input", deep_output=True, embedding_dim=7).eval()
    assert type(plain.readout) is Readout  # h_t alone
    assert type(deep.readout) is DeepReadout and deep.readout.combine.in_features == 12 + 12 + 7  # h, bridged c, E y
    a, b = torch.full((3,), 4), torch.full((3,), 5)
    for decoder, depends in ((plain, False), (deep, True)):
        first, _ = decoder.step(a, decoder.initial_state(outputs, state, mask))
        second, _ = decoder.step(b, decoder.initial_state(outputs, state, mask))
        assert torch.allclose(first, second) != depends
    # and on the context: another encoder state changes the deep output at the same decoder state and token
    _, other_outputs, other_state, _ = encode(seed=6)
    base = deep.initial_state(outputs, state, mask)
    moved = deep.initial_state(other_outputs, other_state, mask)
    moved = moved._replace(hidden=base.hidden, cell=base.cell)  # same h, other c
    assert not torch.allclose(deep.step(a, base)[0], deep.step(a, moved)[0])


def test_attention_query_can_read_the_current_input():
    """'state_and_input' scores attention from [h_{t-1}; E y_{t-1}]: at the same state, another input token moves the
    weights; with 'state' they stay put."""
    _, outputs, state, mask = encode(seed=7)
    for query, moves in (("state", False), ("state_and_input", True)):
        decoder = decoder_for("attention", "input_and_prev", attention_query=query).eval()
        init = decoder.initial_state(outputs, state, mask)
        _, _, first = decoder.step_with_attention(torch.full((3,), 4), init)
        _, _, second = decoder.step_with_attention(torch.full((3,), 6), init)
        assert torch.allclose(first, second) != moves
        assert torch.all(first[2, 2:] == 0) and torch.all(second[2, 2:] == 0)  # padding still masked
    with pytest.raises(ValueError, match="attention_query='state_and_input' needs context 'attention', got 'last'"):
        decoder_for("last", "input", attention_query="state_and_input")
    with pytest.raises(ValueError, match="attention_query must be 'state' or 'state_and_input', got 'input'"):
        decoder_for("attention", "input", attention_query="input")


PARTS = [  # switches -> (start, context, readout, what the cells read: previous token, context, feed)
    (("last", "init", {}), (CopiedStart, DecoderContext, Readout, (False, False, False))),
    (("last", "init", {"deep_output": True}), (CopiedStart, FinalStateContext, DeepReadout, (False, False, False))),
    (("bridge", "init", {"deep_output": True}), (BridgedStart, StartContext, DeepReadout, (False, False, False))),
    (("bridge", "input", {"input_feeding": True}), (ZeroStart, BridgedContext, Readout, (False, True, True))),
    (("last", "input_and_prev", {}), (ZeroStart, FinalStateContext, Readout, (True, True, False))),
    (("attention", "init", {}), (BridgedStart, AttentionContext, AttentionalReadout, (False, False, False))),
    (
        ("attention", "input_and_prev", {"attention_query": "state_and_input", "deep_output": True}),
        (ZeroStart, InputAwareAttentionContext, DeepReadout, (True, True, False)),
    ),
]


@pytest.mark.parametrize(("switches", "parts"), PARTS)
def test_switches_pick_the_parts(switches, parts):
    context, conditioning, options = switches
    decoder = decoder_for(context, conditioning, num_layers=2, **options)
    start, context_part, readout, reads = parts
    assert (type(decoder.start), type(decoder.context), type(decoder.readout)) == (start, context_part, readout)
    assert decoder.step_input.reads == reads
    sizes = {(False, False, False): 1, (False, True, True): 12 + 12, (True, True, False): 64 + 12}  # 1: a constant
    assert decoder.cells[0].input_size == sizes[reads]
    assert decoder.attends == (context == "attention")


def test_a_0_2_checkpoint_loads_under_a_prefix():
    """A task's state_dict prefixes the decoder's keys (``decoder.bridge.weight``); the rename keeps the prefix."""
    parent = torch.nn.Module()
    parent.decoder = decoder_for("bridge", "input")
    state = {key.replace("context.bridge.", "bridge."): value for key, value in parent.state_dict().items()}
    assert "decoder.bridge.weight" in state
    twin = torch.nn.Module()
    twin.decoder = decoder_for("bridge", "input")
    twin.load_state_dict(state)
    assert torch.equal(twin.decoder.context.bridge.weight, parent.decoder.context.bridge.weight)
