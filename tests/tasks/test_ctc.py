import functools

import pytest
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader

from lightning_seq.data import OCRDataModule
from lightning_seq.data.batching.collate import collate_transcriptions
from lightning_seq.nn import ConvFrontEnd, GRUEncoder, LSTMEncoder
from lightning_seq.tasks import CTCBeamSearch, CTCDecoding, CTCGreedy, CTCTranscriber
from lightning_seq.types import TranscriptionBatch

VOCAB = ["<pad>", "<unk>", "<bos>", "<eos>", "a", "b", "c"]


def model(**overrides):
    kwargs = dict(
        feature_size=16, vocab_size=len(VOCAB), encoder=functools.partial(GRUEncoder, hidden_size=8, bidirectional=True)
    )
    kwargs.update(overrides)
    task = CTCTranscriber(**kwargs)
    task.set_names(vocabulary=VOCAB)
    return task


def batch():
    return TranscriptionBatch(
        torch.randn(2, 10, 16),
        torch.tensor([10, 6]),
        torch.tensor([[4, 5, 4], [6, 0, 0]]),
        torch.tensor([3, 1]),
        torch.tensor([0, 1]),
    )


def test_log_probs_shape_and_loss_matches_torch():
    torch.manual_seed(0)
    task = model().eval()
    b = batch()
    log_probs = task(b.inputs, b.lengths)
    assert log_probs.shape == (2, 10, len(VOCAB)) and log_probs.dtype == torch.float32
    torch.testing.assert_close(log_probs.exp().sum(-1), torch.ones(2, 10))
    expected = torch.nn.functional.ctc_loss(
        log_probs.transpose(0, 1), b.targets, b.lengths, b.target_lengths, blank=0, zero_infinity=True
    )
    torch.testing.assert_close(task._loss(log_probs, b).value, expected)
    assert float(task._loss(log_probs, b).count) == 2  # a mean over sequences


def test_frontend_time_reduction_shortens_outputs_and_losses_use_it():
    torch.manual_seed(0)
    task = model(frontend=functools.partial(ConvFrontEnd, channels=[4, 4], time_reduction=2)).eval()
    b = batch()
    log_probs = task(b.inputs, b.lengths)
    assert log_probs.shape[1] == 5 and task.output_lengths(b.lengths).tolist() == [5, 3]
    assert torch.isfinite(task._loss(log_probs, b).value)


def test_bf16_autocast_keeps_log_probs_and_loss_in_fp32():
    task = model(encoder=functools.partial(LSTMEncoder, hidden_size=8))
    b = batch()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        log_probs = task(b.inputs, b.lengths)
        loss = task._loss(log_probs, b).value
    assert log_probs.dtype == torch.float32 and loss.dtype == torch.float32 and torch.isfinite(loss)


def test_greedy_and_beam_decoding_give_texts():
    task = model(decoding=CTCBeamSearch(beam_size=3))
    log_probs = torch.nn.functional.one_hot(torch.tensor([[4, 4, 0, 4, 5, 0], [6, 6, 6, 0, 0, 0]]), 7).float()
    log_probs = torch.log_softmax(log_probs * 10, -1)
    texts, scores = task.decode(log_probs, torch.tensor([6, 3]))
    assert texts == ["aab", "c"] and scores.shape == (2,)
    task.decoding = CTCGreedy()
    assert task.decode(log_probs, torch.tensor([6, 3]))[0] == ["aab", "c"]
    assert model().decoding == CTCGreedy()  # the default


def test_metrics_on_known_strings():
    task = model()
    task.val_metrics["val/cer"].update(["abc", "ab"], ["abc", "abd"])
    task.val_metrics["val/seq_acc"].update(torch.tensor([1.0, 0.0]))
    assert task.val_metrics["val/cer"].compute().item() == pytest.approx(1 / 6)
    assert task.val_metrics["val/seq_acc"].compute().item() == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"feature_size": None}, "feature_size must be >= 1"),
        ({"vocab_size": 4}, "vocab_size must be > 4"),
    ],
)
def test_invalid_arguments(overrides, message):
    with pytest.raises(ValueError, match=message):
        model(**overrides)


