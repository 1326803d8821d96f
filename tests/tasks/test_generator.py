import pytest
import torch
import torch.nn.functional as F

from lightning_seq.data.text.vocab import SPECIALS
from lightning_seq.nn import LabelCondition, LSTMDecoder, VectorCondition
from lightning_seq.tasks import BeamSearch, Greedy, Sampling, SequenceGenerator
from lightning_seq.tasks.encoder_decoder import shift_targets

TARGETS = list(SPECIALS) + ["a", "b", "c"]
# class -> target ids: the class decides length and order
SEQUENCES = {0: [4, 5], 1: [5, 4, 6], 2: [6, 6, 6, 4], 3: [4]}


def make(conditioning, context="bridge", decoding=None):
    torch.manual_seed(0)
    model = SequenceGenerator(
        num_classes=4,
        target_vocab_size=len(TARGETS),
        condition=lambda n: LabelCondition(n, 8),
        decoder=lambda v, e: LSTMDecoder(
            v, e, context=context, conditioning=conditioning, hidden_size=16, embedding_dim=8
        ),
        decoding=decoding,
        max_length=6,
    )
    model.set_names(target_vocabulary=TARGETS)
    return model


def batch():
    labels = torch.tensor([[c] for c in SEQUENCES])
    targets = torch.zeros(4, 4, dtype=torch.long)
    lengths = torch.tensor([len(s) for s in SEQUENCES.values()])
    for row, seq in enumerate(SEQUENCES.values()):
        targets[row, : len(seq)] = torch.tensor(seq)
    return labels, torch.ones(4, dtype=torch.long), targets, lengths


@pytest.mark.parametrize("conditioning", ["init", "input", "input_and_prev"])
def test_each_way_of_feeding_the_condition_learns_class_to_sequence(conditioning):
    model = make(conditioning)
    labels, ones, targets, target_lengths = batch()
    inputs, gold = shift_targets(targets, target_lengths)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(150):
        log_probs = model(labels, ones, inputs)
        loss = F.nll_loss(log_probs.reshape(-1, len(TARGETS)), gold.reshape(-1), ignore_index=0)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    hyps = model.eval().generate(labels, ones, decoding=Greedy())
    generated = [hyps.tokens[r, 0, : hyps.lengths[r, 0]].tolist() for r in range(4)]
    assert generated == list(SEQUENCES.values())


def test_init_feeds_only_the_state_and_input_feeds_every_step():
    labels, ones, _, _ = batch()
    init = make("init")
    state = init.encode(labels, ones)
    assert state.context.numel() == 0 and bool((state.hidden != 0).any())
    assert init.decoder.cells[0].input_size == 1  # a constant input: the condition is only in the state

    fed = make("input")
    state = fed.encode(labels, ones)
    assert bool((state.hidden == 0).all()) and state.context.shape == (4, 16)
    assert fed.decoder.cells[0].input_size == 16
    with_prev = make("input_and_prev")
    assert with_prev.decoder.cells[0].input_size == 16 + 8  # condition + previous token embedding


def test_seeded_sampling_is_reproducible():
    model = make("input_and_prev", decoding=Sampling(seed=3)).eval()
    labels, ones, _, _ = batch()
    a = model.generate(labels, ones)
    b = model.generate(labels, ones)
    assert torch.equal(a.tokens, b.tokens)
    other = model.generate(labels, ones, decoding=Sampling(temperature=5.0, seed=4))
    assert not torch.equal(a.tokens, other.tokens)
    assert model.generate(labels, ones, decoding=BeamSearch(n_best=2)).tokens.shape == (4, 2, 6)
    with pytest.raises(TypeError, match="decoding must be a DecodingStrategy .* got 'beam'"):
        model.generate(labels, ones, decoding="beam")


def test_vector_condition_with_last_context_needs_matching_sizes():
    model = SequenceGenerator(
        feature_size=3,
        target_vocab_size=len(TARGETS),
        condition=lambda n: VectorCondition(n, 16),
        decoder=lambda v, e: LSTMDecoder(v, e, context="last", conditioning="init", hidden_size=16),
    )
    x, ones = torch.randn(2, 1, 3), torch.ones(2, dtype=torch.long)
    state = model.encode(x, ones)
    condition = model.condition(x, ones)[0][:, 0]  # (2, 16)
    torch.testing.assert_close(state.hidden[:, 0], condition)  # "last" + "init": the condition is the state
    with pytest.raises(ValueError, match="hidden_size must equal the encoder's output size 16"):
        SequenceGenerator(
            feature_size=3,
            target_vocab_size=len(TARGETS),
            condition=lambda n: VectorCondition(n, 16),
            decoder=lambda v, e: LSTMDecoder(v, e, context="last", conditioning="init", hidden_size=8),
        )


def test_the_condition_size_must_come_from_the_data():
    with pytest.raises(ValueError, match="exactly one of num_classes, feature_size and vocab_size must be given"):
        SequenceGenerator(target_vocab_size=len(TARGETS))
    with pytest.raises(ValueError, match="exactly one of num_classes, feature_size and vocab_size"):
        SequenceGenerator(num_classes=3, feature_size=2, target_vocab_size=len(TARGETS))
    with pytest.raises(ValueError, match="target_vocab_size must be > 4"):
        SequenceGenerator(num_classes=3, target_vocab_size=2)
    model = SequenceGenerator(num_classes=3, target_vocab_size=6)
    with pytest.raises(ValueError, match="the target_vocabulary must start with the specials"):
        model.set_names(target_vocabulary=["a", "b", "c", "d", "e", "f"])
