"""Subword tokenizers trained on the training split: SentencePiece and Hugging Face ``tokenizers`` (BPE, unigram).

Both mark the start of a word with ``▁`` (U+2581), so pieces join back into text the same way (``detokenize``).
A data module trains its subword tokenizers on the training texts when it is built (unless ``model_path`` names a
trained model), saves each into the run's log folder (``tokenizer.model`` / ``tokenizer.json``, named after the
argument) and into every checkpoint, and refuses a checkpoint whose tokenizer differs from its own. The packages
are an optional extra: ``pip install 'lightning-seq[subword]'``.
"""

from __future__ import annotations

import hashlib
import importlib
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from lightning_seq.types import SPECIALS, UNK, join_tokens


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as err:
        raise ImportError(
            f"subword tokenizers need the '{name}' package: pip install 'lightning-seq[subword]'"
        ) from err


def detokenize(pieces: Sequence[str]) -> str:
    """Pieces back to text: concatenated, each word mark a space (``['▁new', '▁yo', 'rk']`` -> ``'new york'``)."""
    return join_tokens(pieces, "")


class SubwordTokenizer:
    """What the subword tokenizers share: training on the training split, saving, loading and a fingerprint.

    Args:
        vocab_size: pieces to learn (a soft limit: a small training text yields fewer).
        lowercase: lowercase texts before training and tokenizing.
        model_path: a trained model file (a run's ``tokenizer.model`` / ``tokenizer.json``) to load instead of
            training, e.g. to test or predict with the tokenizer a checkpoint was trained with.
    """

    suffix = ".bin"
    """The file suffix of a saved model."""

    def __init__(self, *, vocab_size: int, lowercase: bool, model_path: str | None) -> None:
        if vocab_size < 8:
            raise ValueError(f"vocab_size must be >= 8, got {vocab_size!r}")
        self.vocab_size = vocab_size
        self.lowercase = lowercase
        self.model_path = model_path
        self._model: bytes | None = None
        if model_path is not None:
            path = Path(model_path)
            if not path.is_file():
                raise FileNotFoundError(f"tokenizer model file not found: {path}")
            self.load_bytes(path.read_bytes(), str(path))

    @property
    def is_trained(self) -> bool:
        """Whether a model is loaded or trained."""
        return self._model is not None

    def train(self, texts: Sequence[str]) -> None:
        """Learn the pieces from ``texts`` (the training split)."""
        texts = [self._normal(t) for t in texts if t.strip()]
        if not texts:
            raise ValueError(f"{type(self).__name__}: no non-empty training text to learn pieces from")
        self.load_bytes(self._train(texts), "<trained>")

    def _train(self, texts: list[str]) -> bytes:
        raise NotImplementedError

    def load_bytes(self, model: bytes, where: str) -> None:
        """Use the serialized model ``model`` (read from ``where``, named in errors)."""
        raise NotImplementedError

    def to_bytes(self) -> bytes:
        """The serialized model (what ``save`` writes and checkpoints keep)."""
        if self._model is None:
            raise RuntimeError(f"{type(self).__name__} is not trained yet: the data module trains it when it is built")
        return self._model

    def fingerprint(self) -> str:
        """A short hash of the model, to tell two tokenizers apart in messages."""
        return hashlib.sha256(self.to_bytes()).hexdigest()[:12]

    def save(self, folder: str | Path, name: str) -> Path:
        """Write the model as ``folder/<name><suffix>`` and return the path."""
        path = Path(folder) / f"{name}{self.suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.to_bytes())
        return path

    def _normal(self, text: str) -> str:
        return text.lower() if self.lowercase else text

    def pieces(self, text: str) -> list[str]:
        """Tokenize one (normalized) text into pieces."""
        raise NotImplementedError

    def __call__(self, text: str) -> list[str]:
        """Tokenize one text into pieces (``▁`` marks a word start)."""
        if self._model is None:
            raise RuntimeError(f"{type(self).__name__} is not trained yet: the data module trains it when it is built")
        return self.pieces(self._normal(text))

    def detokenize(self, pieces: Sequence[str]) -> str:
        """Pieces back to text."""
        return detokenize(pieces)


