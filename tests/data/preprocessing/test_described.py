import pytest

from lightning_seq.data import CharTokenizer, HFTokenizer, SentencePieceTokenizer, WordTokenizer
from lightning_seq.data.preprocessing.described import describe, rebuild
from lightning_seq.data.preprocessing.inputs import text_inputs_spec

TEXTS = [f"the {w} sat on the {v} mat number {i}"
         for i, (w, v) in enumerate(zip("abcdefgh" * 8, "hgfedcba" * 8, strict=True))]


@pytest.mark.parametrize("tokenizer", [WordTokenizer(), WordTokenizer(lowercase=False, pattern=r"\S+"),
                                       CharTokenizer(lowercase=True)])
def test_plain_tokenizers_are_rebuilt_from_their_description(tokenizer):
    described = describe(tokenizer)
    assert described["class_path"] == f"lightning_seq.data.text.tokenizers.{type(tokenizer).__name__}"
    again = rebuild(described)
    assert type(again) is type(tokenizer) and again("The CAT, sat!") == tokenizer("The CAT, sat!")


@pytest.mark.parametrize("make", [lambda: SentencePieceTokenizer(vocab_size=40),
                                  lambda: HFTokenizer(vocab_size=40, model_type="bpe")])
def test_a_trained_subword_tokenizer_travels_with_its_model_not_its_file(make):
    tokenizer = make()
    tokenizer.train(TEXTS)
    described = describe(tokenizer)
    assert described["init_args"]["model_path"] is None and described["model"] == tokenizer.to_bytes()
    again = rebuild(described)
    assert again.fingerprint() == tokenizer.fingerprint() and again("the q sat") == tokenizer("the q sat")


class Keeps:
    def __init__(self, table: str = "x") -> None:
        self.table = object()  # not plain data


class Forgets:
    def __init__(self, lowercase: bool = True) -> None:
        self.lower = lowercase


def test_an_object_that_cannot_be_described_is_named_with_its_argument():
    with pytest.raises(ValueError, match=r"Forgets cannot be stored for inference: its argument 'lowercase' is not "
                                         r"kept as an attribute of the same name"):
        describe(Forgets())
    spec = text_inputs_spec(Keeps())
    assert spec == {"unavailable": f"{__name__}.Keeps cannot be stored for inference: its argument 'table' holds a "
                                   f"value of type object, not plain data"}
