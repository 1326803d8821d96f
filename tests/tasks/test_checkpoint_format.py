"""Checkpoints of 0.1 (decoder and decoding settings as strings) are refused by name, not by a constructor."""

import functools
import re
from pathlib import Path

import pytest
import torch

from lightning_seq import __version__
from lightning_seq.cli import run
from lightning_seq.nn import GRUEncoder, LSTMDecoder
from lightning_seq.tasks import CTCTranscriber, Seq2SeqTask, SequenceClassifier
from lightning_seq.tasks.checkpoint_format import CHECKPOINT_FORMAT

ROOT = Path(__file__).resolve().parents[2]
OLD_SEQ2SEQ = {"vocab_size": 9, "target_vocab_size": 7, "decoder_cell": "lstm", "attention": "additive",
               "decoding": "beam", "beam_size": 5}
MESSAGE = (r"was written by lightning_seq 0.1 \(checkpoint format 1\), which {task} of lightning_seq "
           + re.escape(__version__) + r" cannot read "
           r"\(format 2 and later\): its decoder and decoding settings became classes")


def write_old(path: Path, task: str, hparams: dict) -> Path:
    """A checkpoint as 0.1 wrote it: the task's name, no format, hyper-parameters of the old constructor."""
    torch.save({"state_dict": {}, "hyper_parameters": hparams, "lightning_seq_task": task,
                "pytorch-lightning_version": "2.6.6"}, path)
    return path


def test_load_from_checkpoint_names_the_versions(tmp_path):
    path = write_old(tmp_path / "old.ckpt", "lightning_seq.tasks.seq2seq.Seq2SeqTask", OLD_SEQ2SEQ)
    with pytest.raises(ValueError, match=f"{path}.* " + MESSAGE.format(task="Seq2SeqTask")):
        Seq2SeqTask.load_from_checkpoint(path)
    ctc = write_old(tmp_path / "ctc.ckpt", "lightning_seq.tasks.ctc.CTCTranscriber",
                    {"feature_size": 3, "vocab_size": 7, "decoder": "beam", "beam_width": 10})
    with pytest.raises(ValueError, match=MESSAGE.format(task="CTCTranscriber")):
        CTCTranscriber.load_from_checkpoint(ctc)


def test_a_classifier_checkpoint_of_0_1_still_loads(tmp_path):
    """The classifier's arguments did not change, so its old checkpoints stay readable."""
    model = SequenceClassifier(num_classes=2, vocab_size=9, embedding_dim=4)
    path = tmp_path / "old.ckpt"
    torch.save({"state_dict": model.state_dict(), "hyper_parameters": {"num_classes": 2, "vocab_size": 9,
                                                                        "embedding_dim": 4},
                "lightning_seq_task": "lightning_seq.tasks.classification.SequenceClassifier",
                "pytorch-lightning_version": "2.6.6"}, path)
    loaded = SequenceClassifier.load_from_checkpoint(path, weights_only=False)
    pairs = zip(loaded.state_dict().values(), model.state_dict().values(), strict=True)
    assert all(torch.equal(a, b) for a, b in pairs)


def test_the_cli_refuses_an_old_checkpoint_before_parsing_its_settings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write_old(tmp_path / "old.ckpt", "lightning_seq.tasks.seq2seq.Seq2SeqTask", OLD_SEQ2SEQ)
    recipe = str(ROOT / "recipes" / "seq2seq_attention.yaml")
    with pytest.raises(ValueError, match=MESSAGE.format(task="Seq2SeqTask")):
        run(["test", "--config", recipe, "--ckpt_path", str(path), "--data.init_args.generated_size=60"])


def test_new_checkpoints_record_format_and_version(tmp_path):
    model = Seq2SeqTask(vocab_size=9, target_vocab_size=7)
    checkpoint = {"hyper_parameters": dict(model.hparams)}
    model.on_save_checkpoint(checkpoint)
    assert checkpoint["lightning_seq_format"] == CHECKPOINT_FORMAT == 3
    assert checkpoint["lightning_seq_version"] == __version__ == "0.3.0"
    model.on_load_checkpoint(checkpoint)  # its own format reads back


def test_a_format_2_checkpoint_loads_with_the_keys_it_was_written_with(tmp_path):
    """0.2 wrote ``decoder.bridge``, ``decoder.attention``, ``decoder.combine`` (and audio tasks ``featurizer``);
    a 0.2 checkpoint of an attention decoder started from a bridge loads and computes what it computed."""
    torch.manual_seed(0)
    decoder = functools.partial(LSTMDecoder, hidden_size=8, embedding_dim=4, conditioning="init", deep_output=True)
    model = Seq2SeqTask(vocab_size=9, target_vocab_size=7, embedding_dim=4, decoder=decoder,
                        encoder=functools.partial(GRUEncoder, hidden_size=6)).eval()
    renamed = {"decoder.start.bridge.": "decoder.bridge.", "decoder.context.attention.": "decoder.attention.",
               "decoder.readout.combine.": "decoder.combine."}
    state = {}
    for key, value in model.state_dict().items():
        for new, old in renamed.items():
            key = key.replace(new, old)
        state[key] = value
    assert {"decoder.bridge.weight", "decoder.attention.key_proj.weight", "decoder.combine.weight"} <= set(state)
    checkpoint = {"hyper_parameters": dict(model.hparams), "pytorch-lightning_version": "2.6.6"}
    model.on_save_checkpoint(checkpoint)
    checkpoint.update(state_dict=state, lightning_seq_format=2, lightning_seq_version="0.2.0")
    torch.save(checkpoint, tmp_path / "0.2.ckpt")
    loaded = Seq2SeqTask.load_from_checkpoint(tmp_path / "0.2.ckpt").eval()
    inputs, lengths = torch.randint(4, 9, (3, 5)), torch.tensor([5, 3, 1])
    targets = torch.randint(4, 7, (3, 4))
    torch.testing.assert_close(loaded(inputs, lengths, targets), model(inputs, lengths, targets))