class SentencePieceTokenizer(SubwordTokenizer):
    """SentencePiece (unigram or BPE) trained on the training split; saved as ``<name>.model``.

    Args:
        vocab_size: pieces to learn (a soft limit: a small training text yields fewer).
        model_type: ``unigram`` (SentencePiece's default) or ``bpe``.
        character_coverage: share of characters covered by single-character pieces; rarer ones become ``<unk>``
            (1.0 keeps every character; 0.9995 suits scripts with thousands of characters).
        lowercase: lowercase texts before training and tokenizing.
        model_path: a trained ``.model`` file to load instead of training.
    """

    suffix = ".model"

    def __init__(
        self,
        vocab_size: int = 8000,
        model_type: Literal["unigram", "bpe"] = "unigram",
        character_coverage: float = 1.0,
        lowercase: bool = False,
        model_path: str | None = None,
    ) -> None:
        if model_type not in ("unigram", "bpe"):
            raise ValueError(f"model_type must be 'unigram' or 'bpe', got {model_type!r}")
        if not 0.9 <= character_coverage <= 1.0:
            raise ValueError(f"character_coverage must lie in [0.9, 1], got {character_coverage!r}")
        self.model_type = model_type
        self.character_coverage = character_coverage
        self._processor: Any = None
        super().__init__(vocab_size=vocab_size, lowercase=lowercase, model_path=model_path)

    def _train(self, texts: list[str]) -> bytes:
        spm = _module("sentencepiece")
        out = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(texts),
            model_writer=out,
            vocab_size=self.vocab_size,
            model_type=self.model_type,
            character_coverage=self.character_coverage,
            hard_vocab_limit=False,
            bos_id=-1,
            eos_id=-1,
            unk_piece=UNK,
            num_threads=1,  # the same pieces on every machine and run
            minloglevel=2,
        )
        return out.getvalue()

    def load_bytes(self, model: bytes, where: str) -> None:
        """Use a serialized SentencePiece model."""
        spm = _module("sentencepiece")
        processor = spm.SentencePieceProcessor()
        try:
            processor.LoadFromSerializedProto(model)
        except Exception as err:  # sentencepiece raises a bare RuntimeError naming no file
            raise ValueError(f"{where}: not a SentencePiece model ({err})") from None
        self._processor, self._model = processor, model

    def pieces(self, text: str) -> list[str]:
        """SentencePiece's pieces of one text."""
        return list(self._processor.encode(text, out_type=str))

    def __repr__(self) -> str:
        return (
            f"SentencePieceTokenizer(vocab_size={self.vocab_size}, model_type={self.model_type!r}, "
            f"lowercase={self.lowercase}, model_path={self.model_path!r})"
        )


class HFTokenizer(SubwordTokenizer):
    """A Hugging Face ``tokenizers`` BPE or unigram model trained on the training split; saved as ``<name>.json``.

    Words are split at whitespace and marked with ``▁`` (the Metaspace scheme SentencePiece uses), so pieces
    detokenize the same way.

    Args:
        vocab_size: pieces to learn (at most; a small training text yields fewer).
        model_type: ``bpe`` or ``unigram``.
        lowercase: lowercase texts before training and tokenizing.
        model_path: a trained ``tokenizer.json`` to load instead of training.
    """

    suffix = ".json"

    def __init__(
        self,
        vocab_size: int = 8000,
        model_type: Literal["bpe", "unigram"] = "bpe",
        lowercase: bool = False,
        model_path: str | None = None,
    ) -> None:
        if model_type not in ("bpe", "unigram"):
            raise ValueError(f"model_type must be 'bpe' or 'unigram', got {model_type!r}")
        self.model_type = model_type
        self._tokenizer: Any = None
        super().__init__(vocab_size=vocab_size, lowercase=lowercase, model_path=model_path)

    def _train(self, texts: list[str]) -> bytes:
        hf = _module("tokenizers")
        specials = [UNK]
        if self.model_type == "bpe":
            tokenizer = hf.Tokenizer(hf.models.BPE(unk_token=UNK))
            trainer = hf.trainers.BpeTrainer(vocab_size=self.vocab_size, special_tokens=specials, show_progress=False)
        else:
            tokenizer = hf.Tokenizer(hf.models.Unigram())
            trainer = hf.trainers.UnigramTrainer(
                vocab_size=self.vocab_size, special_tokens=specials, unk_token=UNK, show_progress=False
            )
        tokenizer.pre_tokenizer = hf.pre_tokenizers.Metaspace()
        tokenizer.decoder = hf.decoders.Metaspace()
        tokenizer.train_from_iterator(texts, trainer)
        return tokenizer.to_str().encode("utf-8")

    def load_bytes(self, model: bytes, where: str) -> None:
        """Use a serialized ``tokenizer.json``."""
        hf = _module("tokenizers")
        try:
            tokenizer = hf.Tokenizer.from_str(model.decode("utf-8"))
        except Exception as err:  # tokenizers raises a bare Exception naming no file
            raise ValueError(f"{where}: not a Hugging Face tokenizer.json ({err})") from None
        self._tokenizer, self._model = tokenizer, model

    def pieces(self, text: str) -> list[str]:
        """The tokenizer's pieces of one text (specials it may add are left out)."""
        return [t for t in self._tokenizer.encode(text, add_special_tokens=False).tokens if t not in SPECIALS[2:]]

    def __repr__(self) -> str:
        return (
            f"HFTokenizer(vocab_size={self.vocab_size}, model_type={self.model_type!r}, lowercase={self.lowercase}, "
            f"model_path={self.model_path!r})"
        )
