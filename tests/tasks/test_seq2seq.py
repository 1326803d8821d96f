import functools

import pytest
import torch
from torchmetrics.text import BLEUScore

from lightning_seq.nn import GRUEncoder, LSTMDecoder
from lightning_seq.tasks import BeamSearch, Greedy, Sampling, Seq2SeqTask
from lightning_seq.tasks.schedules import TeacherForcingSchedule
from lightning_seq.types import Seq2SeqBatch

SPECIALS = ["<pad>", "<unk>", "<bos>", "<eos>"]


def task(**overrides):
    kwargs = dict(
        vocab_size=9,
        target_vocab_size=7,
        encoder=functools.partial(GRUEncoder, hidden_size=8, bidirectional=True),
        embedding_dim=8,
        decoder=functools.partial(LSTMDecoder, hidden_size=16, embedding_dim=8),
        max_length=6,
    )
    kwargs.update(overrides)
    model = Seq2SeqTask(**kwargs)
    model.set_names(vocabulary=SPECIALS + list("abcde"), target_vocabulary=SPECIALS + list("xyz"))
    return model


def batch():
    return Seq2SeqBatch(
        torch.tensor([[4, 5, 6], [7, 8, 0]]),
        torch.tensor([3, 2]),
        torch.tensor([[4, 5, 6], [6, 0, 0]]),
        torch.tensor([3, 1]),
        torch.tensor([0, 1]),
    )


def test_shift_adds_bos_and_eos():
    inputs, gold = Seq2SeqTask.shift(batch())
    assert inputs.tolist() == [[2, 4, 5, 6], [2, 6, 0, 0]]
    assert gold.tolist() == [[4, 5, 6, 3], [6, 3, 0, 0]]


@pytest.mark.parametrize("decoding", [Greedy(), BeamSearch(beam_size=3, n_best=2), Sampling(top_k=3, seed=0)])
def test_generation_shapes_and_predict_rows(decoding):
    model = task(decoding=decoding).eval()
    b = batch()
    out = model.predict_step(b, 0)
    rows = out.to_rows()
    assert [r["index"] for r in rows] == [0, 1]
    assert all(set(r["hypothesis"].split()) <= {*"xyz", "<unk>"} for r in rows)  # <unk> shown, never dropped
    assert ("n_best" in rows[0]) == isinstance(decoding, BeamSearch)
    assert len(rows[0].get("n_best", [None])) == decoding.n_best


def test_scheduled_probability_is_logged_and_used(monkeypatch):
    model = task(teacher_forcing=TeacherForcingSchedule("linear", 1.0, 0.0, steps=10))
    seen = []
    original = model.decoder.forward

    def spy(inputs, state, teacher_forcing=1.0, generator=None):
        seen.append(teacher_forcing)
        return original(inputs, state, teacher_forcing, generator)

    monkeypatch.setattr(model.decoder, "forward", spy)
    monkeypatch.setattr(type(model), "global_step", property(lambda self: 5))
    monkeypatch.setattr(model, "log", lambda *args, **kwargs: None)
    loss = model.training_step(batch(), 0)
    assert torch.isfinite(loss) and seen == [0.5]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"max_length": 0}, "max_length must be >= 1, got 0"),
        ({"heat_maps": -1}, "heat_maps must be >= 0, got -1"),
        ({"vocab_size": None}, "vocab_size must be > 4"),
        ({"target_vocab_size": 4}, "target_vocab_size must be > 4"),
    ],
)
def test_invalid_arguments_name_them(overrides, message):
    with pytest.raises(ValueError, match=message):
        task(**overrides)


def scores(model, predicted, truth):
    metrics = model.test_metrics
    metrics.reset()
    model.update_generation_metrics(metrics, "test", predicted, truth)
    return {name.removeprefix("test/"): float(value) for name, value in metrics.compute().items()}


def test_token_accuracy_counts_extra_tokens_over_the_longer_sequence():
    model = task()
    assert scores(model, [["abc", "xyz"]], [["abc"]])["token_acc"] == pytest.approx(0.5)  # not 1.0
    assert scores(model, [["abc"]], [["abc", "xyz"]])["token_acc"] == pytest.approx(0.5)
    both = scores(model, [["a", "b", "c"], ["a"]], [["a", "b", "c"], ["a", "z"]])
    assert both["token_acc"] == pytest.approx(4 / 5) and both["exact"] == pytest.approx(0.5)
    assert both["wer"] == pytest.approx(1 / 5)


def test_references_are_scored_as_written_not_as_vocabulary_ids(monkeypatch):
    """A reference word missing from the target vocabulary is encoded as <unk>; the metrics must still see it,
    so "x y" is not an exact match for the reference "x y NEWWORD"."""
    from lightning_seq.tasks.decoding import Hypotheses

    model = task()
    x, y, unk = 4, 5, 1
    hypothesis = Hypotheses(torch.tensor([[[x, y, 3]]]), torch.tensor([[2]]), torch.zeros(1, 1))
    monkeypatch.setattr(model, "generate", lambda inputs, lengths: hypothesis)
    monkeypatch.setattr(model, "log_dict", lambda *args, **kwargs: None)
    monkeypatch.setattr(model, "log_eval_loss", lambda *args, **kwargs: None)
    encoded = Seq2SeqBatch(
        torch.tensor([[4, 5]]), torch.tensor([2]), torch.tensor([[x, y, unk]]), torch.tensor([3]), torch.tensor([0]),
        references=[["x", "y", "NEWWORD"]],
    )
    model.test_metrics.reset()
    model._evaluate(encoded, "test", model.test_metrics)
    result = {name: float(value) for name, value in model.test_metrics.compute().items()}
    assert result["test/exact"] == 0.0
    assert result["test/token_acc"] == pytest.approx(2 / 3)
    assert result["test/wer"] == pytest.approx(1 / 3)
    assert result["test/cer"] == pytest.approx(len(" NEWWORD") / len("x y NEWWORD"))
    # a hypothesis that produces <unk> does not match the unknown word either
    hypothesis = Hypotheses(torch.tensor([[[x, y, unk, 3]]]), torch.tensor([[3]]), torch.zeros(1, 1))
    model.test_metrics.reset()
    model._evaluate(encoded, "test", model.test_metrics)
    assert float(model.test_metrics["test/exact"].compute()) == 0.0


