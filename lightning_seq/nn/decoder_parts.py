"""The parts a ``RecurrentDecoder`` is composed of, one concept each, as attention is one class per scoring function.

A decoding step reads the same way for every variant::

    previous = E y_{t-1}                             # the previous token's embedding (when a part reads it)
    c_t, weights = context(state, previous)          # DecoderContext: none, h_N, tanh(W h_N), or attention
    x_t = step_input(previous, c_t, feed)            # StepInput: which of these the cells read
    h_t = cells(x_t, state)                          # CellStack: stacked LSTM / GRU / RNN cells
    v_t = readout(h_t, c_t, previous)                # Readout: h_t, tanh(W [h_t; c_t]) or tanh(W [h_t; c_t; E y])
    y_t = log_softmax(V v_t)

and the state starts from the encoder through a ``DecoderStart`` (zeros, the encoder's state copied, or bridged).
The decoder's switches (``context``, ``conditioning``, ``input_feeding``, ``deep_output``, ``attention_query``) only
pick these parts, once, in ``RecurrentDecoder.__init__``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import NamedTuple

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from lightning_seq.nn.attention import Attention, AttentionMemory
from lightning_seq.types import EncoderState


class DecoderState(NamedTuple):
    """Everything one decoding step needs; every tensor has the batch as its first dimension.

    Attributes:
        hidden: ``(B, L, H)`` per-layer hidden states.
        cell: ``(B, L, H)`` LSTM cell states (zeros for other cells).
        feed: ``(B, H)`` previous attentional vector (input feeding).
        context: ``(B, C)`` the fixed context of a ``FixedContext`` (``(B, 0)`` with attention or none).
        memory: encoder outputs prepared for attention (``S = 0`` steps without attention).
    """

    hidden: Tensor
    cell: Tensor
    feed: Tensor
    context: Tensor
    memory: AttentionMemory


# ------------------------------------------------------------------------------------------------ the start state
class DecoderStart(nn.Module, ABC):
    """How the decoder's state starts from the encoder's final state.

    Args:
        num_layers: decoder layers ``L``.
        hidden_size: decoder hidden size ``H``.
    """

    def __init__(self, num_layers: int, hidden_size: int) -> None:
        super().__init__()
        self.num_layers, self.hidden_size = num_layers, hidden_size

    def zeros(self, state: EncoderState) -> Tensor:
        """``(B, L, H)`` zeros like the encoder's state."""
        return state.hidden.new_zeros(state.hidden.size(1), self.num_layers, self.hidden_size)

    @abstractmethod
    def forward(self, state: EncoderState) -> tuple[Tensor, Tensor]:
        """Encoder ``state`` (``hidden (L_enc, B, D*H_enc)``) -> decoder ``hidden (B, L, H)`` and ``cell (B, L, H)``."""


class ZeroStart(DecoderStart):
    """Start from zeros: the encoder reaches the decoder through its inputs or attention only."""

    def forward(self, state: EncoderState) -> tuple[Tensor, Tensor]:
        """Zeros ``(B, L, H)`` for both."""
        zeros = self.zeros(state)
        return zeros, zeros


class CopiedStart(DecoderStart):
    """Every layer starts from the encoder's final top-layer state ``h_N`` (sizes must match).

    Args:
        num_layers: decoder layers ``L``.
        hidden_size: decoder hidden size ``H``, equal to the encoder's output size.
        copies_cell: copy the encoder's cell state too (an LSTM decoder after an LSTM encoder).
    """

    def __init__(self, num_layers: int, hidden_size: int, copies_cell: bool) -> None:
        super().__init__(num_layers, hidden_size)
        self.copies_cell = copies_cell

    def forward(self, state: EncoderState) -> tuple[Tensor, Tensor]:
        """``h_N`` (and ``c_N``) repeated over the ``L`` layers."""
        hidden = state.hidden[-1].unsqueeze(1).expand(-1, self.num_layers, -1).contiguous()  # (B, L, H)
        if self.copies_cell and state.cell is not None:
            return hidden, state.cell[-1].unsqueeze(1).expand(-1, self.num_layers, -1).contiguous()
        return hidden, self.zeros(state)


class BridgedStart(DecoderStart):
    """Every layer starts from its own share of a learned ``tanh(W h_N)`` (any encoder size).

    Args:
        num_layers: decoder layers ``L``.
        hidden_size: decoder hidden size ``H``.
        encoder_size: the encoder's output size ``D*H_enc``.
    """

    def __init__(self, num_layers: int, hidden_size: int, encoder_size: int) -> None:
        super().__init__(num_layers, hidden_size)
        self.bridge = nn.Linear(encoder_size, hidden_size * num_layers)

    def forward(self, state: EncoderState) -> tuple[Tensor, Tensor]:
        """``tanh(W h_N)`` viewed as ``(B, L, H)``, zero cells."""
        top = state.hidden[-1]  # (B, D*H_enc)
        return torch.tanh(self.bridge(top)).view(top.size(0), self.num_layers, self.hidden_size), self.zeros(state)


