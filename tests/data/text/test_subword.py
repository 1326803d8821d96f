import pytest

pytest.importorskip("sentencepiece")  # the [subword] extra; the [test] extra installs it
pytest.importorskip("tokenizers")

from lightning_seq.data import (  # noqa: E402
    HFTokenizer,
    ParallelTextDataModule,
    SentencePieceTokenizer,
    SentimentDataModule,
    TextCorpusDataModule,
)
from lightning_seq.types import join_tokens  # noqa: E402

TEXTS = ["the cat sat on the mat", "a dog ate the bone", "the cats and the dogs sat", "new york is big"] * 20


@pytest.mark.parametrize(("make", "repeatable"), [
    (lambda: SentencePieceTokenizer(vocab_size=60), True),
    (lambda: SentencePieceTokenizer(vocab_size=60, model_type="bpe"), True),
    (lambda: HFTokenizer(vocab_size=60), True),
    (lambda: HFTokenizer(vocab_size=60, model_type="unigram"), False),  # its trainer orders ties differently per run
])
def test_trained_pieces_round_trip_and_training_is_repeatable(make, repeatable, tmp_path):
    tokenizer = make()
    with pytest.raises(RuntimeError, match="is not trained yet"):
        tokenizer("the cat")
    tokenizer.train(TEXTS)
    for text in ["the cats sat on the big mat", "new dogs", "a"]:
        pieces = tokenizer(text)
        assert pieces[0].startswith("\u2581") and tokenizer.detokenize(pieces) == text
    again = make()
    again.train(TEXTS)
    if repeatable:  # same text, same model: DDP ranks rely on it
        assert again.to_bytes() == tokenizer.to_bytes()
    path = tokenizer.save(tmp_path, "tokenizer")
    assert path.name == "tokenizer" + tokenizer.suffix
    loaded = type(tokenizer)(vocab_size=60, model_path=str(path))
    assert loaded("the cats and new york") == tokenizer("the cats and new york")


def test_join_tokens_turns_word_marks_into_spaces_only_without_a_joiner():
    assert join_tokens(["\u2581new", "\u2581yo", "rk"], "") == "new york"
    assert join_tokens(["a", "b"], "") == "ab" and join_tokens(["a", "b"], " ") == "a b"


def test_data_modules_train_their_subword_tokenizers_on_the_training_split(tmp_path):
    dm = SentimentDataModule(generated_size=400, tokenizer=SentencePieceTokenizer(vocab_size=300, lowercase=True))
    assert dm.tokenizer.is_trained and set(dm.subword) == {"tokenizer"}
    assert all(p in dm.vocab or p == "<unk>" for r in dm.records["train"] for p in dm.tokenizer(r.text))
    assert dm.state_dict() == {"tokenizers": {"tokenizer": dm.tokenizer.to_bytes()}}
    pairs = ParallelTextDataModule(generated_size=200, source_tokenizer=HFTokenizer(vocab_size=100),
                                   target_tokenizer=SentencePieceTokenizer(vocab_size=100))
    assert set(pairs.subword) == {"source_tokenizer", "target_tokenizer"}
    assert [p.name for p in pairs.save_tokenizers(tmp_path)] == ["source_tokenizer.json", "target_tokenizer.model"]
    corpus = TextCorpusDataModule(generated_size=200, tokenizer=SentencePieceTokenizer(vocab_size=200))
    assert corpus.vocab_size > 20 and corpus.subword["tokenizer"] is corpus.tokenizer
    word = SentimentDataModule(generated_size=100)
    assert word.subword == {} and word.state_dict() == {}


def test_a_checkpoint_tokenizer_that_differs_is_refused_by_name(tmp_path):
    dm = SentimentDataModule(generated_size=400, tokenizer=SentencePieceTokenizer(vocab_size=300))
    other = SentimentDataModule(generated_size=400, tokenizer=SentencePieceTokenizer(vocab_size=200))
    dm.load_state_dict(dm.state_dict())  # its own: accepted
    with pytest.raises(ValueError, match=r"the checkpoint's tokenizer \(model [0-9a-f]{12}\) differs from the data "
                       r"module's SentencePieceTokenizer \(model [0-9a-f]{12}\): the checkpoint's token ids would be "
                       r"read as other pieces\. Build the data with the tokenizer the model was trained with: "
                       r"--data.init_args.tokenizer.init_args.model_path=<run dir>/tokenizer.model"):
        other.load_state_dict(dm.state_dict())
    with pytest.raises(ValueError, match=r"ckpt was trained with a subword tokenizer but the data module's tokenizer "
                       r"is a WordTokenizer"):
        SentimentDataModule(generated_size=100).check_tokenizers(dm.state_dict(), "ckpt")


def test_bad_tokenizer_files_and_arguments_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"tokenizer model file not found: .*nope.model"):
        SentencePieceTokenizer(model_path=str(tmp_path / "nope.model"))
    bad = tmp_path / "bad.model"
    bad.write_bytes(b"not a model")
    with pytest.raises(ValueError, match=r"bad.model: not a SentencePiece model"):
        SentencePieceTokenizer(model_path=str(bad))
    with pytest.raises(ValueError, match=r"bad.model: not a Hugging Face tokenizer.json"):
        HFTokenizer(model_path=str(bad))
    with pytest.raises(ValueError, match="vocab_size must be >= 8, got 2"):
        HFTokenizer(vocab_size=2)
    with pytest.raises(ValueError, match="model_type must be 'unigram' or 'bpe', got 'word'"):
        SentencePieceTokenizer(model_type="word")
    with pytest.raises(ValueError, match="no non-empty training text"):
        HFTokenizer().train(["", "  "])
