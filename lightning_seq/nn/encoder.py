"""The encoder contract every backbone of the library meets, built-in or a user's own."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

from torch import Tensor, nn

from lightning_seq.types import EncoderState


class SequenceEncoder(nn.Module, ABC):
    """Base class of sequence encoders: ``forward(x, lengths) -> (outputs, state)``.

    Subclass it to plug a backbone of your own into any task. The contract:

    * inputs are batch-first and right-padded: ``x (B, T, F)``, ``lengths (B,)`` int64;
    * ``outputs`` is ``(B, T, D*H)`` with the forward direction in ``[..., :H]`` and zeros at padded steps;
    * ``state.hidden`` is ``state_shape(B) = (L, B, D*H)``: per layer, the forward state after the last valid step
      and the backward state after the first step; ``state.cell`` has the same shape when the class sets
      ``carries_cell = True`` (LSTM-like cells), else it is None. Code that starts, carries or streams states reads
      these two instead of testing the encoder's type or probing it with a forward pass;
    * the results for a row do not depend on how much padding the batch adds, nor on what the padded steps of
      ``x`` hold: any values, infinities or NaN give the same outputs, states and gradients as zeros would (the
      built-in encoders zero the padded inputs before the first layer; padded inputs get zero gradient);
    * optionally, ``forward(x, lengths, initial_state)`` starts from a given ``EncoderState`` (needed by the
      language model's truncated BPTT); the built-in recurrent encoders support it.
    """

    input_size: int
    hidden_size: int
    num_layers: int
    bidirectional: bool
    carries_cell: bool = False
    """Whether ``EncoderState.cell`` is a tensor (LSTM-like cells) rather than None; part of the state layout."""

    def state_shape(self, batch: int) -> tuple[int, int, int]:
        """The shape of ``EncoderState.hidden`` (and of ``cell`` when ``carries_cell``): ``(L, B, D*H)``."""
        return (self.num_layers, batch, self.output_size)

    @property
    def num_directions(self) -> int:
        """``D``: 2 for a bidirectional encoder, else 1."""
        return 2 if self.bidirectional else 1

    @property
    def output_size(self) -> int:
        """``D*H``: the feature size of ``outputs`` and of each layer's state."""
        return self.num_directions * self.hidden_size

    @abstractmethod
    def forward(self, x: Tensor, lengths: Tensor) -> tuple[Tensor, EncoderState]:
        """Encode a padded batch.

        Args:
            x: ``(B, T, F)`` float features.
            lengths: ``(B,)`` int64 valid lengths.

        Returns:
            ``outputs (B, T, D*H)`` and the final ``EncoderState``.
        """


EncoderFactory = Callable[[int], SequenceEncoder]
"""Builds an encoder once the input size is known: ``factory(input_size) -> SequenceEncoder``.

In YAML give ``class_path`` and ``init_args`` without ``input_size``; the task supplies it.
"""