# ------------------------------------------------------------------------------------------------ the context
class DecoderContext(nn.Module):
    """What a step reads from the encoder, ``c_t (B, C)``; this base reads nothing (``C = 0``).

    A fixed context is computed once per source (``fixed``) and kept in ``DecoderState.context``; attention is
    recomputed at every step over ``memory``. Every context answers ``forward`` with the context and the attention
    weights over the memory's ``S`` steps (``S = 0`` for a fixed context).
    """

    size = 0
    """``C``, the context's size."""
    attends = False
    """Whether the context is attention (its weights are worth drawing)."""

    def fixed(self, state: EncoderState, start: Tensor) -> Tensor:
        """The fixed context ``(B, C)`` from the encoder ``state`` and the decoder's start ``hidden (B, L, H)``."""
        return start.new_zeros(start.size(0), 0)

    def memory(self, outputs: Tensor, mask: Tensor) -> AttentionMemory:
        """Encoder ``outputs (B, S, D*H_enc)`` and ``mask (B, S)`` as attention reads them: nothing here."""
        empty = outputs.new_zeros(outputs.size(0), 0, 0)
        return AttentionMemory(empty, empty, mask[:, :0])

    def forward(self, state: DecoderState, previous: Tensor | None) -> tuple[Tensor, Tensor]:
        """The context at this step: ``state.context (B, C)`` and no weights ``(B, 0)``."""
        return state.context, state.memory.mask.to(state.context.dtype)


class FinalStateContext(DecoderContext):
    """The encoder's final top-layer state, ``c = h_N``.

    Args:
        encoder_size: the encoder's output size ``D*H_enc`` (``C``).
    """

    def __init__(self, encoder_size: int) -> None:
        super().__init__()
        self.size = encoder_size

    def fixed(self, state: EncoderState, start: Tensor) -> Tensor:
        """``h_N``: ``(B, D*H_enc)``."""
        return state.hidden[-1]


class BridgedContext(DecoderContext):
    """A learned ``c = tanh(W h_N)`` of the decoder's size (any encoder size).

    Args:
        encoder_size: the encoder's output size ``D*H_enc``.
        hidden_size: the decoder's hidden size ``H`` (``C``).
    """

    def __init__(self, encoder_size: int, hidden_size: int) -> None:
        super().__init__()
        self.size = hidden_size
        self.bridge = nn.Linear(encoder_size, hidden_size)

    def fixed(self, state: EncoderState, start: Tensor) -> Tensor:
        """``tanh(W h_N)``: ``(B, H)``."""
        return torch.tanh(self.bridge(state.hidden[-1]))


class StartContext(DecoderContext):
    """The top layer of the bridged start state (a bridged start read again by a deep output).

    Args:
        hidden_size: the decoder's hidden size ``H`` (``C``).
    """

    def __init__(self, hidden_size: int) -> None:
        super().__init__()
        self.size = hidden_size

    def fixed(self, state: EncoderState, start: Tensor) -> Tensor:
        """The start's top layer: ``(B, H)``."""
        return start[:, -1]


class AttentionContext(DecoderContext):
    """``c_t``: attention over every encoder output, queried by the previous top-layer state ``h_{t-1}``.

    Args:
        attention: the scoring (``AdditiveAttention``, ``DotAttention``, ...), built for the query and key sizes.
    """

    attends = True

    def __init__(self, attention: Attention) -> None:
        super().__init__()
        if not isinstance(attention, Attention):
            raise TypeError(f"attention must build an Attention, got {type(attention).__name__}")
        self.attention = attention
        self.size = attention.key_size

    def memory(self, outputs: Tensor, mask: Tensor) -> AttentionMemory:
        """The attention's keys and values of ``outputs (B, S, D*H_enc)``, ``mask (B, S)``."""
        return self.attention.memory(outputs, mask)

    def query(self, state: DecoderState, previous: Tensor | None) -> Tensor:
        """``h_{t-1}``: ``(B, H)``."""
        return state.hidden[:, -1]

    def forward(self, state: DecoderState, previous: Tensor | None) -> tuple[Tensor, Tensor]:
        """``c_t (B, D*H_enc)`` and the weights ``(B, S)`` (0 on padding)."""
        return self.attention(self.query(state, previous), state.memory)


