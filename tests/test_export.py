"""Export to TorchScript and ONNX: the exported graphs equal eager outputs on batches of other sizes and lengths."""

import functools

import numpy as np
import onnxruntime
import pytest
import pytorch_lightning as pl
import torch

from lightning_seq.data.text.vocab import SPECIALS
from lightning_seq.deploy import decode_with_graphs
from lightning_seq.deploy.export import STATE_NAMES, export, main
from lightning_seq.deploy.quantize import fp32_recurrent_ops, quantize_int8
from lightning_seq.nn import GRUEncoder, LSTMEncoder, RNNEncoder
from lightning_seq.tasks import BeamSearch, CTCTranscriber, Greedy, LanguageModel, Seq2SeqTask, SequenceClassifier

VOCAB = [*SPECIALS, *"abcdefgh"]


def tasks():
    torch.manual_seed(0)
    return {
        "classifier_tokens": SequenceClassifier(
            num_classes=3, vocab_size=len(VOCAB), embedding_dim=6, pooling="mean",
            encoder=functools.partial(LSTMEncoder, hidden_size=5, num_layers=2, bidirectional=True)),
        "classifier_features": SequenceClassifier(
            num_classes=4, feature_size=3, encoder=functools.partial(GRUEncoder, hidden_size=5, bidirectional=True)),
        "ctc": CTCTranscriber(feature_size=3, vocab_size=len(VOCAB),
                              encoder=functools.partial(RNNEncoder, hidden_size=5, bidirectional=True)),
        "language_model": LanguageModel(vocab_size=len(VOCAB), embedding_dim=6,
                                        encoder=functools.partial(LSTMEncoder, hidden_size=5, num_layers=2)),
    }


def new_batch(name, batch=5, steps=11):
    lengths = torch.tensor([steps, 3, steps, 1, 6][:batch])
    tokens = torch.randint(4, len(VOCAB), (batch, steps))
    if name == "language_model":
        return (tokens,)
    if name == "classifier_tokens":
        return tokens, lengths
    return torch.randn(batch, steps, 3), lengths


def eager(task, inputs):
    with torch.no_grad():
        if isinstance(task, LanguageModel):
            log_probs, state = task(inputs[0])
            return [log_probs, state.hidden, state.cell]
        return [task(*inputs)]


@pytest.mark.parametrize("name", ["classifier_tokens", "classifier_features", "ctc", "language_model"])
@pytest.mark.parametrize("suffix", [".pt", ".onnx"])
def test_exported_graph_equals_eager_on_other_batch_sizes_and_lengths(tmp_path, name, suffix):
    task = tasks()[name].eval()
    (path,) = export(task, tmp_path / f"model{suffix}")
    for inputs in (new_batch(name), new_batch(name, batch=2, steps=4)):
        expected = eager(task, inputs)
        if suffix == ".pt":
            got = list(torch.jit.load(str(path))(*inputs))
        else:
            session = onnxruntime.InferenceSession(str(path))
            feeds = {i.name: t.numpy() for i, t in zip(session.get_inputs(), inputs, strict=True)}
            got = [torch.from_numpy(np.asarray(out)) for out in session.run(None, feeds)]
        assert len(got) == len(expected)
        for a, b in zip(got, expected, strict=True):
            torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("name", ["classifier_tokens", "classifier_features", "ctc"])
@pytest.mark.parametrize("suffix", [".pt", ".onnx"])
def test_a_graph_traced_on_an_example_without_padding_still_reads_lengths(tmp_path, name, suffix):
    """An example batch whose rows all have the full length would let the encoders take their no-padding
    shortcut, and a traced graph would then ignore lengths forever; the traced graph must stay general."""
    task = tasks()[name].eval()
    full = new_batch(name, batch=3, steps=6)
    full = (full[0], torch.full((3,), 6))  # every row full: no padding anywhere
    (path,) = export(task, tmp_path / f"model{suffix}", example=full)
    padded = new_batch(name)
    expected = eager(task, padded)[0]
    if suffix == ".pt":
        got = torch.jit.load(str(path))(*padded)[0]
    else:
        session = onnxruntime.InferenceSession(str(path))
        feeds = {i.name: t.numpy() for i, t in zip(session.get_inputs(), padded, strict=True)}
        got = torch.from_numpy(np.asarray(session.run(None, feeds)[0]))
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)


