"""Streaming equals offline: any chunking of a stream gives the whole sequence's features, encoder outputs, greedy
CTC text and classifier posteriors (RNN, LSTM, GRU; 1-3 layers)."""

import functools

import pytest
import torch

from lightning_seq.deploy.streaming import ClassifierStreamer, CTCStreamer, EncoderStreams, FrameStream
from lightning_seq.nn import AudioFeatures, ConvFrontEnd, GRUEncoder, LSTMEncoder, RNNEncoder
from lightning_seq.tasks import CTCTranscriber, SequenceClassifier
from lightning_seq.tasks.ctc_decoding import ctc_greedy_decode

RATE, FRAME, HOP = 16000, 400, 160
CHARSET = ["<pad>", "<unk>", "<bos>", "<eos>", *"abcdefgh"]
CELLS = {"rnn": RNNEncoder, "lstm": LSTMEncoder, "gru": GRUEncoder}


def features(normalization="global"):
    module = AudioFeatures("logmel", RATE, frame_length=FRAME, hop_length=HOP, n_mels=20, normalization=normalization)
    if normalization == "global":
        module.set_statistics(torch.full((20,), -3.0), torch.full((20,), 2.0))
    return module


def ctc_task(cell, layers, seed=0):
    torch.manual_seed(seed)
    encoder = functools.partial(CELLS[cell], hidden_size=24, num_layers=layers)
    task = CTCTranscriber(feature_size=20, vocab_size=len(CHARSET), encoder=encoder,
                          input_features=features().config()).eval()
    task.set_names(vocabulary=CHARSET)
    with torch.no_grad():  # labels that change every few frames, so the greedy text is long and varied
        for weight in task.encoder.parameters():
            weight.normal_(0.0, 0.25)
        task.classifier.weight.normal_(0.0, 200.0)
        task.classifier.bias[:4] = -50.0  # blank and the specials rarely win
    return task


def speech_like(samples, seed=0):
    """Tones whose pitch and loudness change every 50 ms, over a little noise: features that move."""
    generator = torch.Generator().manual_seed(seed)
    t = torch.arange(samples) / RATE
    segment = (t / 0.05).long()
    pitch = 200 + 1800 * torch.rand(int(segment.max()) + 1, generator=generator)[segment]
    loud = torch.rand(int(segment.max()) + 1, generator=generator)[segment]
    return loud * torch.sin(2 * torch.pi * pitch * t) + 0.01 * torch.randn(samples, generator=generator)


