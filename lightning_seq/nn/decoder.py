"""Recurrent decoder for encoder-decoder models, with every classic way to use the encoder.

Context (what the decoder gets from the encoder):

* ``last``: the encoder's final top-layer state ``c = h_N``;
* ``bridge``: a learned ``c = tanh(W h_N)`` that also maps a bidirectional or differently sized encoder onto the
  decoder's size (and, for state initialisation, onto each of its layers);
* ``attention``: ``c_t`` recomputed at every step over all encoder outputs from the previous decoder state
  (padded source steps masked); the output layer then reads ``tanh(W [h_t; c_t])``.

Conditioning (how the context enters):

* ``init``: the context initialises the decoder state; later steps see only their own state (and the attention
  output, for ``attention``);
* ``input``: the decoder starts from zeros and receives the context as an input at every step;
* ``input_and_prev``: as ``input``, plus the previous output token (BOS first) — the usual teacher-forced decoder.

``input_feeding`` adds the previous step's attentional vector to the next input.

Two classic refinements are switches too:

* ``deep_output``: the output layer reads the context and the previous token as well as the state,
  ``y_t = softmax(V tanh(W [h_t; c_t; E y_{t-1}]))``, as in Cho et al. (2014), whose RNN encoder-decoder conditions
  every output on ``h_t``, ``y_{t-1}`` and the summary ``c`` (with ``attention``, ``c_t`` replaces ``c``);
* ``attention_query``: attention scores computed from the previous state (``state``) or from the previous state and
  the current input, the previous token's embedding (``state_and_input``), as in the classic GRU attention decoder
  that scores ``[E y_{t-1}; h_{t-1}]``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, NamedTuple

import torch
from torch import Tensor, nn

from lightning_seq.nn.attention import AdditiveAttention, Attention, AttentionFactory, AttentionMemory
from lightning_seq.nn.embedding import token_table
from lightning_seq.types import EncoderState

ContextMode = Literal["last", "bridge", "attention"]
Conditioning = Literal["init", "input", "input_and_prev"]
AttentionQuery = Literal["state", "state_and_input"]


class DecoderState(NamedTuple):
    """Everything one decoding step needs; every tensor has the batch as its first dimension.

    Attributes:
        hidden: ``(B, L, H)`` per-layer hidden states.
        cell: ``(B, L, H)`` LSTM cell states (zeros for other cells).
        feed: ``(B, H)`` previous attentional vector (input feeding).
        context: ``(B, C)`` fixed context for ``last`` / ``bridge`` with input conditioning or a deep output
            (empty otherwise).
        memory: encoder outputs prepared for attention (empty tensors without attention).
    """

    hidden: Tensor
    cell: Tensor
    feed: Tensor
    context: Tensor
    memory: AttentionMemory


class RecurrentDecoder(nn.Module):
    """A stack of recurrent cells stepping one token at a time (see the module docstring for the variants).

    Pick the cell by class, as for encoders: ``LSTMDecoder``, ``GRUDecoder`` or ``RNNDecoder``. A task takes a
    ``DecoderFactory`` and fills in the two derived sizes; in YAML give ``class_path`` and ``init_args`` without them.

    Args:
        vocab_size: target vocabulary size ``V`` (filled in by the task from the data).
        encoder_size: encoder output / state size ``D*H_enc`` (filled in by the task from its encoder).
        hidden_size: decoder hidden size ``H``.
        num_layers: stacked decoder layers.
        embedding_dim: target token embedding size (``input_and_prev``, ``deep_output``, ``state_and_input``).
        context: ``last``, ``bridge`` or ``attention``.
        attention: factory ``(query_size, key_size) -> Attention`` for ``context: attention`` (None:
            ``AdditiveAttention``); e.g. ``lightning_seq.nn.DotAttention``. Refused with another context.
        conditioning: ``init``, ``input`` or ``input_and_prev``.
        input_feeding: feed the previous attentional vector into the next input.
        dropout: dropout between layers and before the output layer.
        deep_output: the output layer reads ``[h_t; c_t; E y_{t-1}]`` instead of ``h_t`` (or ``[h_t; c_t]``).
        attention_query: score attention from the previous ``state`` or from the ``state_and_input`` (the
            previous token's embedding too).
        freeze_embedding: keep the target token embedding fixed (e.g. pretrained vectors).
    """

    cell_class: type[nn.RNNCellBase]
    """The cell of every layer (``nn.LSTMCell``, ``nn.GRUCell``, ``nn.RNNCell``), set by each subclass."""

    def __init__(
        self,
        vocab_size: int,
        encoder_size: int,
        *,
        hidden_size: int = 128,
        num_layers: int = 1,
        embedding_dim: int = 64,
        context: ContextMode = "attention",
        attention: AttentionFactory | None = None,
        conditioning: Conditioning = "input_and_prev",
        input_feeding: bool = False,
        dropout: float = 0.0,
        deep_output: bool = False,
        attention_query: AttentionQuery = "state",
        freeze_embedding: bool = False,
    ) -> None:
        super().__init__()
        if not hasattr(type(self), "cell_class"):
            raise TypeError("RecurrentDecoder has no cell: build an LSTMDecoder, GRUDecoder or RNNDecoder")
        for name, value in (
            ("vocab_size", vocab_size),
            ("encoder_size", encoder_size),
            ("hidden_size", hidden_size),
            ("num_layers", num_layers),
            ("embedding_dim", embedding_dim),
        ):
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value!r}")
        if context not in ("last", "bridge", "attention"):
            raise ValueError(f"context must be 'last', 'bridge' or 'attention', got {context!r}")
        if attention is not None and context != "attention":
            raise ValueError(f"an attention factory needs context 'attention', got {context!r}")
        if conditioning not in ("init", "input", "input_and_prev"):
            raise ValueError(f"conditioning must be 'init', 'input' or 'input_and_prev', got {conditioning!r}")
        if context == "last" and conditioning == "init" and encoder_size != hidden_size:
            raise ValueError(
                f"context 'last' with conditioning 'init' copies the encoder state: hidden_size must equal "
                f"the encoder's output size {encoder_size}, got {hidden_size} (or use context 'bridge')"
            )
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must lie in [0, 1), got {dropout!r}")
        if attention_query not in ("state", "state_and_input"):
            raise ValueError(f"attention_query must be 'state' or 'state_and_input', got {attention_query!r}")
        if attention_query != "state" and context != "attention":
            raise ValueError(f"attention_query={attention_query!r} needs context 'attention', got {context!r}")
        self.vocab_size, self.hidden_size, self.num_layers = vocab_size, hidden_size, num_layers
        self.context_mode, self.conditioning = context, conditioning
        self.input_feeding, self.deep_output, self.attention_query = input_feeding, deep_output, attention_query
        needs_embedding = conditioning == "input_and_prev" or deep_output or attention_query == "state_and_input"
        self.embedding = token_table(vocab_size, embedding_dim, freeze_embedding) if needs_embedding else None
        context_size = {"last": encoder_size, "bridge": hidden_size, "attention": encoder_size}[context]
        uses_context_input = conditioning != "init"
        prev_input = conditioning == "input_and_prev"
        input_size = (embedding_dim if prev_input else 0) + (context_size if uses_context_input else 0)
        input_size += hidden_size if input_feeding else 0
        self.input_size = max(input_size, 1)  # "init" without feeding: a constant zero input
        self.cells = nn.ModuleList(
            self.cell_class(self.input_size if i == 0 else hidden_size, hidden_size) for i in range(num_layers)
        )
        init_bridge = conditioning == "init" and context in ("bridge", "attention")
        self.bridge = (
            nn.Linear(encoder_size, hidden_size * (num_layers if init_bridge else 1))
            if context == "bridge" or init_bridge
            else None
        )
        query_size = hidden_size + (embedding_dim if attention_query == "state_and_input" else 0)
        self.attention: Attention | None = None
        if context == "attention":
            self.attention = (attention or AdditiveAttention)(query_size, encoder_size)
            if not isinstance(self.attention, Attention):
                raise TypeError(f"attention must build an Attention, got {type(self.attention).__name__}")
        # the attentional / deep-output vector: tanh(W [h_t; c_t]) or tanh(W [h_t; c_t; E y_{t-1}])
        combined = hidden_size + (context_size if context == "attention" or deep_output else 0)
        combined += embedding_dim if deep_output else 0
        self.combine = nn.Linear(combined, hidden_size) if combined > hidden_size else None
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(hidden_size, vocab_size)

    @property
    def carries_cell(self) -> bool:
        """Whether the cell keeps a cell state beside its hidden state (LSTM)."""
        return self.cell_class is nn.LSTMCell

    def initial_state(self, outputs: Tensor, state: EncoderState, mask: Tensor) -> DecoderState:
        """Decoder state from the encoder's ``outputs (B, S, D*H_enc)``, final ``state`` and source ``mask (B, S)``."""
        batch, layers, size = outputs.size(0), self.num_layers, self.hidden_size
        top = state.hidden[-1]  # (B, D*H_enc)
        zeros = outputs.new_zeros(batch, layers, size)
        hidden, cell, context = zeros, zeros, outputs.new_zeros(batch, 0)
        if self.conditioning == "init":
            if self.context_mode == "last":
                hidden = top.unsqueeze(1).expand(-1, layers, -1).contiguous()
                if state.cell is not None and self.carries_cell:
                    cell = state.cell[-1].unsqueeze(1).expand(-1, layers, -1).contiguous()
            else:
                hidden = torch.tanh(self.bridge(top)).view(batch, layers, size)
        if self.context_mode != "attention" and (self.conditioning != "init" or self.deep_output):
            if self.context_mode == "last":
                context = top  # (B, D*H_enc)
            elif self.conditioning != "init":
                context = torch.tanh(self.bridge(top))  # (B, H)
            else:  # bridge + init: the bridge maps onto every layer; the top layer's share is the context
                context = hidden[:, -1]  # (B, H)
        memory = (
            self.attention.memory(outputs, mask)
            if self.attention is not None
            else AttentionMemory(outputs.new_zeros(batch, 0, 0), outputs.new_zeros(batch, 0, 0), mask[:, :0])
        )
        return DecoderState(hidden, cell, outputs.new_zeros(batch, size), context, memory)

    def reorder(self, state: DecoderState, index: Tensor) -> DecoderState:
        """Take batch rows ``index (M,)`` of every state tensor (e.g. expand a batch into beams)."""
        memory = AttentionMemory(*(t.index_select(0, index) for t in state.memory))
        return DecoderState(*(t.index_select(0, index) for t in state[:4]), memory)

    def reorder_beams(self, state: DecoderState, index: Tensor) -> DecoderState:
        """Follow beam back-pointers ``index (B*K,)``, each within its own sequence's beams.

        The encoder memory and the fixed context are the same for every beam of a sequence, so they are kept
        as they are; copying the memory each step was a sixth of beam-search time.
        """
        hidden, cell, feed = (t.index_select(0, index) for t in state[:3])
        return DecoderState(hidden, cell, feed, state.context, state.memory)

    def step_with_attention(self, tokens: Tensor, state: DecoderState) -> tuple[Tensor, DecoderState, Tensor | None]:
        """One step: previous tokens ``(B,)`` -> log-probabilities ``(B, V)``, new state, attention ``(B, S)``."""
        weights = None
        attended = None
        previous = self.embedding(tokens) if self.embedding is not None else None  # (B, E)
        if self.attention is not None:
            query = state.hidden[:, -1]  # (B, H)
            if self.attention_query == "state_and_input":
                query = torch.cat([query, previous], dim=-1)  # (B, H+E)
            attended, weights = self.attention(query, state.memory)  # (B, D*H_enc), (B, S)
        context = attended if attended is not None else state.context  # (B, C), empty without one
        parts = []
        if self.conditioning == "input_and_prev":
            parts.append(previous)
        if self.conditioning != "init":
            parts.append(context)
        if self.input_feeding:
            parts.append(state.feed)
        x = torch.cat(parts, dim=-1) if parts else state.feed.new_zeros(tokens.size(0), 1)  # (B, I)
        hiddens, cells = [], []
        for layer, rnn in enumerate(self.cells):
            if layer > 0:
                x = self.dropout(x)
            if self.carries_cell:
                h, c = rnn(x, (state.hidden[:, layer], state.cell[:, layer]))
            else:
                h, c = rnn(x, state.hidden[:, layer]), state.cell[:, layer]
            hiddens.append(h)
            cells.append(c)
            x = h
        top = x  # (B, H)
        vector = top
        if self.combine is not None:
            pieces = [top, context] + ([previous] if self.deep_output else [])
            vector = torch.tanh(self.combine(torch.cat(pieces, -1)))  # (B, H)
        log_probs = torch.log_softmax(self.output(self.dropout(vector)).float(), dim=-1)  # (B, V)
        new_state = DecoderState(torch.stack(hiddens, 1), torch.stack(cells, 1), vector, state.context, state.memory)
        return log_probs, new_state, weights

    def step(self, tokens: Tensor, state: DecoderState) -> tuple[Tensor, DecoderState]:
        """One decoding step for the decoding functions: ``tokens (B,)`` -> ``log_probs (B, V)``, new state."""
        log_probs, new_state, _ = self.step_with_attention(tokens, state)
        return log_probs, new_state

    def forward(
        self,
        inputs: Tensor,
        state: DecoderState,
        teacher_forcing: float = 1.0,
        generator: torch.Generator | None = None,
    ) -> tuple[Tensor, Tensor | None]:
        """Run over a whole target sequence.

        Args:
            inputs: ``(B, T)`` gold input tokens (BOS then the target without its last token).
            state: from ``initial_state``.
            teacher_forcing: probability, drawn per row and per step, of feeding the gold token rather than the
                model's own previous prediction (1: teacher forcing, 0: free running).
            generator: random source of the scheduled-sampling coins.

        Returns:
            ``log_probs (B, T, V)`` and attention weights ``(B, T, S)`` (None without attention).
        """
        outputs, attentions = [], []
        tokens = inputs[:, 0]
        for t in range(inputs.size(1)):
            if t > 0:
                tokens = inputs[:, t]
                if teacher_forcing < 1.0:
                    coin = torch.rand(tokens.shape, generator=generator).to(tokens.device) < teacher_forcing
                    tokens = torch.where(coin, tokens, outputs[-1].argmax(-1).detach())
            log_probs, state, weights = self.step_with_attention(tokens, state)
            outputs.append(log_probs)
            if weights is not None:
                attentions.append(weights)
        return torch.stack(outputs, 1), torch.stack(attentions, 1) if attentions else None


class LSTMDecoder(RecurrentDecoder):
    """A ``RecurrentDecoder`` of LSTM cells; the arguments are ``RecurrentDecoder``'s.

    It carries a cell state beside the hidden state; with ``context: last`` and ``conditioning: init`` an LSTM
    encoder's cell state is copied too.
    """

    cell_class = nn.LSTMCell


class GRUDecoder(RecurrentDecoder):
    """A ``RecurrentDecoder`` of GRU cells. The arguments are ``RecurrentDecoder``'s."""

    cell_class = nn.GRUCell


class RNNDecoder(RecurrentDecoder):
    """A ``RecurrentDecoder`` of plain tanh RNN cells. The arguments are ``RecurrentDecoder``'s."""

    cell_class = nn.RNNCell


DecoderFactory = Callable[[int, int], RecurrentDecoder]
"""Builds a decoder once the sizes are known: ``factory(vocab_size, encoder_size) -> RecurrentDecoder``.

In YAML give ``class_path`` (``lightning_seq.nn.LSTMDecoder``, ...) and ``init_args`` without the two sizes; the
task fills them in from the data and its encoder.
"""