def test_decoding_and_decoder_must_be_the_classes_they_name():
    message = r"decoding must be a DecodingStrategy \(lightning_seq.tasks.Greedy, Sampling or BeamSearch\), got 'vit"
    with pytest.raises(TypeError, match=message):
        task(decoding="viterbi")
    with pytest.raises(TypeError, match="decoder must build a RecurrentDecoder, got Linear"):
        task(decoder=torch.nn.Linear)
    with pytest.raises(TypeError, match="encoder must build a SequenceEncoder, got Linear"):
        task(encoder=lambda size: torch.nn.Linear(size, 3))


@pytest.mark.parametrize("decoding", [Greedy(), BeamSearch(beam_size=3, n_best=3), Sampling(seed=0)])
def test_decoding_never_emits_pad_or_bos_even_when_the_model_ranks_them_first(decoding):
    torch.manual_seed(0)
    model = task(decoding=decoding).eval()
    with torch.no_grad():
        model.decoder.output.bias[0] += 50.0  # <pad>
        model.decoder.output.bias[2] += 49.0  # <bos>
        model.decoder.output.bias[3] -= 50.0  # <eos> last: every output runs to max_length (6)
        out = model.generate(batch().inputs, batch().lengths)
    assert bool((out.lengths == 6).all())
    assert not bool(((out.tokens == 0) | (out.tokens == 2)).any())


def evaluate(model, monkeypatch, hypothesis_ids, batch_):
    """``model._evaluate`` on ``batch_`` with the decoder's output fixed to ``hypothesis_ids`` (one row each)."""
    from lightning_seq.tasks.decoding import Hypotheses

    width = max(len(h) for h in hypothesis_ids) + 1
    tokens = torch.tensor([[h + [3] * (width - len(h))] for h in hypothesis_ids])  # (B, 1, T), EOS after each
    hypothesis = Hypotheses(tokens, torch.tensor([[len(h)] for h in hypothesis_ids]), torch.zeros(len(tokens), 1))
    monkeypatch.setattr(model, "generate", lambda inputs, lengths: hypothesis)
    monkeypatch.setattr(model, "log_dict", lambda *args, **kwargs: None)
    monkeypatch.setattr(model, "log_eval_loss", lambda *args, **kwargs: None)
    model.test_metrics.reset()
    model._evaluate(batch_, "test", model.test_metrics)
    return {name.removeprefix("test/"): float(value) for name, value in model.test_metrics.compute().items()}


def test_without_references_a_predicted_unk_never_matches_a_target_unk(monkeypatch):
    model = task()
    x, y, unk = 4, 5, 1
    ids_only = Seq2SeqBatch(torch.tensor([[4, 5]]), torch.tensor([2]), torch.tensor([[x, unk, y]]),
                            torch.tensor([3]), torch.tensor([0]))
    result = evaluate(model, monkeypatch, [[x, unk, y]], ids_only)
    assert result["exact"] == 0.0
    assert result["token_acc"] == pytest.approx(2 / 3)
    assert result["wer"] == pytest.approx(1 / 3)


def test_wer_and_bleu_count_words_of_the_joined_text_for_character_targets(monkeypatch):
    """Character targets (target_joiner ""): "ab cd" read as "ab cx" is one word wrong of two (WER 0.5), not one
    piece of five; BLEU compares the words of the joined texts."""
    model = Seq2SeqTask(vocab_size=9, target_vocab_size=10, encoder=functools.partial(GRUEncoder, hidden_size=8),
                        embedding_dim=8, decoder=functools.partial(LSTMDecoder, hidden_size=16, embedding_dim=8),
                        max_length=6, target_joiner="")
    model.set_names(vocabulary=SPECIALS + list("abcde"), target_vocabulary=SPECIALS + list("abcd x"))
    a, b, c, d, space, x = 4, 5, 6, 7, 8, 9
    truth = Seq2SeqBatch(torch.tensor([[4, 5]]), torch.tensor([2]), torch.tensor([[a, b, space, c, d]]),
                         torch.tensor([5]), torch.tensor([0]), references=[["a", "b", " ", "c", "d"]])
    result = evaluate(model, monkeypatch, [[a, b, space, c, x]], truth)
    assert result["wer"] == pytest.approx(1 / 2)
    assert result["cer"] == pytest.approx(1 / 5)
    words = [a, b, space, c, d, space, a, b, space, c, d, space, a, b]  # "ab cd ab cd ab"
    longer = Seq2SeqBatch(torch.tensor([[4, 5]]), torch.tensor([2]), torch.tensor([words]), torch.tensor([14]),
                          torch.tensor([0]))
    result = evaluate(model, monkeypatch, [words[:-1] + [x]], longer)  # "ab cd ab cd ax"
    assert result["wer"] == pytest.approx(1 / 5)
    expected = BLEUScore()(["ab cd ab cd ax"], [["ab cd ab cd ab"]])  # 4/5, 3/4, 2/3, 1/2 matching n-grams
    assert result["bleu"] == pytest.approx(float(expected)) and 0.6 < result["bleu"] < 0.7