def test_export_command_loads_the_checkpoint_and_writes_onnx(tmp_path, capsys):
    task = tasks()["classifier_tokens"]
    trainer = pl.Trainer(logger=False, enable_progress_bar=False, enable_model_summary=False)
    trainer.strategy.connect(task)
    trainer.save_checkpoint(tmp_path / "model.ckpt")
    main([str(tmp_path / "model.ckpt"), str(tmp_path / "model.onnx")])
    assert "wrote" in capsys.readouterr().out
    session = onnxruntime.InferenceSession(str(tmp_path / "model.onnx"))
    inputs = new_batch("classifier_tokens")
    got = session.run(None, {"inputs": inputs[0].numpy(), "lengths": inputs[1].numpy()})[0]
    torch.testing.assert_close(torch.from_numpy(got), eager(task.eval(), inputs)[0], atol=1e-4, rtol=1e-4)
    with pytest.raises(ValueError, match=r"must end in \.pt \(TorchScript\) or \.onnx"):
        export(task, tmp_path / "model.bin")


@pytest.mark.parametrize("suffix", [".pt", ".onnx"])
@pytest.mark.parametrize("encoder_cls", [GRUEncoder, LSTMEncoder])
def test_encoder_decoder_exports_as_encoder_and_step_graphs_that_decode_like_the_task(tmp_path, suffix, encoder_cls):
    torch.manual_seed(0)
    task = Seq2SeqTask(vocab_size=len(VOCAB), target_vocab_size=len(VOCAB), max_length=9,
                       encoder=functools.partial(encoder_cls, hidden_size=5, bidirectional=True)).eval()
    encoder_path, step_path = export(task, tmp_path / f"s2s{suffix}")
    assert (encoder_path.name, step_path.name) == (f"s2s.encoder{suffix}", f"s2s.step{suffix}")
    if suffix == ".pt":
        encoder, step = torch.jit.load(str(encoder_path)), torch.jit.load(str(step_path))
    else:
        sessions = [onnxruntime.InferenceSession(str(p)) for p in (encoder_path, step_path)]

        def runner(session, names):
            wanted = {i.name for i in session.get_inputs()}  # ONNX drops inputs the graph never reads

            def call(*tensors):
                feeds = {n: t.numpy() for n, t in zip(names, tensors, strict=True) if n in wanted}
                return [torch.from_numpy(np.asarray(out)) for out in session.run(None, feeds)]
            return call

        encoder = runner(sessions[0], ["inputs", "lengths"])
        step = runner(sessions[1], ["tokens", *STATE_NAMES])
    sources, lengths = new_batch("classifier_tokens", batch=5, steps=8)
    task.decoding = Greedy()
    with torch.no_grad():
        expected = task.generate(sources, lengths)
    got = decode_with_graphs(encoder, step, sources, lengths, max_length=9)
    assert torch.equal(got.tokens, expected.tokens) and torch.equal(got.lengths, expected.lengths)
    torch.testing.assert_close(got.scores, expected.scores, atol=1e-4, rtol=1e-4)
    # the same strategies run on the graphs: a beam search gives the task's own n-best
    beam = BeamSearch(beam_size=3, n_best=2)
    with torch.no_grad():
        expected = task.generate(sources, lengths, decoding=beam)
    got = decode_with_graphs(encoder, step, sources, lengths, max_length=9, decoding=beam)
    assert torch.equal(got.tokens, expected.tokens) and torch.equal(got.lengths, expected.lengths)
    torch.testing.assert_close(got.scores, expected.scores, atol=1e-4, rtol=1e-4)


