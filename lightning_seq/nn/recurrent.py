"""Padding-correct RNN, LSTM and GRU encoders on the fused (oneDNN / cuDNN) kernels, without PackedSequence.

LSTM and GRU: one fused (bidirectional) call per layer over the padded batch plus one input column that marks
padded steps. Its frozen weights saturate gates there (LSTM: forget 1, input 0; GRU: update 1), so a padded step
leaves the state exactly as it was:

* forward direction: valid steps come first and are exact; after the last one the state is frozen;
* backward direction: it meets a row's padding first and, starting from zeros, stays exactly zero through it,
  so the valid steps are exact too (no per-row reversal);
* final states: the forward output at ``length - 1`` (and the frozen LSTM cell), the backward state after step 0.
  Gradients through padded steps are exactly zero, since saturated gates have zero derivative.

Saturation is exact only while the padded *inputs* are small, so the padded steps of the layer-0 input are set to
zero first (whatever the caller put there: large values, infinities or NaN); later layers read zeroed outputs.

RNN (no gates), and an LSTM given a backward start state on padded rows: each direction is its own call, the
backward one over every row reversed within its length (an index_select), and reversed back.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lightning_seq.nn.encoder import SequenceEncoder
from lightning_seq.nn.masking import check_lengths, gather_step, gather_time, lengths_to_mask, reversal_index
from lightning_seq.nn.precision import recurrent_kernel_dtype
from lightning_seq.types import EncoderState

_SATURATE = 1.0e4  # gate pre-activation added at padded steps; sigmoid(±1e4) is exactly 1 / 0 in fp32 and bf16


def _check_size(name: str, value: int, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def _zero_padding(outputs: Tensor, padded: Tensor) -> Tensor:
    """Outputs ``(B, T, D*H)`` with the ``padded (B, T, 1)`` steps set to zero; in place without gradient.

    A fill, not a product: a ReLU RNN run over long padding can overflow to inf there, and ``inf * 0`` is NaN. The
    copy keeps the kernel's memory layout (often a time-major view): an out-of-place ``masked_fill`` would return a
    batch-major tensor, and the next layer's dropout would then draw its mask in another order than the product
    did, changing every recipe's training run for no reason.
    """
    if outputs.requires_grad:
        return outputs.clone(memory_format=torch.preserve_format).masked_fill_(padded, 0.0)
    return outputs.masked_fill_(padded, 0.0)


class RecurrentEncoder(SequenceEncoder):
    """Shared machinery of the built-in recurrent encoders; use ``RNNEncoder``, ``LSTMEncoder`` or ``GRUEncoder``."""

    cell_type: ClassVar[type[nn.RNNBase]]

    def __init__(
        self,
        input_size: int,
        hidden_size: int = 128,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        _check_size("input_size", input_size, 1)
        _check_size("hidden_size", hidden_size, 1)
        _check_size("num_layers", num_layers, 1)
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"dropout must lie in [0, 1), got {dropout!r}")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = float(dropout)
        layers = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else self.output_size
            layers.append(nn.ModuleList(self._make_cell(layer_input) for _ in range(self.num_directions)))
        self.layers = nn.ModuleList(layers)

    def _make_cell(self, input_size: int) -> nn.RNNBase:
        return self.cell_type(input_size, self.hidden_size, batch_first=True)

    def _kernel(
        self, x: Tensor, h0: Tensor, c0: Tensor, params: list[Tensor], bidirectional: bool
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        """One fused layer call: outputs ``(B, T, D*H)``, final ``h (D, B, H)`` and final cell or None."""
        raise NotImplementedError

    def _call(
        self, x: Tensor, h0: Tensor, c0: Tensor, params: list[Tensor], bidirectional: bool
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        """``_kernel`` in the precision ``recurrent_kernel_dtype`` picks (see ``lightning_seq.nn.precision``)."""
        dtype = recurrent_kernel_dtype(x)
        if dtype is None:
            return self._kernel(x, h0, c0, params, bidirectional)
        with torch.autocast("cpu", enabled=False):
            cast = [p.to(dtype) for p in params]
            return self._kernel(x.to(dtype), h0.to(dtype), c0.to(dtype), cast, bidirectional)

    def _run_direction(
        self, cell: nn.RNNBase, x: Tensor, padded: Tensor | None, start: tuple[Tensor, Tensor | None] | None
    ) -> tuple[Tensor, Tensor | None]:
        """Run one direction of one layer from ``start`` (``h0 (B, H)``, unused cell) or zeros.

        ``padded`` is the ``(B, T, 1)`` padding indicator, or None when no row is padded.

        Returns outputs ``(B, T, H)`` and the final cell state or None.
        """
        h0 = x.new_zeros(1, x.size(0), self.hidden_size) if start is None else start[0].unsqueeze(0)  # (1, B, H)
        h0 = h0.to(x.dtype).contiguous()
        params = [cell.weight_ih_l0, cell.weight_hh_l0, cell.bias_ih_l0, cell.bias_hh_l0]
        outputs, _, _ = self._call(x, h0, h0, params, False)  # (B, T, H)
        return outputs, None

    def _check_initial(self, initial: EncoderState, batch: int) -> None:
        expected = self.state_shape(batch)
        if tuple(initial.hidden.shape) != expected:
            raise ValueError(f"initial_state.hidden must have shape {expected}, got {tuple(initial.hidden.shape)}")
        if self.carries_cell and (initial.cell is None or tuple(initial.cell.shape) != expected):
            got = None if initial.cell is None else tuple(initial.cell.shape)
            raise ValueError(f"initial_state.cell must have shape {expected} for an LSTM, got {got}")

    def forward(
        self, x: Tensor, lengths: Tensor, initial_state: EncoderState | None = None
    ) -> tuple[Tensor, EncoderState]:
        """Encode a right-padded batch; per-row results are exactly those of the unpadded sequences.

        Args:
            x: ``(B, T, F)`` float features, right-padded.
            lengths: ``(B,)`` int64 valid lengths, each in ``[1, T]``.
            initial_state: state to start from, shaped like the returned state (``(L, B, D*H)``; ``cell`` for
                LSTM); None starts from zeros. Carrying the final state of one chunk into the next continues a
                stream (truncated BPTT); the backward direction's part is its state before the last valid step.

        Returns:
            ``outputs (B, T, D*H)`` (zero at padded steps) and ``EncoderState`` with ``hidden`` and, for LSTM,
            ``cell`` of shape ``(L, B, D*H)``.
        """
        if x.dim() != 3 or x.size(-1) != self.input_size:
            raise ValueError(f"expected input (B, T, {self.input_size}), got shape {tuple(x.shape)}")
        if initial_state is not None:
            self._check_initial(initial_state, x.size(0))
        size = self.hidden_size
        steps = x.size(1)
        check_lengths(lengths, steps)
        # A batch without padding (known without a device sync when lengths are on the CPU) needs no masking,
        # no padding column and a plain flip for the backward direction. Never while tracing (TorchScript, ONNX):
        # the branch would be baked into the graph, which would then ignore lengths for every later batch.
        tracing = torch.jit.is_tracing() or torch.onnx.is_in_onnx_export()
        full = not tracing and lengths.device.type == "cpu" and bool((lengths == steps).all())
        lengths = lengths.to(x.device)
        valid = None if full else lengths_to_mask(lengths, steps).unsqueeze(-1)  # (B, T, 1)
        padded = None if valid is None else (~valid).to(x.dtype)  # (B, T, 1)
        last = lengths - 1  # (B,)
        reverse = reversal_index(lengths, steps) if self.bidirectional and not full else None  # (B, T)
        hiddens: list[Tensor] = []
        cells: list[Tensor] = []
        layer_input = x  # (B, T, F)
        for depth, directions in enumerate(self.layers):
            if depth > 0 and self.dropout > 0.0:
                layer_input = F.dropout(layer_input, self.dropout, self.training)
            fused = self._fused_layer(directions, layer_input, padded, last, initial_state, depth)
            if fused is None and depth == 0 and valid is not None:
                layer_input = layer_input.masked_fill(~valid, 0.0)  # padding content never matters (see _fused_layer)
            if fused is not None:
                layer_input, layer_h, layer_c = fused
                if valid is not None:
                    layer_input = _zero_padding(layer_input, ~valid)
                hiddens.append(torch.cat(layer_h, dim=-1))  # (B, D*H)
                if layer_c:
                    cells.append(torch.cat(layer_c, dim=-1))
                continue
            outs, layer_h, layer_c = [], [], []
            for direction, cell in enumerate(directions):
                seq = layer_input if direction == 0 else self._reverse(layer_input, reverse)  # (B, T, F_l)
                start = None
                if initial_state is not None:
                    part = slice(direction * size, (direction + 1) * size)
                    start_cell = initial_state.cell[depth, :, part] if initial_state.cell is not None else None
                    start = (initial_state.hidden[depth, :, part], start_cell)  # (B, H) each
                out, final_cell = self._run_direction(cell, seq, padded, start)  # (B, T, H)
                layer_h.append(gather_step(out, last))  # (B, H)
                if final_cell is not None:
                    layer_c.append(final_cell)  # (B, H)
                outs.append(out if direction == 0 else self._reverse(out, reverse))
            layer_input = outs[0] if len(outs) == 1 else torch.cat(outs, dim=-1)  # (B, T, D*H)
            if valid is not None:
                layer_input = _zero_padding(layer_input, ~valid)
            hiddens.append(torch.cat(layer_h, dim=-1))  # (B, D*H)
            if layer_c:
                cells.append(torch.cat(layer_c, dim=-1))
        state = EncoderState(torch.stack(hiddens), torch.stack(cells) if cells else None)  # (L, B, D*H)
        return layer_input, state

    def _fused_layer(
        self,
        directions: nn.ModuleList,
        x: Tensor,
        padded: Tensor | None,
        last: Tensor,
        initial_state: EncoderState | None,
        depth: int,
    ) -> tuple[Tensor, list[Tensor], list[Tensor]] | None:
        """Both directions of one layer in one fused call, or None where that is not exact (see subclasses).

        Returns ``outputs (B, T, D*H)`` (not yet masked), the final hidden ``(B, H)`` and (LSTM) cell of each
        direction.
        """
        return None

    @staticmethod
    def _reverse(values: Tensor, index: Tensor | None) -> Tensor:
        """Each row reversed within its length (``index`` from ``reversal_index``), or flipped when unpadded."""
        return values.flip(1) if index is None else gather_time(values, index)

    def extra_repr(self) -> str:
        """Sizes shown by ``print(encoder)``."""
        return (
            f"input_size={self.input_size}, hidden_size={self.hidden_size}, num_layers={self.num_layers}, "
            f"bidirectional={self.bidirectional}, dropout={self.dropout}"
        )


class GatedRecurrentEncoder(RecurrentEncoder):
    """LSTM and GRU: a padding column saturates gates so that padded steps leave the state exactly unchanged.

    With that column one bidirectional fused call is exact on right-padded rows: the backward direction meets
    a row's padding first and, starting from zeros, stays exactly zero through it (LSTM: forget gate 1 and input
    gate 0 keep ``c = 0``, so ``h = o * tanh(0) = 0``; GRU: update gate 1 keeps ``h``); the forward direction's
    cell state (LSTM) or hidden state (GRU) is frozen after the last valid step. No per-row reversal is needed.
    Gradients through padded steps are exactly zero, since saturated gates have zero derivative.
    """

    gate_column: ClassVar[tuple[float, ...]]  # pre-activation added at padded steps, per gate block

    def __init__(
        self,
        input_size: int,
        hidden_size: int = 128,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
    ) -> None:
        super().__init__(input_size, hidden_size, num_layers, bidirectional, dropout)
        column = torch.cat([torch.full((hidden_size,), value) for value in self.gate_column])
        self.register_buffer("pad_gate_column", column.unsqueeze(1), persistent=False)  # (G*H, 1)

    def _fused_layer(
        self,
        directions: nn.ModuleList,
        x: Tensor,
        padded: Tensor | None,
        last: Tensor,
        initial_state: EncoderState | None,
        depth: int,
    ) -> tuple[Tensor, list[Tensor], list[Tensor]] | None:
        if self.carries_cell and self.bidirectional and initial_state is not None and padded is not None:
            return None  # the LSTM's h is not frozen on padding: a given backward start state needs the reversal
        if padded is not None and initial_state is None and torch.onnx.is_in_onnx_export():
            return self._packed_layer(directions, x, last)
        batch, size = x.size(0), self.hidden_size
        count = len(directions)
        if padded is not None:
            x = torch.cat([x, padded], dim=-1)  # (B, T, F+1)
            if depth == 0:
                # Padding content must never matter (large values, inf and NaN break gate saturation): a masked
                # fill, not a multiplication, so NaN becomes 0 too and padded inputs get exactly zero gradient; in
                # place on the fresh concatenation, so it costs no extra copy. Deeper layers read zeroed outputs.
                x[..., :-1].masked_fill_(padded.bool(), 0.0)
        params: list[Tensor] = []
        for cell in directions:
            weight_ih = cell.weight_ih_l0
            if padded is not None:
                weight_ih = torch.cat([weight_ih, self.pad_gate_column.to(weight_ih.dtype)], dim=1)
            params += [weight_ih, cell.weight_hh_l0, cell.bias_ih_l0, cell.bias_hh_l0]
        if initial_state is None:
            h0 = x.new_zeros(count, batch, size)  # (D, B, H)
            c0 = h0
        else:
            h0 = initial_state.hidden[depth].view(batch, count, size).transpose(0, 1).to(x.dtype).contiguous()
            c0 = h0
            if initial_state.cell is not None:
                c0 = initial_state.cell[depth].view(batch, count, size).transpose(0, 1).to(x.dtype).contiguous()
        outputs, h_n, c_n = self._call(x, h0, c0, params, count == 2)  # (B, T, D*H), (D, B, H)
        finals = [gather_step(outputs, last)[:, :size]]  # forward: the output at the last valid step (B, H)
        if count == 2:
            finals.append(h_n[1])  # backward: its state after step 0
        cells = [] if c_n is None else list(c_n.unbind(0))
        return outputs, finals, cells

    def _packed_layer(
        self, directions: nn.ModuleList, x: Tensor, last: Tensor
    ) -> tuple[Tensor, list[Tensor], list[Tensor]]:
        """One layer on right-padded rows as a packed sequence: the ONNX export path of LSTMs and GRUs.

        The exported LSTM / GRU op then takes the lengths as its ``sequence_lens`` input instead of the saturating
        padding column, whose +-1e4 weights would set the scale of an int8-quantized weight matrix and round every
        trained weight to zero (ONNX Runtime's ``DynamicQuantizeLSTM`` quantizes each direction's weights as one
        tensor; it has no quantized GRU yet, whose graphs are kept clean of the column all the same). The outputs are
        those of the padding-column path.
        """
        batch, size, count = x.size(0), self.hidden_size, len(directions)
        packed = nn.utils.rnn.pack_padded_sequence(x, last + 1, batch_first=True, enforce_sorted=False)
        params = [p for cell in directions for p in (cell.weight_ih_l0, cell.weight_hh_l0, cell.bias_ih_l0,
                                                      cell.bias_hh_l0)]
        h0 = x.new_zeros(count, batch, size)  # (D, B, H)
        data, h_n, c_n = self._packed_kernel(packed.data, packed.batch_sizes, h0, params, count == 2)
        outputs, _ = nn.utils.rnn.pad_packed_sequence(
            nn.utils.rnn.PackedSequence(data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices),
            batch_first=True, total_length=x.size(1))  # (B, T, D*H), zero at padded steps
        order = packed.unsorted_indices
        h_n = h_n.index_select(1, order)  # (D, B, H), the rows' own order
        finals = [h_n[0]] if count == 1 else [h_n[0], h_n[1]]
        return outputs, finals, [] if c_n is None else list(c_n.index_select(1, order).unbind(0))

    def _packed_kernel(
        self, data: Tensor, batch_sizes: Tensor, h0: Tensor, params: list[Tensor], bidirectional: bool
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        """One packed layer call from zeros: packed outputs, final ``h (D, B, H)`` and final cell or None."""
        raise NotImplementedError


class LSTMEncoder(GatedRecurrentEncoder):
    """Stacked, optionally bidirectional LSTM encoder, exact on right-padded batches at padded-batch speed.

    Args:
        input_size: feature size of each step; derived from the data or embedding, never configured in YAML.
        hidden_size: hidden units per direction (``H``).
        num_layers: stacked layers (``L``).
        bidirectional: add a backward direction; outputs and states become ``2*H`` wide.
        dropout: dropout on the outputs of every layer but the last, as in ``torch.nn.LSTM``.
    """

    cell_type = nn.LSTM
    carries_cell = True
    # torch.nn.LSTM gate order (input, forget, cell, output): close input, open forget at padding
    gate_column = (-_SATURATE, _SATURATE, 0.0, 0.0)

    def _kernel(
        self, x: Tensor, h0: Tensor, c0: Tensor, params: list[Tensor], bidirectional: bool
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        outputs, h_n, c_n = torch.lstm(x, (h0, c0), params, True, 1, 0.0, self.training, bidirectional, True)
        return outputs, h_n, c_n

    def _packed_kernel(
        self, data: Tensor, batch_sizes: Tensor, h0: Tensor, params: list[Tensor], bidirectional: bool
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        data, h_n, c_n = torch.lstm(data, batch_sizes, (h0, h0), params, True, 1, 0.0, False, bidirectional)
        return data, h_n, c_n

    def _run_direction(
        self, cell: nn.RNNBase, x: Tensor, padded: Tensor | None, start: tuple[Tensor, Tensor | None] | None
    ) -> tuple[Tensor, Tensor | None]:
        batch = x.size(0)
        if padded is None:  # no padded step: the plain weights
            x_aug, weight_ih = x, cell.weight_ih_l0
        else:
            x_aug = torch.cat([x, padded], dim=-1)  # (B, T, F+1)
            weight_ih = torch.cat([cell.weight_ih_l0, self.pad_gate_column.to(cell.weight_ih_l0.dtype)], dim=1)
        zeros = x.new_zeros(1, batch, self.hidden_size)  # (1, B, H)
        h0, c0 = (zeros, zeros) if start is None else (start[0].unsqueeze(0), start[1].unsqueeze(0))  # (1, B, H)
        params = [weight_ih, cell.weight_hh_l0, cell.bias_ih_l0, cell.bias_hh_l0]
        h0, c0 = h0.to(x.dtype).contiguous(), c0.to(x.dtype).contiguous()
        outputs, _, final_cell = self._call(x_aug, h0, c0, params, False)
        return outputs, final_cell[0]  # (B, T, H), (B, H)


class GRUEncoder(GatedRecurrentEncoder):
    """Stacked, optionally bidirectional GRU encoder, exact on right-padded batches.

    Args:
        input_size: feature size of each step; derived from the data or embedding, never configured in YAML.
        hidden_size: hidden units per direction (``H``).
        num_layers: stacked layers (``L``).
        bidirectional: add a backward direction; outputs and states become ``2*H`` wide.
        dropout: dropout on the outputs of every layer but the last, as in ``torch.nn.GRU``.
    """

    cell_type = nn.GRU
    # torch.nn.GRU gate order (reset, update, new): update gate 1 keeps h at padding
    gate_column = (0.0, _SATURATE, 0.0)

    def _kernel(
        self, x: Tensor, h0: Tensor, c0: Tensor, params: list[Tensor], bidirectional: bool
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        outputs, h_n = torch.gru(x, h0, params, True, 1, 0.0, self.training, bidirectional, True)
        return outputs, h_n, None

    def _packed_kernel(
        self, data: Tensor, batch_sizes: Tensor, h0: Tensor, params: list[Tensor], bidirectional: bool
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        data, h_n = torch.gru(data, batch_sizes, h0, params, True, 1, 0.0, False, bidirectional)
        return data, h_n, None


class RNNEncoder(RecurrentEncoder):
    """Stacked, optionally bidirectional Elman RNN encoder, exact on right-padded batches.

    Args:
        input_size: feature size of each step; derived from the data or embedding, never configured in YAML.
        hidden_size: hidden units per direction (``H``).
        num_layers: stacked layers (``L``).
        bidirectional: add a backward direction; outputs and states become ``2*H`` wide.
        dropout: dropout on the outputs of every layer but the last, as in ``torch.nn.RNN``.
        nonlinearity: ``tanh`` or ``relu``.
    """

    cell_type = nn.RNN

    def __init__(
        self,
        input_size: int,
        hidden_size: int = 128,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        nonlinearity: Literal["tanh", "relu"] = "tanh",
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, bidirectional, dropout)

    def _make_cell(self, input_size: int) -> nn.RNNBase:
        return nn.RNN(input_size, self.hidden_size, nonlinearity=self.nonlinearity, batch_first=True)

    def _kernel(
        self, x: Tensor, h0: Tensor, c0: Tensor, params: list[Tensor], bidirectional: bool
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        step = torch.rnn_tanh if self.nonlinearity == "tanh" else torch.rnn_relu
        outputs, h_n = step(x, h0, params, True, 1, 0.0, self.training, bidirectional, True)
        return outputs, h_n, None
