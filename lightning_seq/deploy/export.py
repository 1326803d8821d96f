"""Export a trained task's inference graph to TorchScript (``.pt``) or ONNX (``.onnx``), batch and length dynamic.

    lightning-seq-export runs/sentiment_bilstm/checkpoints/best.ckpt model.onnx [--quantize int8]

What is exported, per task family (inputs -> outputs, all batch-first; the graphs hold fused LSTM/GRU/RNN ops; in
ONNX an LSTM or GRU takes the row lengths as its ``sequence_lens`` instead of the encoders' padding column, so that
int8 quantization keeps the LSTM weights; TorchScript keeps the encoders' own padding path):

* ``SequenceClassifier``: ``inputs (B, T)`` ids or ``(B, T, F)`` features (or ``(B, N)`` waveforms when features
  are computed in the model), ``lengths (B,)`` -> ``logits (B, C)``;
* ``CTCTranscriber``: ``inputs``, ``lengths`` -> ``log_probs (B, T', V)`` (decode with greedy or prefix beam);
* ``LanguageModel``: ``tokens (B, T)`` from a zero state -> ``log_probs (B, T, V)``, ``hidden (L, B, H)`` (and
  ``cell`` for an LSTM);
* ``Seq2SeqTask`` / ``SequenceGenerator``: two graphs, since the search loop (greedy, sampling, beam) stays
  outside: ``<name>.encoder`` maps ``inputs``, ``lengths`` to the decoder state (``hidden``, ``cell``, ``feed``,
  ``context``, ``memory_values``, ``memory_keys``, ``memory_mask``) and ``<name>.step`` maps ``tokens (B,)``
  plus that state to ``log_probs (B, V)`` and the next ``hidden``, ``cell``, ``feed``. Start with BOS (id 2),
  stop at EOS (id 3); ``lightning_seq.deploy.decode_with_graphs`` runs the tasks' own decoding strategies on
  them. ONNX drops the state inputs a model never reads (an empty ``context``, say): feed them by name.

Graphs carry the general (masked) path and accept batches with or without padding, whatever example they are
traced with: the encoders never take their no-padding shortcut while tracing (an example whose rows all have the
full length would otherwise bake a graph that ignores ``lengths``). ONNX uses the TorchScript-based exporter
(``dynamo=False``): ``torch.export`` refuses the encoders' data-dependent length checks.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from torch import Tensor, nn

from lightning_seq.deploy.quantize import fp32_recurrent_ops, quantize_int8
from lightning_seq.nn.attention import AttentionMemory
from lightning_seq.nn.decoder_parts import DecoderState
from lightning_seq.tasks import CTCTranscriber, LanguageModel, SequenceClassifier, SequenceGenerator
from lightning_seq.tasks.base import SequenceTask
from lightning_seq.tasks.encoder_decoder import EncoderDecoderTask
from lightning_seq.tasks.loading import load_task
from lightning_seq.types import BOS_ID

STATE_NAMES = ["hidden", "cell", "feed", "context", "memory_values", "memory_keys", "memory_mask"]


class EncoderGraph(nn.Module):
    """An encoder-decoder task's encoder: ``inputs``, ``lengths`` -> the decoder's initial state as tensors.

    Args:
        task: a trained ``EncoderDecoderTask``.
    """

    def __init__(self, task: EncoderDecoderTask) -> None:
        super().__init__()
        self.task = task

    def forward(self, inputs: Tensor, lengths: Tensor) -> tuple[Tensor, ...]:
        """``(hidden (B, L, H), cell, feed (B, H), context (B, C), memory values (B, S, D), keys, mask (B, S))``."""
        state = self.task.encode(inputs, lengths)
        return (*state[:4], *state.memory)


class StepGraph(nn.Module):
    """One decoder step of an encoder-decoder task: previous tokens and state -> next-token log-probabilities.

    Args:
        task: a trained ``EncoderDecoderTask``.
    """

    def __init__(self, task: EncoderDecoderTask) -> None:
        super().__init__()
        self.task = task

    def forward(self, tokens: Tensor, *state: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """``tokens (B,)`` and the seven ``STATE_NAMES`` tensors -> ``log_probs (B, V)``, new hidden, cell, feed."""
        memory = AttentionMemory(*state[4:])
        log_probs, new_state = self.task.decoder.step(tokens, DecoderState(*state[:4], memory))
        return log_probs, new_state.hidden, new_state.cell, new_state.feed


class InferenceGraph(nn.Module):
    """A task's inference computation as a plain module of tensors in, tensors out (what gets traced).

    Args:
        task: a trained task, in eval mode.
    """

    def __init__(self, task: SequenceTask) -> None:
        super().__init__()
        if not isinstance(task, SequenceClassifier | CTCTranscriber | LanguageModel):
            raise TypeError(f"no export for {type(task).__name__}")
        self.task = task

    def forward(self, *inputs: Tensor) -> tuple[Tensor, ...]:
        """The task's outputs for ``inputs`` (see the module docstring for each task)."""
        task = self.task
        if isinstance(task, LanguageModel):
            log_probs, state = task(inputs[0])
            return (log_probs, state.hidden) if state.cell is None else (log_probs, state.hidden, state.cell)
        return (task(inputs[0], inputs[1]),)


