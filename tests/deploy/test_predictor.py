import pytest
import torch

from lightning_seq.deploy import Classification, GeneratedText, Predictor
from lightning_seq.tasks import SequenceClassifier
from tests.deploy.recipes import SENTIMENT_DATA, cli_rows, fit

TEXTS = ["what a great day , love it", "worst service ever", "the bus comes at nine", "zzz qqq", "ok"]


def test_sentiment_checkpoint_alone_classifies_raw_texts_as_lightning_seq_predict_does(
        tmp_path, monkeypatch, sentiment_ckpt):
    data, ckpt = SENTIMENT_DATA, sentiment_ckpt
    monkeypatch.chdir(ckpt.parent)
    predictor = Predictor.from_checkpoint(ckpt, batch_size=2, top_k=2)
    assert predictor.input_kind == "text"
    answers = predictor.predict(TEXTS)
    assert all(isinstance(a, Classification) for a in answers) and [a.input for a in answers] == TEXTS
    for answer in answers:
        assert sum(answer.probabilities.values()) == pytest.approx(1.0, abs=1e-5)
        ranked = sorted(answer.probabilities.items(), key=lambda item: -item[1])
        assert answer.top_k == ranked[:2] and answer.label == ranked[0][0]
        assert set(answer.probabilities) == {"negative", "neutral", "positive"}
    # the same texts through the training CLI, as a one-text-per-line file: the same answers, the text beside them
    monkeypatch.chdir(tmp_path)
    mine = tmp_path / "mine.txt"
    mine.write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    rows = cli_rows("sentiment_bilstm", ckpt, mine, *data)
    assert [r["input"] for r in rows] == [f"{mine}:{i}" for i in range(1, 6)]
    assert [r["input_text"] for r in rows] == TEXTS
    assert [r["label"] for r in rows] == [a.label for a in answers]
    for row, answer in zip(rows, answers, strict=True):
        assert row["probabilities"] == pytest.approx(answer.probabilities, abs=1e-5)
    # batching by length does not change an answer: one at a time gives the same
    alone = Predictor.from_checkpoint(ckpt, batch_size=1, top_k=2).predict(TEXTS)
    for one, batched in zip(alone, answers, strict=True):
        assert one.label == batched.label and one.probabilities == pytest.approx(batched.probabilities, abs=1e-5)
    assert answers[0].to_dict()["top_k"] == [list(pair) for pair in answers[0].top_k]


def test_predictor_names_the_position_of_a_bad_input(sentiment_ckpt):
    ckpt = sentiment_ckpt
    predictor = Predictor.from_checkpoint(ckpt)
    with pytest.raises(ValueError, match=r"^input 1: empty text$"):
        predictor.predict(["fine", "  "])
    with pytest.raises(TypeError, match=r"^input 2: expected a text \(str\), got int$"):
        predictor.predict(["fine", "good", 3])
    with pytest.raises(ValueError, match=r"^input 0: the text has no tokens after tokenization: '\.\.\.'$"):
        Predictor(predictor.task, _punctuation_free(predictor)).predict(["..."])
    with pytest.raises(TypeError, match=r"^inputs must be a list of inputs, got str$"):
        predictor.predict("one text")
    assert predictor.predict([]) == []
    for bad, message in [({"batch_size": 0}, "batch_size must be an integer >= 1, got 0"),
                         ({"precision": "8"}, r"precision must be one of \['32', 'bf16', '16'\], got '8'"),
                         ({"precision": "16"}, "precision '16' needs a CUDA device, got cpu"),
                         ({"top_k": 0}, "top_k must be an integer >= 1, got 0")]:
        with pytest.raises(ValueError, match=message):
            Predictor.from_checkpoint(ckpt, **bad)
    with pytest.raises(FileNotFoundError, match="checkpoint not found: nowhere.ckpt"):
        Predictor.from_checkpoint("nowhere.ckpt")


def _punctuation_free(predictor: Predictor):
    from lightning_seq.data.text.tokenizers import WordTokenizer
    from lightning_seq.deploy import TextInputs

    return TextInputs(WordTokenizer(pattern=r"\w+"), predictor.inputs.vocabulary)


def test_a_checkpoint_without_preprocessing_says_why(tmp_path):
    import pytorch_lightning as pl

    task = SequenceClassifier(vocab_size=10, num_classes=2)  # built in Python: no data module described its inputs
    checkpoint = {"state_dict": task.state_dict(), "hyper_parameters": dict(task.hparams),
                  "pytorch-lightning_version": pl.__version__}
    task.on_save_checkpoint(checkpoint)
    path = tmp_path / "python.ckpt"
    torch.save(checkpoint, path)
    with pytest.raises(ValueError, match=f"^{path} holds no preprocessing"):
        Predictor.from_checkpoint(path)
    from lightning_seq.deploy.server import build_server

    with pytest.raises(ValueError, match=f"^{path} holds no preprocessing"):  # refused before a worker starts
        build_server(str(path))


