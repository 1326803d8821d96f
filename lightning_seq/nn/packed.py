"""Reference path through ``torch.nn`` modules and PackedSequence, for tests, benchmarks and export.

``to_torch_rnn`` copies a built-in encoder's weights into one standard ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN``
(batch-first). ``torch.nn`` keeps the final state direction-minor, ``(L*D, B, H)``, and by default is time-major,
``(T, B, F)``; ``packed_reference`` maps that to this library's layout: batch-first outputs and states of shape
``(L, B, D*H)`` with both directions concatenated per layer.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from lightning_seq.nn.recurrent import RecurrentEncoder, RNNEncoder
from lightning_seq.types import EncoderState


def to_torch_rnn(encoder: RecurrentEncoder) -> nn.RNNBase:
    """Build the equivalent multi-layer ``torch.nn`` module with the encoder's weights (a copy).

    Args:
        encoder: a built-in ``RNNEncoder``, ``LSTMEncoder`` or ``GRUEncoder``.

    Returns:
        A batch-first ``nn.RNN``, ``nn.LSTM`` or ``nn.GRU`` with the same parameters.
    """
    options = {"nonlinearity": encoder.nonlinearity} if isinstance(encoder, RNNEncoder) else {}
    module = encoder.cell_type(
        encoder.input_size,
        encoder.hidden_size,
        num_layers=encoder.num_layers,
        bidirectional=encoder.bidirectional,
        dropout=encoder.dropout,
        batch_first=True,
        **options,
    )
    with torch.no_grad():
        for layer, directions in enumerate(encoder.layers):
            for direction, cell in enumerate(directions):
                suffix = f"l{layer}" + ("_reverse" if direction == 1 else "")
                for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    getattr(module, f"{kind}_{suffix}").copy_(getattr(cell, f"{kind}_l0"))
    return module.to(next(encoder.parameters()).device)


def merge_torch_state(state: Tensor, num_layers: int, num_directions: int) -> Tensor:
    """Convert a ``torch.nn`` final state ``(L*D, B, H)`` to this library's ``(L, B, D*H)``."""
    _, batch, hidden = state.shape
    per_layer = state.view(num_layers, num_directions, batch, hidden)  # (L, D, B, H)
    return per_layer.permute(0, 2, 1, 3).reshape(num_layers, batch, num_directions * hidden)  # (L, B, D*H)


def packed_reference(module: nn.RNNBase, x: Tensor, lengths: Tensor) -> tuple[Tensor, EncoderState]:
    """Run a batch-first ``torch.nn`` recurrent module on a packed batch and return the library's layout.

    Args:
        module: a batch-first ``nn.RNN``, ``nn.LSTM`` or ``nn.GRU``.
        x: ``(B, T, F)`` right-padded features.
        lengths: ``(B,)`` int64 valid lengths.

    Returns:
        ``outputs (B, T, D*H)`` zero at padded steps, and ``EncoderState`` with ``(L, B, D*H)`` tensors.
    """
    packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
    out, state = module(packed)
    outputs, _ = pad_packed_sequence(out, batch_first=True, total_length=x.size(1))  # (B, T, D*H)
    directions = 2 if module.bidirectional else 1
    if isinstance(state, tuple):
        hidden, cell = state
        return outputs, EncoderState(
            merge_torch_state(hidden, module.num_layers, directions),
            merge_torch_state(cell, module.num_layers, directions),
        )
    return outputs, EncoderState(merge_torch_state(state, module.num_layers, directions), None)
