"""Classification head: a small MLP from a pooled vector to class logits."""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn


class MLPHead(nn.Module):
    """``Linear -> ReLU -> Dropout`` blocks, then a final ``Linear`` to logits.

    Args:
        input_size: size of the pooled vector.
        num_classes: number of output logits ``C``.
        hidden_sizes: sizes of the hidden layers; empty for a single linear layer.
        dropout: dropout before every linear layer.
    """

    def __init__(self, input_size: int, num_classes: int, hidden_sizes: Sequence[int] = (), dropout: float = 0.0):
        super().__init__()
        if num_classes < 1:
            raise ValueError(f"num_classes must be >= 1, got {num_classes!r}")
        if any(size < 1 for size in hidden_sizes):
            raise ValueError(f"every head hidden size must be >= 1, got {list(hidden_sizes)}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"head dropout must lie in [0, 1), got {dropout!r}")
        blocks: list[nn.Module] = []
        size = input_size
        for hidden in hidden_sizes:
            blocks += [nn.Dropout(dropout), nn.Linear(size, hidden), nn.ReLU()]
            size = hidden
        blocks += [nn.Dropout(dropout), nn.Linear(size, num_classes)]
        self.net = nn.Sequential(*blocks)

    def forward(self, pooled: Tensor) -> Tensor:
        """Map ``pooled (B, input_size)`` to logits ``(B, C)``."""
        return self.net(pooled)
