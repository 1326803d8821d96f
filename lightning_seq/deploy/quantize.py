"""int8 ONNX graphs for CPUs: dynamic quantization of an exported graph's weights with ONNX Runtime.

Weights of matrix products and LSTMs are stored as int8 and activations are quantized on the fly per batch
(``MatMulInteger``, ``DynamicQuantizeLSTM``), so no calibration data is needed. ONNX Runtime's tooling is used
rather than ``torch.ao.quantization``, which PyTorch is retiring in favour of torchao, and whose eager-mode dynamic
quantization produces modules that do not export to ONNX. ONNX Runtime has no quantized GRU or vanilla RNN kernel:
those ops stay fp32 (their input and output projections around them are still quantized), so a GRU model gains
little; ``fp32_recurrent_ops`` says which remain.

Weights are quantized to 7 bits (``reduce_range``): on x86 CPUs without VNNI (AVX2-only, common AMD EPYC servers)
ONNX Runtime's uint8 × int8 kernel sums pairs of products in 16 bits and saturates with full-range weights; the
graph may run on any CPU, so it is quantized for the ones without VNNI (on an AVX2-only EPYC the full-range graph
missed the fp32 outputs by up to 0.21; the 7-bit one keeps within 0.05).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

UNQUANTIZED_RECURRENT_OPS = ("GRU", "RNN")
"""ONNX recurrent ops ONNX Runtime's dynamic quantization leaves in fp32."""


def quantize_int8(path: str | Path) -> Path:
    """Write ``<stem>.int8.onnx`` beside an exported fp32 ONNX graph: int8 weights, dynamically quantized activations.

    Args:
        path: an ``.onnx`` file written by ``lightning_seq.deploy.export.export``.

    Returns:
        The path of the quantized graph (``fp32_recurrent_ops`` of it names the GRU / RNN ops left in fp32;
        ``lightning-seq-export`` prints them).
    """
    path = Path(path)
    if path.suffix != ".onnx" or not path.is_file():
        raise ValueError(f"int8 quantization takes an exported .onnx graph, got {str(path)!r}")
    try:
        quantization = importlib.import_module("onnxruntime.quantization")
    except ImportError as err:
        raise ImportError("int8 export needs onnxruntime: pip install 'lightning-seq[export]'") from err
    out = path.with_name(f"{path.stem}.int8.onnx")
    quantization.quantize_dynamic(str(path), str(out), weight_type=quantization.QuantType.QInt8,
                                  nodes_to_exclude=feature_nodes(path), reduce_range=True)
    return out


def feature_nodes(path: str | Path) -> list[str]:
    """The nodes of an exported graph that compute its audio features, which stay fp32.

    The DFT and mel weights are the front end every later layer depends on: quantizing them distorts the spectrum.
    Graphs exported by lightning_seq 0.2 name the module ``featurizer``.
    """
    return [node.name for node in _nodes(path) if node.name.startswith(("/task/features/", "/task/featurizer/"))]


def fp32_recurrent_ops(path: str | Path) -> list[str]:
    """The recurrent ops of an ONNX graph that ONNX Runtime does not quantize (``GRU``, ``RNN``), sorted."""
    return sorted({node.op_type for node in _nodes(path) if node.op_type in UNQUANTIZED_RECURRENT_OPS})


def _nodes(path: str | Path) -> list[Any]:
    """The nodes of an ONNX graph (its structure only: weights stored outside the file are not read)."""
    onnx = importlib.import_module("onnx")
    return list(onnx.load(str(path), load_external_data=False).graph.node)