def test_exported_greedy_decoding_never_emits_pad_or_bos_like_the_task(tmp_path):
    torch.manual_seed(0)
    task = Seq2SeqTask(vocab_size=len(VOCAB), target_vocab_size=len(VOCAB), max_length=7,
                       encoder=functools.partial(LSTMEncoder, hidden_size=5)).eval()
    with torch.no_grad():
        task.decoder.output.bias[0] += 50.0  # <pad>
        task.decoder.output.bias[2] += 49.0  # <bos>
    encoder_path, step_path = export(task, tmp_path / "s2s.pt")
    sources, lengths = new_batch("classifier_tokens", batch=5, steps=8)
    task.decoding = Greedy()
    with torch.no_grad():
        expected = task.generate(sources, lengths)
    got = decode_with_graphs(torch.jit.load(str(encoder_path)), torch.jit.load(str(step_path)), sources, lengths, 7)
    got = got.tokens[:, 0]
    assert got.tolist() == expected.tokens[:, 0].tolist()
    assert not {0, 2} & set(got.flatten().tolist())


def test_a_generator_needs_an_example_batch(tmp_path):
    from lightning_seq.nn import LabelCondition
    from lightning_seq.tasks import SequenceGenerator

    generator = SequenceGenerator(num_classes=3, target_vocab_size=len(VOCAB), max_length=5,
                                  condition=functools.partial(LabelCondition, embedding_dim=4))
    with pytest.raises(ValueError, match="give export\\(\\) an example batch for SequenceGenerator"):
        export(generator, tmp_path / "gen.onnx")
    paths = export(generator, tmp_path / "gen.pt", example=(torch.tensor([0, 2]), torch.ones(2, dtype=torch.long)))
    encoder = torch.jit.load(str(paths[0]))
    labels = torch.tensor([1, 0, 2])
    with torch.no_grad():
        state = generator.encode(labels, torch.ones(3, dtype=torch.long))
    torch.testing.assert_close(encoder(labels, torch.ones(3, dtype=torch.long))[0], state.hidden)


def int8_session(path):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 2
    return onnxruntime.InferenceSession(str(path), options)


def test_int8_export_shrinks_an_lstm_classifier_and_keeps_its_decisions(tmp_path, capsys):
    torch.manual_seed(0)
    task = SequenceClassifier(num_classes=3, vocab_size=2000, embedding_dim=48, head_hidden_sizes=[32],
                              encoder=functools.partial(LSTMEncoder, hidden_size=96, num_layers=2, bidirectional=True))
    trainer = pl.Trainer(logger=False, enable_progress_bar=False, enable_model_summary=False)
    trainer.strategy.connect(task)
    trainer.save_checkpoint(tmp_path / "model.ckpt")
    main([str(tmp_path / "model.ckpt"), str(tmp_path / "model.onnx"), "--quantize", "int8"])
    out = capsys.readouterr().out
    assert f"wrote {tmp_path / 'model.onnx'}\nwrote {tmp_path / 'model.int8.onnx'}\n" in out
    fp32, int8 = tmp_path / "model.onnx", tmp_path / "model.int8.onnx"
    assert int8.stat().st_size <= 0.3 * fp32.stat().st_size  # the embedding table and LSTM weights as int8
    assert fp32_recurrent_ops(int8) == []  # LSTM becomes DynamicQuantizeLSTM
    tokens, lengths = torch.randint(4, 2000, (32, 40)), torch.randint(1, 41, (32,))
    feeds = {"inputs": tokens.numpy(), "lengths": lengths.numpy()}
    a, b = (int8_session(p).run(None, feeds)[0] for p in (fp32, int8))
    assert np.abs(a - b).max() < 0.05 and (a.argmax(1) == b.argmax(1)).mean() >= 0.9


