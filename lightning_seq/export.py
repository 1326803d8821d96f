"""Export a trained task's inference graph to TorchScript (``.pt``) or ONNX (``.onnx``), batch and length dynamic.

    lightning-seq-export runs/sentiment_bilstm/checkpoints/best.ckpt model.onnx

What is exported, per task family (inputs -> outputs, all batch-first; the encoders' padding-exact path needs no
PackedSequence, so the graph holds fused LSTM/GRU/RNN ops):

* ``SequenceClassifier``: ``inputs (B, T)`` ids or ``(B, T, F)`` features (or ``(B, N)`` waveforms when features
  are computed in the model), ``lengths (B,)`` -> ``logits (B, C)``;
* ``CTCTranscriber``: ``inputs``, ``lengths`` -> ``log_probs (B, T', V)`` (decode with greedy or prefix beam);
* ``LanguageModel``: ``tokens (B, T)`` from a zero state -> ``log_probs (B, T, V)``, ``hidden (L, B, H)`` (and
  ``cell`` for an LSTM);

Not yet: ``Seq2SeqTask`` / ``SequenceGenerator``. Their decoder steps a cell in a Python loop (teacher forcing,
greedy, beam), which tracing unrolls to the example's length; exporting needs the encoder and one decoder step as
two graphs with the search loop outside, which is not built yet.

Graphs are traced with a padded example batch, so they carry the general (masked) path and accept batches with
or without padding. ONNX uses the TorchScript-based exporter (``dynamo=False``): ``torch.export`` refuses the
encoders' data-dependent length checks.
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

import torch
from torch import Tensor, nn

from lightning_seq.tasks import CTCTranscriber, LanguageModel, SequenceClassifier
from lightning_seq.tasks.base import TASK_KEY, SequenceTask
from lightning_seq.tasks.encoder_decoder import EncoderDecoderTask


class InferenceGraph(nn.Module):
    """A task's inference computation as a plain module of tensors in, tensors out (what gets traced).

    Args:
        task: a trained task, in eval mode.
    """

    def __init__(self, task: SequenceTask) -> None:
        super().__init__()
        if isinstance(task, EncoderDecoderTask):
            raise TypeError(
                f"no export for {type(task).__name__} yet: its decoder loops over steps in Python, which tracing "
                "would unroll to a fixed length"
            )
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
    if task.featurizer is not None:  # waveforms in, features computed in the model
        samples = task.featurizer.frame_length + steps * task.featurizer.hop_length
        waves = torch.tensor([samples, samples // 2] + [task.featurizer.frame_length] * (batch - 2), device=device)
        return torch.randn(batch, samples, device=device), waves
    if hparams.get("vocab_size"):
        return torch.randint(4, hparams["vocab_size"], (batch, steps), device=device), lengths
    return torch.randn(batch, steps, hparams["feature_size"], device=device), lengths


def input_names(task: SequenceTask) -> list[str]:
    """Names of the exported graph's inputs."""
    return ["tokens"] if isinstance(task, LanguageModel) else ["inputs", "lengths"]


def output_names(task: SequenceTask, count: int) -> list[str]:
    """Names of the exported graph's ``count`` outputs."""
    if isinstance(task, LanguageModel):
        return ["log_probs", "hidden", "cell"][:count]
    return ["logits"] if isinstance(task, SequenceClassifier) else ["log_probs"]


def export(task: SequenceTask, path: str | Path, example: tuple[Tensor, ...] | None = None) -> Path:
    """Write ``task``'s inference graph to ``path``: TorchScript for ``.pt``, ONNX for ``.onnx``.

    Args:
        task: the trained task (put in eval mode here).
        path: output file; the suffix picks the format.
        example: a padded example batch to trace with (default: ``example_inputs(task)``).

    Returns:
        The written path.
    """
    path = Path(path)
    if path.suffix not in (".pt", ".onnx"):
        raise ValueError(f"export path must end in .pt (TorchScript) or .onnx, got {str(path)!r}")
    task.eval()
    example = example if example is not None else example_inputs(task)
    graph = InferenceGraph(task).eval()
    task._jit_is_scripting = True  # Lightning's flag: lets tracing read module attributes without a Trainer
    try:
        with torch.no_grad():
            if path.suffix == ".pt":
                torch.jit.trace(graph, example, check_trace=False).save(str(path))
            else:
                names_in, names_out = input_names(task), output_names(task, len(graph(*example)))
                dynamic: dict[str, dict[int, str]] = {}
                for name, tensor in zip(names_in, example, strict=True):
                    dynamic[name] = {0: "batch", 1: "time"} if tensor.dim() > 1 else {0: "batch"}
                for name in names_out:
                    dynamic[name] = {1: "batch"} if name in ("hidden", "cell") else {0: "batch", 1: "time"}
                if "logits" in dynamic:
                    dynamic["logits"] = {0: "batch"}
                torch.onnx.export(graph, example, str(path), input_names=names_in, output_names=names_out,
                                  dynamic_axes=dynamic, dynamo=False, opset_version=17)
    finally:
        task._jit_is_scripting = False
    return path


def load_task(checkpoint: str | Path) -> SequenceTask:
    """The task a checkpoint was written by, loaded from it (weights-only: plain data)."""
    written_by = torch.load(checkpoint, weights_only=True, map_location="cpu").get(TASK_KEY)
    if written_by is None:
        raise ValueError(f"{checkpoint}: not a lightning_seq checkpoint (no {TASK_KEY!r} entry)")
    module_name, _, name = written_by.rpartition(".")
    task_cls = getattr(importlib.import_module(module_name), name)
    return task_cls.load_from_checkpoint(checkpoint, map_location="cpu")


def main(argv: list[str] | None = None) -> None:
    """``lightning-seq-export CHECKPOINT OUTPUT``: write the checkpoint's inference graph (.pt or .onnx)."""
    parser = argparse.ArgumentParser(description="Export a lightning_seq checkpoint to TorchScript or ONNX.")
    parser.add_argument("checkpoint", help="a .ckpt written by lightning-seq fit")
    parser.add_argument("output", help="model.pt (TorchScript) or model.onnx (ONNX)")
    args = parser.parse_args(argv)
    path = export(load_task(args.checkpoint), args.output)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
