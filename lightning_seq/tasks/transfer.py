"""Start a classifier from a language model's checkpoint (ULMFiT): its embedding rows and its encoder's weights.

A ``LanguageModel`` trained on the classifier's own texts (no labels needed) and any unlabelled text has learnt
what the words or characters of that text do; a classifier whose embedding and encoder start there needs fewer
labelled examples. The vocabularies are mapped by token, and every layer of the classifier's forward direction
starts as the language model's layer: a bidirectional classifier's layer above the first reads both directions'
outputs, and the columns that read the backward half start at zero, so at the start its forward direction computes
exactly what the language model's encoder computes.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from lightning_seq.nn.recurrent import RecurrentEncoder
from lightning_seq.tasks.checkpoint_format import TASK_KEY
from lightning_seq.tasks.names import NAMES_KEY
from lightning_seq.types import SPECIALS

log = logging.getLogger(__name__)

LANGUAGE_MODEL_TASK = "lightning_seq.tasks.language_model.LanguageModel"
MIN_SHARED_TOKENS = 0.5
"""Least share of the classifier's (non-special) tokens the language model must know: below it the two were almost
certainly built with different tokenizers, and the transfer would start nearly every row at random."""


@dataclass(frozen=True)
class Transferred:
    """What a transfer copied.

    Attributes:
        shared_tokens: classifier tokens (specials included) whose embedding row came from the language model.
        vocabulary_size: the classifier's vocabulary size.
        layers: encoder layers whose forward direction came from the language model.
    """

    shared_tokens: int
    vocabulary_size: int
    layers: int


def read_language_model(path: str | Path) -> tuple[dict[str, torch.Tensor], list[str]]:
    """The weights and the vocabulary of a ``LanguageModel`` checkpoint, refusing another task's by name."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"language_model: no checkpoint at {path}")
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    written_by = checkpoint.get(TASK_KEY)
    if written_by != LANGUAGE_MODEL_TASK:
        raise ValueError(f"language_model: {path} was written by {written_by}, not by {LANGUAGE_MODEL_TASK}")
    names = checkpoint.get(NAMES_KEY, {})
    if "vocabulary" not in names:
        raise ValueError(f"language_model: {path} holds no vocabulary (fit the language model with a data module)")
    return checkpoint["state_dict"], json.loads(names["vocabulary"])


def transfer_language_model(
    path: str | Path, embedding: nn.Embedding, encoder: nn.Module, vocabulary: list[str]
) -> Transferred:
    """Copy a language model's embedding rows (by token) and encoder weights into a classifier's, in place.

    Args:
        path: the ``LanguageModel`` checkpoint.
        embedding: the classifier's ``(V, E)`` token table, indexed by ``vocabulary``.
        encoder: the classifier's encoder: the language model's recurrent class, hidden size and layer count,
            unidirectional or bidirectional.
        vocabulary: the classifier's tokens by id.

    Raises:
        ValueError: the checkpoint is not a language model's, the sizes or the cell differ, or the two vocabularies
            share too few tokens (``MIN_SHARED_TOKENS``).
    """
    state, lm_vocabulary = read_language_model(path)
    table = state["embedding.weight"]  # (V', E)
    if table.size(1) != embedding.embedding_dim:
        raise ValueError(
            f"language_model: {path} embeds tokens in {table.size(1)} dimensions, the classifier in "
            f"{embedding.embedding_dim}: set embedding_dim to {table.size(1)}"
        )
    lm_index = {token: i for i, token in enumerate(lm_vocabulary)}
    pairs = [(i, lm_index[token]) for i, token in enumerate(vocabulary) if token in lm_index]
    ordinary = [token for token in vocabulary if token not in SPECIALS]
    shared = sum(token in lm_index for token in ordinary)
    if ordinary and shared < MIN_SHARED_TOKENS * len(ordinary):
        raise ValueError(
            f"language_model: {path} knows {shared} of the classifier's {len(ordinary)} tokens: the two were built "
            f"with different tokenizers (train the language model with the classifier's tokenizer)"
        )
    layers = _copy_encoder(path, state, encoder)
    with torch.no_grad():
        ours, theirs = torch.tensor([p[0] for p in pairs]), torch.tensor([p[1] for p in pairs])
        embedding.weight[ours] = table[theirs].to(embedding.weight.dtype)
    log.info("language_model %s: %d of %d embedding rows and %d encoder layers copied", path, len(pairs),
             len(vocabulary), layers)
    return Transferred(len(pairs), len(vocabulary), layers)


def _copy_encoder(path: str | Path, state: dict[str, torch.Tensor], encoder: nn.Module) -> int:
    """Copy the language model's layers into the classifier encoder's forward direction; the layer count."""
    if not isinstance(encoder, RecurrentEncoder):
        raise ValueError(f"language_model: the classifier's encoder is a {type(encoder).__name__}; the transfer "
                         "reads the built-in recurrent encoders (RNNEncoder, LSTMEncoder, GRUEncoder)")
    prefix = "encoder.layers."
    lm_layers = sorted({int(key[len(prefix):].split(".")[0]) for key in state if key.startswith(prefix)})
    hidden = state[f"{prefix}0.0.weight_hh_l0"].size(1)
    gates = state[f"{prefix}0.0.weight_hh_l0"].size(0) // hidden
    ours = encoder.layers[0][0].weight_hh_l0
    if (hidden, gates, len(lm_layers)) != (encoder.hidden_size, ours.size(0) // encoder.hidden_size,
                                           encoder.num_layers):
        raise ValueError(
            f"language_model: {path} has {len(lm_layers)} layers of {hidden} units ({gates} gate blocks), the "
            f"classifier's {type(encoder).__name__} {encoder.num_layers} of {encoder.hidden_size} "
            f"({ours.size(0) // encoder.hidden_size} gate blocks): give the classifier the language model's encoder"
        )
    with torch.no_grad():
        for layer in lm_layers:
            cell = encoder.layers[layer][0]  # the forward direction
            for name, target in cell.named_parameters():
                source = state[f"{prefix}{layer}.0.{name}"]
                if name.startswith("weight_ih") and layer > 0 and source.size(1) != target.size(1):
                    target.zero_()  # the columns reading the backward direction's outputs start at zero
                    target[:, : source.size(1)] = source
                else:
                    target.copy_(source)
    return len(lm_layers)
