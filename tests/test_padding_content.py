"""Padding content never matters, for every module that takes ``(x, lengths)``: padded steps filled with large
values, +-1e9, +-inf or NaN give each row exactly what it gives alone (and finite gradients)."""

import functools

import pytest
import torch

from lightning_seq.nn import (
    AdditiveAttention,
    AttentionPooling,
    AudioFeatures,
    ConvFrontEnd,
    DotAttention,
    GeneralAttention,
    LastPooling,
    LSTMEncoder,
    MaxPooling,
    MeanPooling,
    RNNEncoder,
    lengths_to_mask,
)
from lightning_seq.tasks import CTCTranscriber, SequenceClassifier

FILLS = {
    "large": lambda shape, g: torch.randn(shape, generator=g) * 1e4,
    "plus_1e9": lambda shape, g: torch.full(shape, 1e9),
    "minus_1e9": lambda shape, g: torch.full(shape, -1e9),
    "inf": lambda shape, g: torch.full(shape, float("inf")),
    "minus_inf": lambda shape, g: torch.full(shape, float("-inf")),
    "nan": lambda shape, g: torch.full(shape, float("nan")),
}
LENGTHS = torch.tensor([9, 3, 1, 6, 9, 2])


def hostile(x, lengths, fill):
    """``x`` with every padded step (time axis 1) overwritten by ``fill``; the valid steps untouched."""
    pad = ~lengths_to_mask(lengths, x.size(1))  # (B, T)
    out = x.clone()
    out[pad] = FILLS[fill](out[pad].shape, torch.Generator().manual_seed(7))
    return out


def rows_alone(module, x, lengths):
    """Each row run alone, cut to its own length: what the batch must reproduce."""
    return [module(x[r : r + 1, :n], lengths[r : r + 1]) for r, n in enumerate(lengths.tolist())]