class InputAwareAttentionContext(AttentionContext):
    """Attention queried by the previous state and the current input, ``[h_{t-1}; E y_{t-1}]``."""

    def query(self, state: DecoderState, previous: Tensor | None) -> Tensor:
        """``[h_{t-1}; E y_{t-1}]``: ``(B, H + E)``."""
        return torch.cat([state.hidden[:, -1], previous], dim=-1)


# ------------------------------------------------------------------------------------------------ the step
class StepInput(nn.Module):
    """Which of the previous token's embedding, the context and the fed-back vector the cells read, in that order.

    Args:
        previous: read ``E y_{t-1}`` (size ``E``).
        context: read ``c_t`` (size ``C``).
        feed: read the previous attentional vector (size ``H``).
        sizes: ``(E, C, H)``.
    """

    def __init__(self, previous: bool, context: bool, feed: bool, sizes: tuple[int, int, int]) -> None:
        super().__init__()
        self.reads = (previous, context, feed)
        # nothing read (state-initialised, no feeding): a constant zero input of size 1
        self.size = max(sum(size for size, read in zip(sizes, self.reads, strict=True) if read), 1)

    def forward(self, previous: Tensor | None, context: Tensor, feed: Tensor) -> Tensor:
        """The step's input ``(B, I)``."""
        parts = [part for part, read in zip((previous, context, feed), self.reads, strict=True) if read]
        return torch.cat(parts, dim=-1) if parts else feed.new_zeros(feed.size(0), 1)


class CellStack(nn.ModuleList):
    """Stacked recurrent cells of one class, dropout between layers (its state_dict keys are ``0.*``, ``1.*``).

    Args:
        cell_class: ``nn.LSTMCell``, ``nn.GRUCell`` or ``nn.RNNCell``.
        input_size: the first layer's input size ``I``.
        hidden_size: ``H``.
        num_layers: ``L``.
        dropout: dropout between layers.
    """

    def __init__(
        self, cell_class: type[nn.RNNCellBase], input_size: int, hidden_size: int, num_layers: int, dropout: float
    ) -> None:
        super().__init__(cell_class(input_size if i == 0 else hidden_size, hidden_size) for i in range(num_layers))
        self.carries_cell = cell_class is nn.LSTMCell
        self.dropout = dropout

    def forward(self, x: Tensor, hidden: Tensor, cell: Tensor) -> tuple[Tensor, Tensor]:
        """Input ``x (B, I)`` and states ``(B, L, H)`` -> new ``hidden (B, L, H)`` and ``cell (B, L, H)``."""
        hiddens, cells = [], []
        for layer, rnn in enumerate(self):
            if layer > 0:
                x = F.dropout(x, self.dropout, self.training)
            if self.carries_cell:
                h, c = rnn(x, (hidden[:, layer], cell[:, layer]))
            else:
                h, c = rnn(x, hidden[:, layer]), cell[:, layer]
            hiddens.append(h)
            cells.append(c)
            x = h
        return torch.stack(hiddens, 1), torch.stack(cells, 1)


class Readout(nn.Module):
    """The vector the output layer reads; this base reads the top-layer state, ``v_t = h_t``."""

    def forward(self, top: Tensor, context: Tensor, previous: Tensor | None) -> Tensor:
        """``h_t (B, H)``."""
        return top


class AttentionalReadout(Readout):
    """The attentional vector ``v_t = tanh(W [h_t; c_t])``.

    Args:
        hidden_size: ``H``.
        context_size: ``C``.
        previous_size: ``E`` read besides them (0 here; a deep output's embedding size).
    """

    def __init__(self, hidden_size: int, context_size: int, previous_size: int = 0) -> None:
        super().__init__()
        self.combine = nn.Linear(hidden_size + context_size + previous_size, hidden_size)

    def pieces(self, top: Tensor, context: Tensor, previous: Tensor | None) -> list[Tensor]:
        """What is combined: ``[h_t, c_t]``."""
        return [top, context]

    def forward(self, top: Tensor, context: Tensor, previous: Tensor | None) -> Tensor:
        """``v_t (B, H)``."""
        return torch.tanh(self.combine(torch.cat(self.pieces(top, context, previous), -1)))


class DeepReadout(AttentionalReadout):
    """A deep output, ``v_t = tanh(W [h_t; c_t; E y_{t-1}])`` (Cho et al., 2014), with any context.

    Args:
        hidden_size: ``H``.
        context_size: ``C``.
        previous_size: the token embedding size ``E``.
    """

    def pieces(self, top: Tensor, context: Tensor, previous: Tensor | None) -> list[Tensor]:
        """``[h_t, c_t, E y_{t-1}]``."""
        return [top, context, previous]