def test_language_model_continues_prompts_as_lightning_seq_predict_does(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = ["--data.init_args.generated_size=300", "--data.init_args.batch_size=8",
            "--model.init_args.decoding=lightning_seq.tasks.Greedy", "--model.init_args.max_length=20"]
    ckpt = fit("charlm_lstm", *data)
    prompts = ["the cat", "a dog s", "zj", ""]  # unseen characters read as <unk>; an empty prompt is allowed
    answers = Predictor.from_checkpoint(ckpt, batch_size=3).predict(prompts)
    assert all(isinstance(a, GeneratedText) for a in answers)
    assert [a.text.startswith(p) for a, p in zip(answers, prompts[:2], strict=False)] == [True, True]
    file = tmp_path / "prompts.txt"
    file.write_text("\n".join(prompts[:3]) + "\n", encoding="utf-8")
    rows = cli_rows("charlm_lstm", ckpt, file, *data)
    assert [r["hypothesis"] for r in rows] == [a.text for a in answers[:3]]
    assert [r["score"] for r in rows] == pytest.approx([a.score for a in answers[:3]], abs=1e-4)


def test_seq2seq_translates_raw_sources_as_lightning_seq_predict_does(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = ["--data.init_args.generated_size=300"]
    ckpt = fit("seq2seq_attention", *data)
    sources = ["a b c", "d e f g h", "k"]
    answers = Predictor.from_checkpoint(ckpt, batch_size=2).predict(sources)
    file = tmp_path / "sources.txt"
    file.write_text("\n".join(sources) + "\n", encoding="utf-8")
    rows = cli_rows("seq2seq_attention", ckpt, file, *data)
    assert [r["input_text"] for r in rows] == sources
    assert [r["hypothesis"] for r in rows] == [a.text for a in answers]
    for row, answer in zip(rows, answers, strict=True):
        expected = row.get("n_best", [row])
        assert [h.text for h in answer.n_best] == [h["hypothesis"] for h in expected]
        assert [h.score for h in answer.n_best] == pytest.approx([h["score"] for h in expected], abs=1e-4)


def test_a_subword_model_travels_inside_the_checkpoint(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    tokenizer = ["--data.init_args.tokenizer=lightning_seq.data.SentencePieceTokenizer",
                 "--data.init_args.tokenizer.vocab_size=120", "--data.init_args.generated_size=300"]
    ckpt = fit("sentiment_bilstm", *tokenizer)
    assert not list(tmp_path.rglob("tokenizer.model"))  # the run's tokenizer file went with the run folder
    answers = Predictor.from_checkpoint(ckpt).predict(TEXTS)
    mine = tmp_path / "mine.txt"
    mine.write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    rows = cli_rows("sentiment_bilstm", ckpt, mine, *tokenizer)
    assert [r["label"] for r in rows] == [a.label for a in answers]
    for row, answer in zip(rows, answers, strict=True):
        assert row["probabilities"] == pytest.approx(answer.probabilities, abs=1e-5)


def test_a_checkpoint_with_a_wide_path_alone_answers_as_lightning_seq_predict_does(tmp_path, monkeypatch):
    """The wide path counts n-grams in Python: the checkpoint alone (its idf, fitted weights and mixture weight)
    gives the CLI's probabilities, for the ensemble of both paths (wide_mix: average)."""
    monkeypatch.chdir(tmp_path)
    data = [*SENTIMENT_DATA, "--model.init_args.wide=lightning_seq.nn.WideNgrams",
            "--model.init_args.wide.num_buckets=4096", "--model.init_args.wide_mix=average"]
    ckpt = fit("sentiment_bilstm", *data)
    state = torch.load(ckpt, weights_only=True)["state_dict"]
    assert bool(state["wide.fitted"]) and 0.0 <= float(state["wide_weight"]) <= 1.0
    answers = Predictor.from_checkpoint(ckpt, batch_size=2).predict(TEXTS)
    mine = tmp_path / "mine.txt"
    mine.write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    rows = cli_rows("sentiment_bilstm", ckpt, mine, *data)
    assert [r["label"] for r in rows] == [a.label for a in answers]
    for row, answer in zip(rows, answers, strict=True):
        assert row["probabilities"] == pytest.approx(answer.probabilities, abs=1e-5)
