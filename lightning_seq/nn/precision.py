"""Which precision the fused recurrent kernels run in under CPU bf16 autocast, decided once by capability.

oneDNN's bf16 LSTM needs native bf16 instructions (AVX512-BF16, AMX, or AVX-512 with its bf16 emulation): on
AVX2-only CPUs, common AMD EPYC servers among them, a bf16 LSTM under autocast fails with "could not create a
primitive descriptor". There the recurrent kernels run in fp32 (one log line says so) while everything else stays
under autocast. Where bf16 runs natively, every kernel (LSTM, GRU and Elman RNN alike) runs in bf16; CPU autocast
itself casts only the LSTM, so the encoders cast the others explicitly. On other devices autocast decides.
"""

from __future__ import annotations

import functools
import logging

import torch
from torch import Tensor

log = logging.getLogger(__name__)


@functools.cache
def cpu_has_native_bf16() -> bool:
    """Whether oneDNN runs bf16 kernels natively on this CPU (asked once per process).

    oneDNN's own answer, so it also honours ``ONEDNN_MAX_CPU_ISA`` (``ONEDNN_MAX_CPU_ISA=AVX2`` makes a bf16 machine
    behave like an AVX2-only one, which is how the tests check the fallback).
    """
    return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())


@functools.cache
def _log_fallback() -> None:
    log.warning(
        "this CPU has no native bf16 support (oneDNN): under bf16 autocast the recurrent kernels run in fp32; "
        "everything else stays in bf16"
    )


def recurrent_kernel_dtype(x: Tensor) -> torch.dtype | None:
    """The dtype a fused recurrent kernel over ``x`` runs in, or None to leave it to autocast (or to no autocast).

    Under CPU bf16 autocast: ``torch.bfloat16`` where the CPU has native bf16, else ``torch.float32`` (logged once).
    """
    if x.device.type != "cpu" or not torch.is_autocast_enabled("cpu"):
        return None
    if torch.get_autocast_dtype("cpu") != torch.bfloat16:
        return None
    if cpu_has_native_bf16():
        return torch.bfloat16
    _log_fallback()
    return torch.float32