def test_int8_gru_graphs_keep_their_gru_in_fp32_and_say_so(tmp_path, capsys):
    task = tasks()["classifier_features"].eval()
    (path,) = export(task, tmp_path / "gru.onnx")
    quantized = quantize_int8(path)
    assert quantized.name == "gru.int8.onnx" and fp32_recurrent_ops(quantized) == ["GRU"]
    inputs = new_batch("classifier_features")
    got = int8_session(quantized).run(None, {"inputs": inputs[0].numpy(), "lengths": inputs[1].numpy()})[0]
    torch.testing.assert_close(torch.from_numpy(got), eager(task, inputs)[0], atol=0.05, rtol=0.05)
    trainer = pl.Trainer(logger=False, enable_progress_bar=False, enable_model_summary=False)
    trainer.strategy.connect(task)
    trainer.save_checkpoint(tmp_path / "gru.ckpt")
    capsys.readouterr()
    main([str(tmp_path / "gru.ckpt"), str(tmp_path / "cmd.onnx"), "--quantize", "int8"])
    said = capsys.readouterr()
    assert said.out == (f"wrote {tmp_path / 'cmd.onnx'}\nwrote {tmp_path / 'cmd.int8.onnx'} (GRU kept in fp32: no int8 "
                        "kernel in ONNX Runtime)\n") and "GRU" not in said.err  # said once
    with pytest.raises(SystemExit):
        main([str(tmp_path / "x.ckpt"), str(tmp_path / "model.pt"), "--quantize", "int8"])
    assert "--quantize int8 needs an .onnx output" in capsys.readouterr().err
    with pytest.raises(ValueError, match=r"int8 quantization takes an exported \.onnx graph"):
        quantize_int8(tmp_path / "missing.onnx")


def onnx_runner(path, names):
    session = int8_session(path)
    wanted = {i.name for i in session.get_inputs()}  # ONNX drops inputs the graph never reads

    def call(*tensors):
        feeds = {n: t.numpy() for n, t in zip(names, tensors, strict=True) if n in wanted}
        return [torch.from_numpy(np.asarray(out)) for out in session.run(None, feeds)]
    return call


def test_int8_encoder_and_step_graphs_decode_like_the_fp32_graphs(tmp_path):
    torch.manual_seed(0)
    task = Seq2SeqTask(vocab_size=len(VOCAB), target_vocab_size=len(VOCAB), max_length=9,
                       encoder=functools.partial(LSTMEncoder, hidden_size=32)).eval()
    paths = export(task, tmp_path / "s2s.onnx")
    quantized = [quantize_int8(p) for p in paths]
    assert [p.name for p in quantized] == ["s2s.encoder.int8.onnx", "s2s.step.int8.onnx"]
    sources, lengths = new_batch("classifier_tokens", batch=5, steps=8)
    outputs = []
    for encoder_path, step_path in (paths, quantized):
        state = onnx_runner(encoder_path, ["inputs", "lengths"])(sources, lengths)
        tokens = torch.full((5,), 2)  # BOS
        log_probs, hidden, _, _ = onnx_runner(step_path, ["tokens", *STATE_NAMES])(tokens, *state)
        outputs.append((torch.cat([t.flatten() for t in state[:2]]), log_probs, hidden))
    for fp32, int8 in zip(*outputs, strict=True):  # encoder state, first-step log-probabilities, next state
        torch.testing.assert_close(int8, fp32, atol=0.05, rtol=0.05)  # int8 rounding: a few percent