def batch(features=8, extra=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(len(LENGTHS), int(LENGTHS.max()) + extra, features, generator=g), LENGTHS


@pytest.mark.parametrize("fill", sorted(FILLS))
@pytest.mark.parametrize("time_reduction", [1, 2, 4])
def test_conv_frontend(fill, time_reduction):
    torch.manual_seed(0)
    frontend = ConvFrontEnd(16, channels=(4, 6), time_reduction=time_reduction).eval()
    x, lengths = batch(16)
    out, out_lengths = frontend(hostile(x, lengths, fill), lengths)
    assert torch.isfinite(out).all()
    for r, (alone, alone_lengths) in enumerate(rows_alone(frontend, x, lengths)):
        n = int(alone_lengths)
        assert int(out_lengths[r]) == n
        torch.testing.assert_close(out[r, :n], alone[0])
        assert torch.count_nonzero(out[r, n:]) == 0


@pytest.mark.parametrize("fill", sorted(FILLS))
@pytest.mark.parametrize("normalization", ["none", "utterance", "global"])
@pytest.mark.parametrize("kind", ["raw", "logmel", "mfcc"])
def test_audio_features_in_the_model(kind, normalization, fill):
    features = AudioFeatures(kind, 8000, frame_length=64, hop_length=32, n_mels=16, n_mfcc=8,
                             normalization=normalization).eval()
    if normalization == "global":
        size = features.feature_size
        features.set_statistics(torch.linspace(-1, 1, size), torch.linspace(0.5, 2, size))
    lengths = torch.tensor([400, 50, 64, 333, 10])  # 50 and 10 samples: shorter than one frame
    g = torch.Generator().manual_seed(1)
    waves = torch.randn(len(lengths), 420, generator=g) * 0.1
    out, frames = features(hostile(waves.unsqueeze(-1), lengths, fill).squeeze(-1), lengths)
    assert torch.isfinite(out).all()
    for r, n in enumerate(lengths.tolist()):
        alone, alone_frames = features(waves[r : r + 1, :n], lengths[r : r + 1])
        assert int(frames[r]) == int(alone_frames)
        torch.testing.assert_close(out[r, : int(frames[r])], alone[0], rtol=1e-4, atol=1e-4)
        assert torch.count_nonzero(out[r, int(frames[r]) :]) == 0


@pytest.mark.parametrize("fill", sorted(FILLS))
@pytest.mark.parametrize(
    "pooling",
    [LastPooling(1), LastPooling(2), MeanPooling(), MaxPooling(), AttentionPooling(8)],
    ids=["last", "last_bidirectional", "mean", "max", "attention"],
)
def test_pooling(pooling, fill):
    torch.manual_seed(0)
    x, lengths = batch()
    x = x.requires_grad_()
    pooled = pooling(hostile(x, lengths, fill), lengths)
    assert torch.isfinite(pooled).all()
    for r, alone in enumerate(rows_alone(pooling, x.detach(), lengths)):
        torch.testing.assert_close(pooled[r], alone[0])
    pooled.sum().backward()
    assert torch.isfinite(x.grad).all()


@pytest.mark.parametrize("fill", sorted(FILLS))
@pytest.mark.parametrize("attention", [AdditiveAttention, DotAttention, GeneralAttention])
def test_attention_over_encoder_outputs(attention, fill):
    torch.manual_seed(0)
    module = attention(8, 8)
    x, lengths = batch()
    query = torch.randn(len(lengths), 8)
    mask = lengths_to_mask(lengths, x.size(1))
    context, weights = module(query, module.memory(hostile(x, lengths, fill), mask))
    assert torch.isfinite(context).all() and torch.isfinite(weights).all()
    for r, n in enumerate(lengths.tolist()):
        one, one_weights = module(query[r : r + 1], module.memory(x[r : r + 1, :n], mask[r : r + 1, :n]))
        torch.testing.assert_close(context[r], one[0])
        torch.testing.assert_close(weights[r, :n], one_weights[0])
        assert torch.count_nonzero(weights[r, n:]) == 0


@pytest.mark.parametrize("fill", sorted(FILLS))
def test_relu_rnn_over_long_padding_stays_finite(fill):
    """A ReLU RNN whose state grows without bound over padded steps: the padded outputs it overflows to inf there
    must still come out as exact zeros (masking by multiplying gave inf * 0 = NaN)."""
    torch.manual_seed(0)
    encoder = RNNEncoder(4, 6, num_layers=2, nonlinearity="relu").eval()
    with torch.no_grad():
        for layer in encoder.layers:
            layer[0].weight_hh_l0.copy_(torch.eye(6) * 30)  # the state grows 30x a step
            layer[0].bias_hh_l0.fill_(1.0)
    x = torch.randn(2, 60, 4).abs()
    lengths = torch.tensor([60, 3])
    out, state = encoder(hostile(x, lengths, fill), lengths)
    alone, alone_state = encoder(x[1:, :3], lengths[1:])
    torch.testing.assert_close(out[1, :3], alone[0])
    torch.testing.assert_close(state.hidden[:, 1], alone_state.hidden[:, 0])
    assert torch.count_nonzero(out[1, 3:]) == 0 and not out[1].isnan().any()


@pytest.mark.parametrize("fill", sorted(FILLS))
def test_bidirectional_lstm_with_an_initial_state(fill):
    torch.manual_seed(0)
    encoder = LSTMEncoder(8, 5, num_layers=2, bidirectional=True).eval()
    x, lengths = batch()
    _, initial = encoder(torch.randn(len(lengths), 4, 8), torch.full((len(lengths),), 4))
    out, state = encoder(hostile(x, lengths, fill), lengths, initial)
    assert torch.isfinite(out).all()
    for r, n in enumerate(lengths.tolist()):
        start = type(initial)(initial.hidden[:, r : r + 1], initial.cell[:, r : r + 1])
        alone, alone_state = encoder(x[r : r + 1, :n], lengths[r : r + 1], start)
        torch.testing.assert_close(out[r, :n], alone[0])
        torch.testing.assert_close(state.hidden[:, r], alone_state.hidden[:, 0])
        torch.testing.assert_close(state.cell[:, r], alone_state.cell[:, 0])


SMALL_LSTM = functools.partial(LSTMEncoder, hidden_size=6, bidirectional=True)


@pytest.mark.parametrize("fill", sorted(FILLS))
@pytest.mark.parametrize("pooling", ["last", "mean", "max", "attention"])
def test_classifier_end_to_end_on_features_through_a_frontend(pooling, fill):
    torch.manual_seed(0)
    model = SequenceClassifier(num_classes=3, feature_size=16, encoder=SMALL_LSTM, pooling=pooling,
                               frontend=functools.partial(ConvFrontEnd, channels=(4,), time_reduction=2)).eval()
    x, lengths = batch(16)
    x_hostile = hostile(x, lengths, fill).requires_grad_()
    logits = model(x_hostile, lengths)
    for r, alone in enumerate(rows_alone(model, x, lengths)):
        torch.testing.assert_close(logits[r], alone[0])
    model.train()
    torch.nn.functional.cross_entropy(model(x_hostile, lengths), torch.tensor([0, 1, 2, 0, 1, 2])).backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
    assert torch.count_nonzero(x_hostile.grad[~lengths_to_mask(lengths, x.size(1))]) == 0


@pytest.mark.parametrize("fill", sorted(FILLS))
def test_classifier_end_to_end_on_waveforms_with_features_in_the_model(fill):
    torch.manual_seed(0)
    features = AudioFeatures("logmel", 8000, frame_length=64, hop_length=32, n_mels=16).config()
    model = SequenceClassifier(num_classes=3, feature_size=16, encoder=SMALL_LSTM, pooling="mean",
                               input_features=features).eval()
    lengths = torch.tensor([400, 40, 333])
    waves = torch.randn(3, 410) * 0.1
    logits = model(hostile(waves.unsqueeze(-1), lengths, fill).squeeze(-1), lengths)
    for r, n in enumerate(lengths.tolist()):
        torch.testing.assert_close(logits[r], model(waves[r : r + 1, :n], lengths[r : r + 1])[0])


@pytest.mark.parametrize("fill", sorted(FILLS))
def test_classifier_end_to_end_on_token_ids_with_any_ids_in_the_padding(fill):
    del fill  # token ids cannot be NaN: the padding holds random real ids instead of PAD
    torch.manual_seed(0)
    model = SequenceClassifier(num_classes=2, vocab_size=20, embedding_dim=8, encoder=SMALL_LSTM,
                               pooling="mean").eval()
    ids = torch.randint(4, 20, (len(LENGTHS), 12))
    clean = ids.masked_fill(~lengths_to_mask(LENGTHS, 12), 0)
    torch.testing.assert_close(model(ids, LENGTHS), model(clean, LENGTHS))


@pytest.mark.parametrize("fill", sorted(FILLS))
def test_ctc_transcriber_end_to_end(fill):
    torch.manual_seed(0)
    model = CTCTranscriber(feature_size=16, vocab_size=9, encoder=SMALL_LSTM,
                           frontend=functools.partial(ConvFrontEnd, channels=(4, 6), time_reduction=2)).eval()
    x, lengths = batch(16, extra=4)
    x_hostile = hostile(x, lengths, fill).requires_grad_()
    log_probs = model(x_hostile, lengths)
    out_lengths = model.output_lengths(lengths)
    for r, alone in enumerate(rows_alone(model, x, lengths)):
        n = int(out_lengths[r])
        torch.testing.assert_close(log_probs[r, :n], alone[0])
    targets = torch.tensor([[4, 5, 6], [4, 0, 0], [5, 0, 0], [6, 7, 0], [8, 4, 5], [7, 0, 0]])
    loss = torch.nn.functional.ctc_loss(log_probs.transpose(0, 1), targets, out_lengths,
                                        torch.tensor([3, 1, 1, 2, 3, 1]), zero_infinity=True)
    assert torch.isfinite(loss)
    loss.backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
    assert torch.count_nonzero(x_hostile.grad[~lengths_to_mask(lengths, x.size(1))]) == 0
