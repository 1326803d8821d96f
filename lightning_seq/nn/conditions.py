"""Condition encoders for 1 -> N generation: what the decoder is conditioned on, encoded like a source sequence.

Every condition encoder maps a batch of conditions to ``(outputs (B, S, C), EncoderState, mask (B, S))``, the same
triple a sequence encoder gives an encoder-decoder, so the decoder's context modes (``last``, ``bridge``,
``attention``) and conditioning modes (``init``, ``input``, ``input_and_prev``) all apply. A single condition (a
class, a vector) is a sequence of one step.

Conditions arrive as padded batches with lengths: class ids ``(B, 1)``, vectors ``(B, 1, F)``, features
``(B, T, F)`` (a row-scanned image, framed audio) or token ids ``(B, T)``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

import torch
from torch import Tensor, nn

from lightning_seq.nn.embedding import token_table
from lightning_seq.nn.encoder import EncoderFactory, SequenceEncoder
from lightning_seq.nn.masking import lengths_to_mask
from lightning_seq.nn.recurrent import LSTMEncoder
from lightning_seq.types import EncoderState


def _check_size(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")


class ConditionEncoder(nn.Module, ABC):
    """Base class: ``forward(inputs, lengths) -> (outputs (B, S, C), state, mask (B, S))`` with ``C = output_size``."""

    output_size: int

    @abstractmethod
    def forward(self, inputs: Tensor, lengths: Tensor) -> tuple[Tensor, EncoderState, Tensor]:
        """Encode a batch of conditions.

        Args:
            inputs: ``(B, S)`` ids or ``(B, S, F)`` features, right-padded.
            lengths: ``(B,)`` valid steps per row.

        Returns:
            ``outputs (B, S, C)``, ``EncoderState`` with ``hidden (L, B, C)``, and the valid-step ``mask (B, S)``.
        """


class _SingleStep(ConditionEncoder):
    """A condition encoded as one vector: a sequence of one step whose state is that vector."""

    def _as_sequence(self, vector: Tensor) -> tuple[Tensor, EncoderState, Tensor]:
        mask = torch.ones(vector.size(0), 1, dtype=torch.bool, device=vector.device)  # (B, 1)
        return vector.unsqueeze(1), EncoderState(vector.unsqueeze(0), None), mask


class LabelCondition(_SingleStep):
    """A class id embedded as a learned vector.

    Args:
        input_size: number of classes (linked from the data as ``num_classes``; never configured).
        embedding_dim: size ``C`` of the class embedding.
    """

    def __init__(self, input_size: int, embedding_dim: int = 64) -> None:
        super().__init__()
        _check_size("input_size (num_classes)", input_size)
        _check_size("embedding_dim", embedding_dim)
        self.num_classes = input_size
        self.output_size = embedding_dim
        self.embedding = nn.Embedding(input_size, embedding_dim)

    def forward(self, inputs: Tensor, lengths: Tensor) -> tuple[Tensor, EncoderState, Tensor]:
        """Class ids ``(B, 1)`` (or ``(B,)``) -> outputs ``(B, 1, C)``, state ``(1, B, C)``, mask ``(B, 1)``."""
        ids = inputs.reshape(inputs.size(0), -1)[:, 0].long()  # (B,)
        if bool(((ids < 0) | (ids >= self.num_classes)).any()):
            raise ValueError(f"class ids must lie in [0, {self.num_classes}), got {ids.tolist()}")
        return self._as_sequence(self.embedding(ids))  # (B, C)


class VectorCondition(_SingleStep):
    """A numeric vector projected to ``output_size`` through ``tanh(W x + b)``.

    Args:
        input_size: vector size (linked from the data as ``feature_size``; never configured).
        output_size: size ``C`` of the projected condition.
    """

    def __init__(self, input_size: int, output_size: int = 128) -> None:
        super().__init__()
        _check_size("input_size (feature_size)", input_size)
        _check_size("output_size", output_size)
        self.input_size = input_size
        self.output_size = output_size
        self.project = nn.Linear(input_size, output_size)

    def forward(self, inputs: Tensor, lengths: Tensor) -> tuple[Tensor, EncoderState, Tensor]:
        """Vectors ``(B, 1, F)`` (or ``(B, F)``) -> outputs ``(B, 1, C)``, state ``(1, B, C)``, mask ``(B, 1)``."""
        vectors = inputs.reshape(inputs.size(0), -1)  # (B, F)
        if vectors.size(1) != self.input_size:
            raise ValueError(f"expected condition vectors of size {self.input_size}, got shape {tuple(inputs.shape)}")
        return self._as_sequence(torch.tanh(self.project(vectors.float())))  # (B, C)


class SequenceCondition(ConditionEncoder):
    """Any sequence encoder of the library over a feature sequence (row-scanned image, framed audio) or tokens.

    Args:
        input_size: features per step, or the vocabulary size for tokens (linked from the data; never configured).
        encoder: factory ``input_size -> SequenceEncoder`` (stacked, bidirectional: any).
        tokens: the condition is token ids ``(B, T)`` to embed, rather than features ``(B, T, F)``.
        embedding_dim: token embedding size (``tokens`` only).
        pretrained_embeddings: GloVe / word2vec text file for the token embedding (``tokens`` only; the task loads
            it before fitting, by the data's vocabulary).
        freeze_embeddings: keep the token embedding fixed.
    """

    def __init__(
        self,
        input_size: int,
        encoder: EncoderFactory = LSTMEncoder,
        tokens: bool = False,
        embedding_dim: int = 64,
        pretrained_embeddings: str | None = None,
        freeze_embeddings: bool = False,
    ) -> None:
        super().__init__()
        _check_size("input_size", input_size)
        _check_size("embedding_dim", embedding_dim)
        if pretrained_embeddings is not None and not tokens:
            raise ValueError("pretrained_embeddings apply to token conditions (tokens: true)")
        self.pretrained_embeddings = pretrained_embeddings
        self.embedding = token_table(input_size, embedding_dim, freeze_embeddings) if tokens else None
        self.encoder: SequenceEncoder = encoder(embedding_dim if tokens else input_size)
        if not isinstance(self.encoder, SequenceEncoder):
            raise TypeError(f"encoder must build a SequenceEncoder, got {type(self.encoder).__name__}")
        self.output_size = self.encoder.output_size

    def forward(self, inputs: Tensor, lengths: Tensor) -> tuple[Tensor, EncoderState, Tensor]:
        """``(B, T, F)`` features or ``(B, T)`` ids -> outputs ``(B, T, D*H)``, state ``(L, B, D*H)``, mask."""
        x = self.embedding(inputs) if self.embedding is not None else inputs  # (B, T, F)
        outputs, state = self.encoder(x, lengths)  # (B, T, D*H)
        return outputs, state, lengths_to_mask(lengths.to(inputs.device), inputs.size(1))


ConditionFactory = Callable[[int], ConditionEncoder]
"""Builds a condition encoder once the data's size is known: ``factory(input_size) -> ConditionEncoder``."""