def chunkings(samples, seed):
    generator = torch.Generator().manual_seed(seed)
    randoms = []
    while sum(randoms) < samples:
        randoms.append(int(torch.randint(0, 900, (1,), generator=generator)))  # 0-sample chunks included
    return {"one frame": [HOP] * (samples // HOP + 1), "seven frames": [7 * HOP] * (samples // (7 * HOP) + 1),
            "100 ms": [RATE // 10] * (samples // (RATE // 10) + 1), "random": randoms, "one sample": [1] * samples}


def pieces(wave, sizes):
    out, start = [], 0
    for size in sizes:
        out.append(wave[start : start + size])
        start += size
    return out


def offline(task, wave):
    with torch.no_grad():
        feats, frames = task.features(wave.unsqueeze(0), torch.tensor([wave.numel()]))
        outputs, _ = task.encoder(feats, frames)
        log_probs = task(wave.unsqueeze(0), torch.tensor([wave.numel()]))
    return feats[0, : frames[0]], outputs[0, : frames[0]], task.text(ctc_greedy_decode(log_probs, frames)[0])


@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize("cell", sorted(CELLS))
def test_any_chunking_gives_the_offline_features_outputs_and_greedy_text(cell, layers):
    task = ctc_task(cell, layers)
    wave = speech_like(RATE // 2 + 37)  # 0.5 s and a partial frame at the end
    feats, outputs, text = offline(task, wave)
    assert len(text) >= 1
    names = ["one frame", "seven frames", "100 ms", "random"] + (["one sample"] if layers == 1 else [])
    for name in names:
        sizes = chunkings(wave.numel(), seed=layers)[name]
        streams = EncoderStreams(task.encoder, task.features, 1)
        got_feats, got_outputs = [], []
        for chunk in pieces(wave, sizes):
            steps = streams.steps([chunk])
            got_feats.append(steps[0])
            got_outputs.append(streams.encode(steps)[0])
        assert streams.final_steps()[0].size(0) == 0  # a stream longer than a frame owes nothing at its end
        torch.testing.assert_close(torch.cat(got_feats), feats, atol=1e-5, rtol=0, msg=name)  # first..last frame
        torch.testing.assert_close(torch.cat(got_outputs), outputs, atol=1e-5, rtol=0, msg=name)
        streamer = CTCStreamer(task)
        added = [streamer.push([chunk])[0] for chunk in pieces(wave, sizes)] + streamer.flush()
        assert "".join(added) == text == streamer.text(0), name


def test_several_streams_side_by_side_each_equal_their_offline_text_and_reset():
    task = ctc_task("gru", 2)
    waves = [speech_like(n, seed=n) for n in (RATE // 3, 250, RATE // 5 + 11)]  # the middle one is under one frame
    expected = [offline(task, w)[2] for w in waves]
    streamer = CTCStreamer(task, num_streams=3)
    cut = [pieces(w, chunkings(w.numel(), seed=i)["random"]) for i, w in enumerate(waves)]
    for step in range(max(len(c) for c in cut)):
        streamer.push([c[step] if step < len(c) else torch.zeros(0) for c in cut])
    streamer.flush()
    assert [streamer.text(i) for i in range(3)] == expected and expected[1] != ""  # the short one: its padded frame
    streamer.reset(0)
    assert streamer.text(0) == "" and streamer.push([waves[0], torch.zeros(0), torch.zeros(0)])[0] == expected[0]


def test_framing_matches_offline_for_short_and_exact_lengths():
    module = features("none").eval()
    for samples in (1, FRAME - 1, FRAME, FRAME + 1, FRAME + HOP - 1, FRAME + HOP, 5 * HOP + FRAME):
        wave = torch.randn(samples)
        want, frames = module(wave.unsqueeze(0), torch.tensor([samples]))
        stream = FrameStream(module)
        got = torch.cat([stream.push(chunk) for chunk in pieces(wave, [3, 150, 999, 7] * (samples // 1000 + 1))]
                        + [stream.flush()])
        torch.testing.assert_close(got, want[0, : frames[0]], atol=1e-5, rtol=0, msg=str(samples))


@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
def test_streamed_classifier_posteriors_equal_the_offline_classifier(pooling):
    torch.manual_seed(1)
    task = SequenceClassifier(num_classes=4, feature_size=20, pooling=pooling, input_features=features().config(),
                              encoder=functools.partial(LSTMEncoder, hidden_size=16, num_layers=2)).eval()
    wave = torch.randn(RATE // 3) * 0.3
    with torch.no_grad():
        want = task(wave.unsqueeze(0), torch.tensor([wave.numel()])).softmax(-1)[0]
    streamer = ClassifierStreamer(task)
    first = streamer.push([wave[:100]])
    assert torch.isnan(first).all()  # no complete frame yet
    for chunk in pieces(wave[100:], [1600] * 4):
        got = streamer.push([chunk])
    torch.testing.assert_close(got[0], want, atol=1e-5, rtol=0)
    tokens = SequenceClassifier(num_classes=3, vocab_size=30, embedding_dim=8, pooling=pooling,
                                encoder=functools.partial(GRUEncoder, hidden_size=8)).eval()
    ids = torch.randint(4, 30, (23,))
    with torch.no_grad():
        want = tokens(ids.unsqueeze(0), torch.tensor([23])).softmax(-1)[0]
    streamer = ClassifierStreamer(tokens)
    for chunk in pieces(ids, [5, 1, 0, 17]):
        got = streamer.push([chunk])
    torch.testing.assert_close(got[0], want, atol=1e-5, rtol=0)


def test_what_cannot_stream_is_refused_with_the_reason():
    bidirectional = functools.partial(LSTMEncoder, hidden_size=8, bidirectional=True)
    task = CTCTranscriber(feature_size=20, vocab_size=len(CHARSET), encoder=bidirectional)
    with pytest.raises(ValueError, match=r"a bidirectional encoder reads every step together with the steps after "
                       r"it, which a stream has not delivered yet: train a unidirectional encoder"):
        CTCStreamer(task)
    framed = CTCTranscriber(feature_size=20, vocab_size=len(CHARSET), input_features=features("utterance").config(),
                            encoder=functools.partial(LSTMEncoder, hidden_size=8))
    with pytest.raises(ValueError, match=r"utterance normalisation needs the whole clip's mean and std"):
        CTCStreamer(framed)
    conv = CTCTranscriber(feature_size=32, vocab_size=len(CHARSET), frontend=functools.partial(ConvFrontEnd),
                          encoder=functools.partial(LSTMEncoder, hidden_size=8))
    with pytest.raises(ValueError, match=r"a convolutional front-end looks at neighbouring steps"):
        CTCStreamer(conv)
    attention = SequenceClassifier(num_classes=3, feature_size=5, pooling="attention",
                                   encoder=functools.partial(GRUEncoder, hidden_size=8))
    with pytest.raises(ValueError, match=r"attention pooling weighs every step against all the others"):
        ClassifierStreamer(attention)
    streamer = CTCStreamer(ctc_task("gru", 1), num_streams=2)
    with pytest.raises(ValueError, match=r"push takes one chunk per stream \(2\), got 1"):
        streamer.push([torch.zeros(10)])
    with pytest.raises(ValueError, match=r"stream must lie in \[0, 2\), got 2"):
        streamer.reset(2)
    with pytest.raises(ValueError, match=r"an audio chunk is one stream's samples \(n,\), got shape \(2, 5\)"):
        streamer.push([torch.zeros(2, 5), torch.zeros(0)])