@pytest.mark.parametrize("kind", ["logmel", "mfcc"])
def test_onnx_graphs_with_audio_features_in_the_model_equal_eager_at_any_length(tmp_path, kind):
    """ONNX has no complex STFT: the exported graph computes the spectrum with real DFT kernels (same features)."""
    from lightning_seq.nn import AudioFeatures

    features = AudioFeatures(kind, 8000, frame_length=256, hop_length=160, n_mels=32, n_mfcc=13,
                             normalization="global")
    features.set_statistics(torch.full((features.feature_size,), -6.0), torch.full((features.feature_size,), 3.0))
    torch.manual_seed(0)
    ctc = CTCTranscriber(vocab_size=len(VOCAB), feature_size=features.feature_size, input_features=features.config(),
                         encoder=functools.partial(LSTMEncoder, hidden_size=96)).eval()
    (path,) = export(ctc, tmp_path / "audio.onnx")
    session = onnxruntime.InferenceSession(str(path))
    for batch, samples in [(4, 8000), (1, 3000), (2, 200), (3, 256), (1, 417), (2, 16001)]:
        waves, lengths = 0.1 * torch.randn(batch, samples), torch.tensor([samples] + [samples // 2] * (batch - 1))
        got = session.run(None, {"inputs": waves.numpy(), "lengths": lengths.numpy()})[0]
        torch.testing.assert_close(torch.from_numpy(got), eager(ctc, (waves, lengths))[0], atol=1e-4, rtol=1e-4)
    # int8: the features' DFT and mel weights stay fp32 (quantizing the front end distorts the spectrum)
    import onnx

    int8 = quantize_int8(path)
    ops = {node.name: node.op_type for node in onnx.load(str(int8)).graph.node}
    assert ops["/task/features/Conv"] == "Conv" and "DynamicQuantizeLSTM" in ops.values()
    waves, lengths = 0.1 * torch.randn(3, 8000), torch.tensor([8000, 5000, 300])
    got = int8_session(int8).run(None, {"inputs": waves.numpy(), "lengths": lengths.numpy()})[0]
    want = eager(ctc, (waves, lengths))[0]
    # int8 rounding of an untrained model's log-probabilities (measured 0.18 at most; a tiny LSTM-16 gave 0.5, so
    # the recipes' decisions are what benchmarks/int8_accuracy.py measures)
    assert (torch.from_numpy(got) - want).abs().max() < 0.3


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("encoder_cls", [LSTMEncoder, GRUEncoder])
def test_onnx_gated_encoders_take_lengths_as_sequence_lens_so_int8_keeps_the_trained_weights(
    tmp_path, encoder_cls, bidirectional
):
    """The padding-exact path's +-1e4 gate column would set the int8 scale of the LSTM weights and round them all to
    zero (a trained BiLSTM classifier fell from 0.90 to 0.33 accuracy): exported LSTMs and GRUs get lengths instead
    (ONNX Runtime keeps GRUs fp32 today; their graphs carry no column either)."""
    import onnx
    import onnxruntime
    from onnx import numpy_helper

    torch.manual_seed(0)
    task = SequenceClassifier(num_classes=3, vocab_size=len(VOCAB), embedding_dim=6, pooling="last",
                              encoder=functools.partial(encoder_cls, hidden_size=8, num_layers=2,
                                                        bidirectional=bidirectional)).eval()
    (path,) = export(task, tmp_path / "model.onnx")
    graph = onnx.load(str(path)).graph
    ops = [node for node in graph.node if node.op_type == ("LSTM" if encoder_cls is LSTMEncoder else "GRU")]
    assert len(ops) == 2 and all(len(node.input) > 4 and node.input[4] for node in ops)  # sequence_lens fed
    assert max(np.abs(numpy_helper.to_array(t)).max() for t in graph.initializer if t.data_type == 1) < 100
    session, int8 = onnxruntime.InferenceSession(str(path)), int8_session(quantize_int8(path))
    for batch, steps in ((5, 11), (3, 4)):
        inputs = new_batch("classifier_tokens", batch=batch, steps=steps)
        feeds = {"inputs": inputs[0].numpy(), "lengths": inputs[1].numpy()}
        want = eager(task, inputs)[0]
        torch.testing.assert_close(torch.from_numpy(session.run(None, feeds)[0]), want, atol=1e-4, rtol=1e-4)
        torch.testing.assert_close(torch.from_numpy(int8.run(None, feeds)[0]), want, atol=0.05, rtol=0.05)
