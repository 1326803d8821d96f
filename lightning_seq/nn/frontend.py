"""Convolutional front-ends for image columns and spectrogram frames, with an optional time reduction."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

from torch import Tensor, nn

from lightning_seq.nn.masking import lengths_to_mask


class SequenceFrontEnd(nn.Module, ABC):
    """Maps ``(B, T, F)`` features to ``(B, T', output_size)`` with ``T' = ceil(T / time_reduction)``.

    Attributes:
        output_size: features per output step.
        time_reduction: how many input steps make one output step (1 keeps the time resolution).
    """

    output_size: int
    time_reduction: int

    def output_lengths(self, lengths: Tensor) -> Tensor:
        """Valid output steps for valid input ``lengths (B,)``."""
        return (lengths + self.time_reduction - 1) // self.time_reduction

    @abstractmethod
    def forward(self, x: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """Transform ``x (B, T, F)`` into ``(B, T', output_size)`` (zero at padded steps) and lengths ``(B,)``."""


FrontEndFactory = Callable[[int], SequenceFrontEnd]
"""Builds a front-end once the input feature size is known: ``factory(input_size)``."""


class ConvFrontEnd(SequenceFrontEnd):
    """A small CNN over each step's features seen as an image column, like the convolutional part of a CRNN.

    Per block: conv 3×3 → ReLU → max-pool 2 over the feature (height) axis, and also over time in the first
    ``log2(time_reduction)`` blocks. Each step's ``F`` features are read as ``in_channels`` planes of
    ``F / in_channels`` pixels (the layout of ``RowScan``). Padded steps are set to zero before and after every
    block, whatever they held (infinities and NaN included), so a row's result does not depend on batch padding:
    the convolution's own zero padding and the (post-ReLU) pooling see the same zeros.

    Args:
        input_size: features per step ``F`` (derived; not configured in YAML).
        in_channels: colour planes per step (1 gray, 3 RGB).
        channels: output channels of each block.
        time_reduction: 1, 2, 4 … (at most ``2 ** len(channels)``): shortens sequences for faster recurrent layers;
            a CTC target then needs ``len + repeats <= ceil(T / time_reduction)``.
        layer_norm: normalise each output step's features (a per-step operation, so padding stays irrelevant);
            it shortens the blank-only plateau at the start of CTC training.
        dropout: dropout on the output features.
    """

    def __init__(
        self,
        input_size: int,
        in_channels: int = 1,
        channels: Sequence[int] = (32, 64),
        time_reduction: int = 1,
        layer_norm: bool = True,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if in_channels < 1 or input_size % in_channels:
            raise ValueError(f"input_size {input_size} must be a multiple of in_channels {in_channels}")
        if not channels or min(channels) < 1:
            raise ValueError(f"channels must be a non-empty list of positive sizes, got {list(channels)}")
        height = input_size // in_channels
        if height < 2 ** len(channels):
            raise ValueError(f"{len(channels)} blocks halve the height {len(channels)} times: {height} is too small")
        time_pools = time_reduction.bit_length() - 1
        if time_reduction < 1 or 2**time_pools != time_reduction or time_pools > len(channels):
            raise ValueError(f"time_reduction must be a power of two up to {2 ** len(channels)}, got {time_reduction}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must lie in [0, 1), got {dropout!r}")
        self.in_channels = in_channels
        self.height = height
        self.time_reduction = time_reduction
        self.convs = nn.ModuleList()
        self.pools = nn.ModuleList()
        previous = in_channels
        for block, width in enumerate(channels):
            self.convs.append(nn.Conv2d(previous, width, 3, padding=1))
            self.pools.append(nn.MaxPool2d((2, 2 if block < time_pools else 1), ceil_mode=True))
            previous, height = width, height // 2
        self.output_size = previous * height
        self.norm = nn.LayerNorm(self.output_size) if layer_norm else nn.Identity()
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """Convolve ``x (B, T, F)`` into ``(B, ceil(T / time_reduction), output_size)`` and its lengths."""
        batch, steps, _ = x.shape
        lengths = lengths.to(x.device)
        image = x.view(batch, steps, self.in_channels, self.height).permute(0, 2, 3, 1)  # (B, C, H, T)
        for block, (conv, pool) in enumerate(zip(self.convs, self.pools, strict=True)):
            padded = ~lengths_to_mask(lengths, image.size(-1)).view(batch, 1, 1, -1)  # (B, 1, 1, T)
            # masked_fill, not a product: inf * 0 and NaN * 0 are NaN, which the 3x3 kernel would carry into the
            # last valid columns
            image = conv(image.masked_fill(padded, 0.0)).relu().masked_fill(padded, 0.0)  # (B, C', H', T)
            image = pool(image)  # (B, C', H', T'): padding never reaches a valid max
            if 2**block < self.time_reduction:  # this block also halved time (rounding up)
                lengths = (lengths + 1) // 2
        steps = image.size(-1)
        out = self.norm(image.permute(0, 3, 1, 2).reshape(batch, steps, self.output_size))  # (B, T', C'*H')
        out = out.masked_fill(~lengths_to_mask(lengths, steps).unsqueeze(-1), 0.0)  # zero at padded steps
        return self.dropout(out), lengths
