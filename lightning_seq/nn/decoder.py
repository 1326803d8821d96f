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

Each switch picks parts of ``lightning_seq.nn.decoder_parts`` (a ``DecoderStart``, a ``DecoderContext``, a
``StepInput``, a ``Readout``) once, when the decoder is built; a step runs the same code for every variant.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import torch
from torch import Tensor, nn

from lightning_seq.nn.attention import AdditiveAttention, AttentionFactory
from lightning_seq.nn.decoder_parts import (
    AttentionalReadout,
    AttentionContext,
    BridgedContext,
    BridgedStart,
    CellStack,
    CopiedStart,
    DecoderContext,
    DecoderStart,
    DecoderState,
    DeepReadout,
    FinalStateContext,
    InputAwareAttentionContext,
    Readout,
    StartContext,
    StepInput,
    ZeroStart,
)
from lightning_seq.nn.embedding import token_table
from lightning_seq.types import EncoderState

ContextMode = Literal["last", "bridge", "attention"]
Conditioning = Literal["init", "input", "input_and_prev"]
AttentionQuery = Literal["state", "state_and_input"]


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
        check_switches(
            vocab_size=vocab_size, encoder_size=encoder_size, hidden_size=hidden_size, num_layers=num_layers,
            embedding_dim=embedding_dim, context=context, attention=attention, conditioning=conditioning,
            dropout=dropout, attention_query=attention_query,
        )
        self.hidden_size = hidden_size  # the switches live on as the parts they picked
        # the parts, created in this order so that a seed gives the parameters it always gave
        reads_previous = conditioning == "input_and_prev" or deep_output or attention_query == "state_and_input"
        self.embedding = token_table(vocab_size, embedding_dim, freeze_embedding) if reads_previous else None
        context_size = {"last": encoder_size, "bridge": hidden_size, "attention": encoder_size}[context]
        self.step_input = StepInput(
            previous=conditioning == "input_and_prev",
            context=conditioning != "init",
            feed=input_feeding,
            sizes=(embedding_dim, context_size, hidden_size),
        )
        self.cells = CellStack(self.cell_class, self.step_input.size, hidden_size, num_layers, dropout)
        self.start = pick_start(self.cell_class, context, conditioning, encoder_size, hidden_size, num_layers)
        query_size = hidden_size + (embedding_dim if attention_query == "state_and_input" else 0)
        self.context = pick_context(
            context, conditioning, deep_output, attention_query,
            encoder_size=encoder_size, hidden_size=hidden_size,
            attention=lambda: (attention or AdditiveAttention)(query_size, encoder_size),
        )
        self.readout = pick_readout(context, deep_output, hidden_size, context_size, embedding_dim)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(hidden_size, vocab_size)
        self.register_load_state_dict_pre_hook(rename_0_2_keys)

    @property
    def carries_cell(self) -> bool:
        """Whether the cell keeps a cell state beside its hidden state (LSTM)."""
        return self.cells.carries_cell

    @property
    def attends(self) -> bool:
        """Whether the context is attention, so that ``forward`` returns weights over source steps."""
        return self.context.attends

    def initial_state(self, outputs: Tensor, state: EncoderState, mask: Tensor) -> DecoderState:
        """Decoder state from the encoder's ``outputs (B, S, D*H_enc)``, final ``state`` and source ``mask (B, S)``."""
        hidden, cell = self.start(state)  # (B, L, H) each
        feed = outputs.new_zeros(outputs.size(0), self.hidden_size)  # (B, H)
        return DecoderState(hidden, cell, feed, self.context.fixed(state, hidden), self.context.memory(outputs, mask))

    def reorder(self, state: DecoderState, index: Tensor) -> DecoderState:
        """Take batch rows ``index (M,)`` of every state tensor (e.g. expand a batch into beams)."""
        memory = type(state.memory)(*(t.index_select(0, index) for t in state.memory))
        return DecoderState(*(t.index_select(0, index) for t in state[:4]), memory)

    def reorder_beams(self, state: DecoderState, index: Tensor) -> DecoderState:
        """Follow beam back-pointers ``index (B*K,)``, each within its own sequence's beams.

        The encoder memory and the fixed context are the same for every beam of a sequence, so they are kept
        as they are; copying the memory each step was a sixth of beam-search time.
        """
        hidden, cell, feed = (t.index_select(0, index) for t in state[:3])
        return DecoderState(hidden, cell, feed, state.context, state.memory)

    def step_with_attention(self, tokens: Tensor, state: DecoderState) -> tuple[Tensor, DecoderState, Tensor]:
        """One step: previous tokens ``(B,)`` -> log-probabilities ``(B, V)``, new state, attention ``(B, S)``.

        ``S`` is 0 when the context is not attention.
        """
        previous = self.embedding(tokens) if self.embedding is not None else None  # (B, E)
        context, weights = self.context(state, previous)  # (B, C), (B, S)
        hidden, cell = self.cells(self.step_input(previous, context, state.feed), state.hidden, state.cell)
        vector = self.readout(hidden[:, -1], context, previous)  # (B, H)
        log_probs = torch.log_softmax(self.output(self.dropout(vector)).float(), dim=-1)  # (B, V)
        return log_probs, DecoderState(hidden, cell, vector, state.context, state.memory), weights

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
    ) -> tuple[Tensor, Tensor]:
        """Run over a whole target sequence.

        Args:
            inputs: ``(B, T)`` gold input tokens (BOS then the target without its last token).
            state: from ``initial_state``.
            teacher_forcing: probability, drawn per row and per step, of feeding the gold token rather than the
                model's own previous prediction (1: teacher forcing, 0: free running).
            generator: random source of the scheduled-sampling coins.

        Returns:
            ``log_probs (B, T, V)`` and attention weights ``(B, T, S)`` (``S = 0`` when the context is not
            attention; see ``attends``).
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
            attentions.append(weights)
        return torch.stack(outputs, 1), torch.stack(attentions, 1)


def check_switches(
    *,
    vocab_size: int,
    encoder_size: int,
    hidden_size: int,
    num_layers: int,
    embedding_dim: int,
    context: str,
    attention: AttentionFactory | None,
    conditioning: str,
    dropout: float,
    attention_query: str,
) -> None:
    """Refuse sizes below 1, unknown switch values and switches that contradict each other, naming them."""
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


def pick_start(
    cell_class: type[nn.RNNCellBase], context: str, conditioning: str, encoder_size: int, hidden_size: int, layers: int
) -> DecoderStart:
    """``conditioning: init`` starts from the encoder (copied for ``last``, else bridged); the others from zeros."""
    if conditioning != "init":
        return ZeroStart(layers, hidden_size)
    if context == "last":
        return CopiedStart(layers, hidden_size, copies_cell=cell_class is nn.LSTMCell)
    return BridgedStart(layers, hidden_size, encoder_size)


def pick_context(
    context: str,
    conditioning: str,
    deep_output: bool,
    attention_query: str,
    *,
    encoder_size: int,
    hidden_size: int,
    attention: Callable[[], Any],
) -> DecoderContext:
    """The context a step reads.

    Attention; else ``h_N`` or ``tanh(W h_N)`` when the input or a deep output reads it (a bridged start's top
    layer, when only a deep output does); else none.
    """
    if context == "attention":
        part = InputAwareAttentionContext if attention_query == "state_and_input" else AttentionContext
        return part(attention())
    if conditioning == "init" and not deep_output:
        return DecoderContext()
    if context == "last":
        return FinalStateContext(encoder_size)
    return BridgedContext(encoder_size, hidden_size) if conditioning != "init" else StartContext(hidden_size)


def pick_readout(context: str, deep_output: bool, hidden_size: int, context_size: int, embedding_dim: int) -> Readout:
    """``h_t``; the attentional vector with attention; the deep output when asked."""
    if deep_output:
        return DeepReadout(hidden_size, context_size, embedding_dim)
    return AttentionalReadout(hidden_size, context_size) if context == "attention" else Readout()


RENAMED_IN_0_3 = {"attention.": "context.attention.", "combine.": "readout.combine."}
"""Keys of a 0.2 decoder's state_dict that moved when the decoder was composed from parts (``bridge.`` moved too,
to ``start.bridge.`` or ``context.bridge.``, by which part holds it)."""


def rename_0_2_keys(module: RecurrentDecoder, state_dict: dict[str, Tensor], prefix: str, *_: Any) -> None:
    """A ``load_state_dict`` pre-hook: read a checkpoint written by lightning_seq 0.2 (keys renamed in place)."""
    renames = dict(RENAMED_IN_0_3)
    renames["bridge."] = "start.bridge." if isinstance(module.start, BridgedStart) else "context.bridge."
    for key in [k for k in state_dict if k.startswith(prefix)]:
        for old, new in renames.items():
            if key.startswith(prefix + old):
                state_dict[prefix + new + key[len(prefix + old):]] = state_dict.pop(key)


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