def example_inputs(task: SequenceTask, batch: int = 3, steps: int = 7) -> tuple[Tensor, ...]:
    """A padded example batch for ``task`` (lengths ``steps``, ``steps - 3``, then 1), on the task's device."""
    device = task.device
    lengths = torch.tensor([steps, max(1, steps - 3)] + [1] * (batch - 2), device=device)
    hparams = task.hparams
    if isinstance(task, LanguageModel):
        return (torch.randint(4, hparams["vocab_size"], (batch, steps), device=device),)
    if isinstance(task, SequenceGenerator):
        raise ValueError(f"give export() an example batch for {type(task).__name__}: its condition inputs vary")
    if task.features is not None:  # waveforms in, features computed in the model
        samples = task.features.frame_length + steps * task.features.hop_length
        waves = torch.tensor([samples, samples // 2] + [task.features.frame_length] * (batch - 2), device=device)
        return torch.randn(batch, samples, device=device), waves
    if hparams.get("feature_size"):  # features in (a CTC model's vocab_size counts its outputs)
        return torch.randn(batch, steps, hparams["feature_size"], device=device), lengths
    return torch.randint(4, hparams["vocab_size"], (batch, steps), device=device), lengths


def input_names(task: SequenceTask) -> list[str]:
    """Names of the exported graph's inputs."""
    return ["tokens"] if isinstance(task, LanguageModel) else ["inputs", "lengths"]


def output_names(task: SequenceTask, count: int) -> list[str]:
    """Names of the exported graph's ``count`` outputs."""
    if isinstance(task, LanguageModel):
        return ["log_probs", "hidden", "cell"][:count]
    return ["logits"] if isinstance(task, SequenceClassifier) else ["log_probs"]


def export(task: SequenceTask, path: str | Path, example: tuple[Tensor, ...] | None = None) -> list[Path]:
    """Write ``task``'s inference graph(s) next to ``path``: TorchScript for ``.pt``, ONNX for ``.onnx``.

    Args:
        task: the trained task (put in eval mode here).
        path: output file; the suffix picks the format. Encoder-decoder tasks write ``<stem>.encoder<suffix>``
            and ``<stem>.step<suffix>`` instead.
        example: an example batch to trace with (default: ``example_inputs(task)``; required for a
            ``SequenceGenerator``, whose condition inputs take many forms). Padded or not, the graph reads
            ``lengths``.

    Returns:
        The written paths.
    """
    path = Path(path)
    blocker = task.export_blocker()
    if blocker is not None:
        raise ValueError(f"no export for this {type(task).__name__}: {blocker}")
    if path.suffix not in (".pt", ".onnx"):
        raise ValueError(f"export path must end in .pt (TorchScript) or .onnx, got {str(path)!r}")
    task.eval()
    example = example if example is not None else example_inputs(task)
    if isinstance(task, EncoderDecoderTask):
        encoder, step = EncoderGraph(task).eval(), StepGraph(task).eval()
        with torch.no_grad():
            state = encoder(*example)
        tokens = torch.full((example[0].size(0),), BOS_ID, dtype=torch.long, device=task.device)
        state_axes = {name: {0: "batch"} for name in STATE_NAMES[:4]}
        state_axes |= {name: {0: "batch", 1: "source"} for name in STATE_NAMES[4:]}
        paths = [path.with_name(f"{path.stem}.encoder{path.suffix}"), path.with_name(f"{path.stem}.step{path.suffix}")]
        _write(task, encoder, example, paths[0], ["inputs", "lengths"], STATE_NAMES,
               {"inputs": _axes(example[0], "source"), "lengths": {0: "batch"}} | state_axes)
        step_out = ["log_probs", "next_hidden", "next_cell", "next_feed"]
        _write(task, step, (tokens, *state), paths[1], ["tokens", *STATE_NAMES], step_out,
               {"tokens": {0: "batch"}, **state_axes, **{name: {0: "batch"} for name in step_out}})
        return paths
    graph = InferenceGraph(task).eval()
    with torch.no_grad():
        names_in, names_out = input_names(task), output_names(task, len(graph(*example)))
    axes = {name: _axes(tensor, "time") for name, tensor in zip(names_in, example, strict=True)}
    for name in names_out:
        axes[name] = {1: "batch"} if name in ("hidden", "cell") else {0: "batch", 1: "time"}
    if "logits" in axes:
        axes["logits"] = {0: "batch"}
    _write(task, graph, example, path, names_in, names_out, axes)
    return [path]


def _axes(tensor: Tensor, second: str) -> dict[int, str]:
    return {0: "batch", 1: second} if tensor.dim() > 1 else {0: "batch"}


def _write(
    task: SequenceTask,
    graph: nn.Module,
    example: tuple[Tensor, ...],
    path: Path,
    names_in: list[str],
    names_out: list[str],
    axes: dict[str, dict[int, str]],
) -> None:
    # Lightning's private flag: lets tracing read module attributes (``.trainer``) without a Trainer; there is no
    # public switch (tests/test_lightning_private_apis.py fails by name if it goes)
    task._jit_is_scripting = True
    try:
        with torch.no_grad():
            if path.suffix == ".pt":
                torch.jit.trace(graph, example, check_trace=False).save(str(path))
            else:
                torch.onnx.export(graph, example, str(path), input_names=names_in, output_names=names_out,
                                  dynamic_axes=axes, dynamo=False, opset_version=17)
    finally:
        task._jit_is_scripting = False


def main(argv: list[str] | None = None) -> None:
    """``lightning-seq-export CHECKPOINT OUTPUT [--quantize int8]``: write the checkpoint's inference graph(s).

    With ``--quantize int8`` (ONNX only) each fp32 graph also gets an int8 twin, ``<stem>.int8.onnx``.
    """
    parser = argparse.ArgumentParser(description="Export a lightning_seq checkpoint to TorchScript or ONNX.")
    parser.add_argument("checkpoint", help="a .ckpt written by lightning-seq fit")
    parser.add_argument("output", help="model.pt (TorchScript) or model.onnx (ONNX)")
    parser.add_argument("--quantize", choices=["none", "int8"], default="none",
                        help="int8: also write <stem>.int8.onnx, dynamically quantized by ONNX Runtime (ONNX only)")
    args = parser.parse_args(argv)
    if args.quantize == "int8" and not args.output.endswith(".onnx"):
        parser.error("--quantize int8 needs an .onnx output (ONNX Runtime quantizes ONNX graphs)")
    paths = export(load_task(args.checkpoint), args.output)
    for path in paths:
        print(f"wrote {path}")
        if args.quantize == "int8":
            quantized = quantize_int8(path)
            left = fp32_recurrent_ops(quantized)
            kept = f" ({', '.join(left)} kept in fp32: no int8 kernel in ONNX Runtime)" if left else ""
            print(f"wrote {quantized}{kept}")


if __name__ == "__main__":
    main()