def test_invalid_decoding_names_the_strategies():
    with pytest.raises(TypeError, match="decoding must be a CTCDecoding .*CTCGreedy or CTCBeamSearch.*got 'beam'"):
        model(decoding="beam")
    with pytest.raises(ValueError, match="beam_size must be >= 1, got 0"):
        CTCBeamSearch(beam_size=0)


def test_checkpoint_with_other_charset_is_refused():
    task = model()
    other = VOCAB[:4] + ["x", "y", "z"]
    with pytest.raises(ValueError, match=r"the checkpoint's vocabulary \(7 entries\) does not match the data's \(7 "
                       r"entries\): first difference at index 4: 'x' in the checkpoint vs 'a' in the data"):
        task.on_load_checkpoint({"lightning_seq_names": {"vocabulary": other}})
    with pytest.raises(ValueError, match=r"the vocabulary must be the specials \['<pad>', '<unk>', '<bos>', '<eos>'\]"):
        CTCTranscriber(feature_size=16, vocab_size=7).set_names(vocabulary=["a", "b", "c", "d", "e", "f", "g"])


class Fixed(CTCDecoding):
    """Decodes every row as the same label ids, whatever the model says: a model whose output is known."""

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids

    def decode(self, log_probs, lengths, blank):
        return [list(self.ids) for _ in range(lengths.numel())], torch.zeros(lengths.numel())


def quiet_trainer(folder):
    return pl.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False,
                      enable_checkpointing=False, default_root_dir=folder)


def test_labels_with_characters_outside_the_charset_are_scored_as_written(tmp_path):
    """OCR with unknown_to_unk: 'abz' (z outside the training charset) read as 'ab' is one character wrong, not a
    perfect line; the data module logs how many characters it mapped."""
    from tests.data.modules.test_ocr import make_split

    make_split(tmp_path / "train", ["abc", "bad", "cab", "dab"])
    make_split(tmp_path / "val", ["ab", "dc"])
    make_split(tmp_path / "test", ["abz", "ab"])
    dm = OCRDataModule(train_dir=str(tmp_path / "train"), val_dir=str(tmp_path / "val"),
                       test_dir=str(tmp_path / "test"), unknown_to_unk=True, batch_size=2)
    task = CTCTranscriber(feature_size=dm.feature_size, vocab_size=dm.vocab_size,
                          encoder=functools.partial(GRUEncoder, hidden_size=4), decoding=Fixed([4, 5]))  # "ab"
    (scores,) = quiet_trainer(tmp_path).test(task, datamodule=dm, verbose=False)
    assert scores["test/cer"] == pytest.approx(1 / 5)  # one missing character of five
    assert scores["test/wer"] == pytest.approx(1 / 2)
    assert scores["test/seq_acc"] == pytest.approx(1 / 2)


def test_without_references_a_predicted_unk_never_matches_a_target_unk(tmp_path):
    """Targets given only as ids: an <unk> there is a character the model cannot produce, so even a predicted <unk>
    at that place is an error."""
    task = model(decoding=Fixed([4, 1, 5]))  # "a<unk>b"
    samples = [(torch.randn(10, 16), torch.tensor([4, 1, 5]), 0), (torch.randn(9, 16), torch.tensor([4, 5]), 1)]
    data = DataLoader(samples, batch_size=2, collate_fn=collate_transcriptions)
    (scores,) = quiet_trainer(tmp_path).test(task, dataloaders=data, verbose=False)
    assert scores["test/cer"] == pytest.approx(1 / 5)  # a?b scored against "ab": one character missed
    assert scores["test/seq_acc"] == pytest.approx(1 / 2)  # "ab" against "ab" is right
