"""Token embeddings with PAD = 0, optionally initialised from GloVe / word2vec text files."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import Tensor, nn

from lightning_seq.types import PAD_ID

log = logging.getLogger(__name__)


def read_text_vectors(path: str | Path, wanted: Sequence[str]) -> tuple[dict[str, Tensor], int]:
    """Read the vectors of ``wanted`` words from a GloVe or word2vec **text** file.

    A first line of two integers (word2vec's ``count dim`` header) is skipped. Every other line is a word followed
    by its values, separated by spaces.

    Args:
        path: the vectors file.
        wanted: the words to keep (others are skipped while reading).

    Returns:
        The found vectors by word and the vector size.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: a line has a different number of values than the first one, or a value is not a number.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"pretrained vectors file not found: {path}")
    keep = set(wanted)
    found: dict[str, Tensor] = {}
    dim = -1
    with path.open(encoding="utf-8", errors="strict") as handle:
        for line_no, line in enumerate(handle, start=1):
            parts = line.rstrip("\n").rstrip(" ").split(" ")
            if line_no == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                continue  # word2vec header
            if len(parts) < 2:
                raise ValueError(f"{path}:{line_no}: expected a word and its values, got {line[:60]!r}")
            if dim < 0:
                dim = len(parts) - 1
            elif len(parts) - 1 != dim:
                raise ValueError(f"{path}:{line_no}: expected {dim} values, found {len(parts) - 1}")
            word = parts[0]
            if word in keep and word not in found:
                try:
                    found[word] = torch.tensor([float(v) for v in parts[1:]])
                except ValueError as err:
                    raise ValueError(f"{path}:{line_no}: non-numeric value in vector of {word!r}") from err
    if dim < 0:
        raise ValueError(f"pretrained vectors file is empty: {path}")
    return found, dim


def load_pretrained_vectors(table: nn.Embedding, vocabulary: Sequence[str], path: str | Path) -> int:
    """Initialise an embedding table from a GloVe / word2vec text file, row by row of ``vocabulary``.

    Words are looked up as written, then lower-cased; rows of words not in the file are drawn at random with the
    spread of the found vectors (and counted in the log); the PAD row (id 0) is zero. ``requires_grad`` is kept, so a
    frozen table stays frozen.

    Args:
        table: the ``(V, F)`` embedding to fill in place.
        vocabulary: the ``V`` tokens by id.
        path: the vectors file; its vector size must be ``F``.

    Returns:
        How many tokens (PAD excluded) were not in the file.
    """
    vocab_size, embedding_dim = table.weight.shape
    if len(vocabulary) != vocab_size:
        raise ValueError(f"pretrained embeddings need the vocabulary of {vocab_size} tokens, got {len(vocabulary)}")
    found, dim = read_text_vectors(path, list(vocabulary) + [t.lower() for t in vocabulary])
    if dim != embedding_dim:
        raise ValueError(f"the embedding is {embedding_dim}-dimensional but {path} holds {dim}-dimensional vectors")
    weight = torch.randn(vocab_size, embedding_dim)
    if found:
        weight *= torch.stack(list(found.values())).std()
    missing = []
    for index, token in enumerate(vocabulary):
        vector = found.get(token, found.get(token.lower()))
        if vector is not None:
            weight[index] = vector
        elif index != 0:
            missing.append(token)
    weight[0] = 0.0
    with torch.no_grad():
        table.weight.copy_(weight)
    log.warning(
        "pretrained vectors %s: %d of %d vocabulary tokens not found, initialised randomly (e.g. %s)",
        path,
        len(missing),
        vocab_size - 1,
        missing[:5],
    )
    return len(missing)


def token_table(vocab_size: int, embedding_dim: int, freeze: bool = False) -> nn.Embedding:
    """The one way a token embedding table is built: ``(V, F)``, the PAD row (id 0) zero and never updated.

    Every model that embeds token ids builds its table here; pretrained vectors are loaded into it later by the task
    (``load_pretrained_vectors``, from ``pretrained_tables``), once the data's vocabulary is known.

    Args:
        vocab_size: number of token ids ``V``.
        embedding_dim: vector size ``F``.
        freeze: keep the table fixed during training.
    """
    table = nn.Embedding(vocab_size, embedding_dim, padding_idx=PAD_ID)
    table.weight.requires_grad_(not freeze)
    return table


class TokenEmbedding(nn.Module):
    """``nn.Embedding`` with PAD id 0 kept at zero, optionally loaded from pretrained text vectors.

    Args:
        vocab_size: number of token ids ``V`` (linked from the data).
        embedding_dim: vector size ``F``; must equal the file's vector size when ``pretrained`` is given.
        vocabulary: the tokens by id; with ``pretrained`` the vectors are loaded at once, else later by
            ``load_pretrained`` (the tasks do it in ``setup`` when the data's vocabulary is known).
        pretrained: GloVe / word2vec text file; words not in it are initialised randomly and counted in the log.
        freeze: keep the embedding fixed during training.
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int,
        vocabulary: Sequence[str] | None = None,
        pretrained: str | Path | None = None,
        freeze: bool = False,
    ) -> None:
        super().__init__()
        if vocab_size < 2:
            raise ValueError(f"vocab_size must be >= 2 (PAD and at least one token), got {vocab_size!r}")
        if embedding_dim < 1:
            raise ValueError(f"embedding_dim must be >= 1, got {embedding_dim!r}")
        self.pretrained = None if pretrained is None else str(pretrained)
        self.num_missing = 0
        self.embedding = token_table(vocab_size, embedding_dim, freeze)
        if pretrained is not None and vocabulary is not None:
            self.load_pretrained(vocabulary)

    def load_pretrained(self, vocabulary: Sequence[str]) -> None:
        """Fill the table from the ``pretrained`` file for ``vocabulary`` (tokens by id); nothing without a file."""
        if self.pretrained is not None:
            self.num_missing = load_pretrained_vectors(self.embedding, vocabulary, self.pretrained)

    def forward(self, tokens: Tensor) -> Tensor:
        """Embed ``tokens (B, T)`` int64 into ``(B, T, F)``."""
        return self.embedding(tokens)
