"""Export to TorchScript and ONNX: the exported graphs equal eager outputs on batches of other sizes and lengths."""

import functools

import numpy as np
import onnxruntime
import pytest
import pytorch_lightning as pl
import torch

from lightning_seq.data.vocab import SPECIALS
from lightning_seq.export import export, main
from lightning_seq.nn import GRUEncoder, LSTMEncoder, RNNEncoder
from lightning_seq.tasks import CTCTranscriber, LanguageModel, Seq2SeqTask, SequenceClassifier

VOCAB = [*SPECIALS, *"abcdefgh"]


def tasks():
    torch.manual_seed(0)
    return {
        "classifier_tokens": SequenceClassifier(
            num_classes=3, vocab_size=len(VOCAB), embedding_dim=6, pooling="mean",
            encoder=functools.partial(LSTMEncoder, hidden_size=5, num_layers=2, bidirectional=True)),
        "classifier_features": SequenceClassifier(
            num_classes=4, feature_size=3, encoder=functools.partial(GRUEncoder, hidden_size=5, bidirectional=True)),
        "ctc": CTCTranscriber(feature_size=3, vocabulary=VOCAB,
                              encoder=functools.partial(RNNEncoder, hidden_size=5, bidirectional=True)),
        "language_model": LanguageModel(vocab_size=len(VOCAB), vocabulary=VOCAB, embedding_dim=6,
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
    path = export(task, tmp_path / f"model{suffix}")
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


def test_encoder_decoder_tasks_are_refused_with_the_reason(tmp_path):
    seq2seq = Seq2SeqTask(vocab_size=len(VOCAB), vocabulary=VOCAB, target_vocabulary=VOCAB, max_length=6,
                          encoder=functools.partial(GRUEncoder, hidden_size=5))
    with pytest.raises(TypeError, match="no export for Seq2SeqTask yet: its decoder loops over steps in Python"):
        export(seq2seq, tmp_path / "model.onnx", example=(torch.zeros(1, 2, dtype=torch.long),))
