"""Masks and index maps for right-padded batches: the one place where padding is interpreted."""

from __future__ import annotations

import torch
from torch import Tensor


def lengths_to_mask(lengths: Tensor, max_length: int) -> Tensor:
    """Boolean mask of valid steps.

    Args:
        lengths: ``(B,)`` int64 valid lengths.
        max_length: ``T``, the padded length.

    Returns:
        ``(B, T)`` bool, True at valid steps.
    """
    steps = torch.arange(max_length, device=lengths.device)  # (T,)
    return steps.unsqueeze(0) < lengths.unsqueeze(1)  # (B, T)


def reversal_index(lengths: Tensor, max_length: int) -> Tensor:
    """Time index that reverses each row within its own length and leaves padding in place.

    Applying it twice gives back the original order, so the same index also undoes the reversal.

    Args:
        lengths: ``(B,)`` int64 valid lengths.
        max_length: ``T``, the padded length.

    Returns:
        ``(B, T)`` int64: ``length - 1 - t`` for valid steps ``t``, ``t`` for padded ones.
    """
    steps = torch.arange(max_length, device=lengths.device).unsqueeze(0)  # (1, T)
    flipped = lengths.unsqueeze(1) - 1 - steps  # (B, T)
    return torch.where(flipped >= 0, flipped, steps)  # (B, T)


def gather_time(values: Tensor, index: Tensor) -> Tensor:
    """Reorder the time axis of every row by its own index.

    Args:
        values: ``(B, T, F)``.
        index: ``(B, T)`` int64 source step for each output step.

    Returns:
        ``(B, T, F)`` with ``out[b, t] = values[b, index[b, t]]``.
    """
    # Whole feature rows are copied by one index_select over (B*T, F): about 5x faster than an element-wise
    # gather on CPU, forward and backward (index_add instead of scatter_add).
    batch, steps, size = values.shape
    rows = (index + torch.arange(batch, device=index.device).unsqueeze(1) * steps).reshape(-1)  # (B*T,)
    return values.reshape(batch * steps, size).index_select(0, rows).view(batch, index.size(1), size)


def gather_step(values: Tensor, steps: Tensor) -> Tensor:
    """Pick one time step per row.

    Args:
        values: ``(B, T, F)``.
        steps: ``(B,)`` int64 step to pick in each row.

    Returns:
        ``(B, F)``.
    """
    # Advanced indexing reads only the B rows, whatever the strides (a fused kernel's batch-first output can be
    # a time-major view, which a reshape would copy whole); its backward writes only those rows too.
    return values[torch.arange(values.size(0), device=steps.device), steps]  # (B, F)


def check_lengths(lengths: Tensor, max_length: int) -> None:
    """Fail loudly on lengths outside ``[1, T]`` instead of reading padding or wrapping indices.

    On an accelerator the check is queued asynchronously and does not synchronise the device.

    Args:
        lengths: ``(B,)`` int64 valid lengths.
        max_length: ``T``, the padded length.
    """
    if lengths.dim() != 1:
        raise ValueError(f"lengths must be 1-D (B,), got shape {tuple(lengths.shape)}")
    ok = ((lengths >= 1) & (lengths <= max_length)).all()
    if lengths.device.type == "cpu":
        if not bool(ok):
            bad = lengths[(lengths < 1) | (lengths > max_length)].tolist()
            raise ValueError(f"every length must lie in [1, {max_length}] (the padded length); got {bad}")
    else:
        torch._assert_async(ok, f"every length must lie in [1, {max_length}] (the padded length)")
