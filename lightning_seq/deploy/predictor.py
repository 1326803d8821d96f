"""A trained model one call away: ``Predictor.from_checkpoint(path).predict([...raw inputs...])``.

The checkpoint alone is enough: the task's weights and names (vocabulary, labels) and the preprocessing its data
module applied (``PREPROCESSING_KEY``: tokenizer settings and subword model, ...). Inputs are encoded, sorted by
length into batches (little padding), run through the task's own ``predict_step`` (the code ``lightning-seq
predict`` runs) and returned as typed results in input order.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import Tensor

from lightning_seq.data.batching.collate import collate_seq2seq, collate_sequences, collate_transcriptions
from lightning_seq.data.preprocessing.inputs import AUDIO_KIND, IMAGE_KIND, TEXT_KIND
from lightning_seq.deploy.audio_inputs import AudioInputs
from lightning_seq.deploy.image_inputs import ImageInputs
from lightning_seq.deploy.results import Prediction, classification_from_row, generated_from_row
from lightning_seq.deploy.text_inputs import TextInputs
from lightning_seq.tasks import CTCTranscriber, SequenceClassifier
from lightning_seq.tasks.base import SequenceTask
from lightning_seq.tasks.checkpoint_format import PREPROCESSING_KEY
from lightning_seq.tasks.encoder_decoder import EncoderDecoderTask
from lightning_seq.tasks.loading import load_task, read_checkpoint

PRECISIONS = ("32", "bf16", "16")


class InputEncoder(Protocol):
    """Raw inputs of one modality to model inputs; errors name the input's position."""

    kind: str

    def encode(self, value: Any, position: int, max_steps: int | None = None) -> Tensor:
        """One raw input to the model's input tensor, time first.

        ``max_steps`` bounds its time steps: a longer input raises ``InputTooLong`` (a ``ValueError``) before
        anything is allocated for it, from what it claims (a header's size, its token count).
        """
        ...

    def describe_input(self, value: Any) -> str:
        """How to show the input beside its prediction (a text itself, a file's path)."""
        ...


def check_servable(spec: dict[str, Any] | None, where: str) -> dict[str, Any]:
    """The checkpoint's preprocessing, or an error saying why it cannot turn raw inputs into model inputs.

    Read from the checkpoint's entries alone (no model loaded), so a server can refuse a checkpoint before it
    starts its workers.
    """
    if spec is None:
        raise ValueError(
            f"{where} holds no preprocessing (written by an earlier lightning_seq, or by a task fitted without a data "
            f"module): fit again, or predict through the training config (lightning-seq predict --config ...)"
        )
    if "unavailable" in spec:
        raise ValueError(f"{where} cannot encode raw inputs: {spec['unavailable']}")
    if spec.get("kind") not in (IMAGE_KIND, AUDIO_KIND, TEXT_KIND):
        raise ValueError(f"{where}: unknown input kind {spec.get('kind')!r}")
    return spec


def build_inputs(spec: dict[str, Any] | None, task: SequenceTask, where: str) -> InputEncoder:
    """The input encoder a checkpoint describes, or an error saying why the checkpoint cannot serve raw inputs."""
    spec = check_servable(spec, where)
    if spec["kind"] == IMAGE_KIND:
        return ImageInputs.from_spec(spec)
    if spec["kind"] == AUDIO_KIND:
        return AudioInputs.from_spec(spec)
    vocabulary = task.names("vocabulary")  # text: the one kind left
    if vocabulary is None:
        raise ValueError(f"{where} holds no vocabulary for its text inputs")
    return TextInputs.from_spec(spec, vocabulary)


class Predictor:
    """Raw inputs to answers with a trained task, in input order.

    Args:
        task: a trained task (its names set, e.g. loaded from a checkpoint).
        inputs: turns raw inputs into the task's input tensors (``TextInputs``, ...).
        device: where the model runs (``cpu``, ``cuda``, ``cuda:1``).
        batch_size: inputs per forward pass (sorted by length first, so a batch holds inputs of similar length).
        precision: ``32``, ``bf16`` (autocast; on a CPU without native bf16 the recurrent kernels stay fp32) or
            ``16`` (CUDA only).
        top_k: how many classes a ``Classification`` lists in ``top_k``.
    """

    def __init__(
        self,
        task: SequenceTask,
        inputs: InputEncoder,
        *,
        device: str | torch.device = "cpu",
        batch_size: int = 32,
        precision: str = "32",
        top_k: int = 3,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {list(PRECISIONS)}, got {precision!r}")
        if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
            raise ValueError(f"top_k must be an integer >= 1, got {top_k!r}")
        self.device = torch.device(device)
        if precision == "16" and self.device.type != "cuda":
            raise ValueError(f"precision '16' needs a CUDA device, got {self.device}")
        self.task = task.to(self.device).eval()
        self.inputs = inputs
        self.batch_size = batch_size
        self.precision = precision
        self.top_k = top_k

    @classmethod
    def from_checkpoint(
        cls,
        path: str | Path,
        *,
        device: str | torch.device = "cpu",
        batch_size: int = 32,
        precision: str = "32",
        top_k: int = 3,
    ) -> Predictor:
        """The predictor of a checkpoint alone (no YAML, no training files); arguments as the class's."""
        spec = read_checkpoint(path).get(PREPROCESSING_KEY)
        task = load_task(path, device)
        inputs = build_inputs(spec, task, str(path))
        return cls(task, inputs, device=device, batch_size=batch_size, precision=precision, top_k=top_k)

    @property
    def input_kind(self) -> str:
        """The modality this predictor reads (``text``, ``image``, ``audio``)."""
        return self.inputs.kind

    def encode(self, inputs: Sequence[Any]) -> list[Tensor]:
        """Every input encoded; the first bad one raises an error naming its position (0-based)."""
        if isinstance(inputs, str | bytes) or not isinstance(inputs, Sequence):
            raise TypeError(f"inputs must be a list of inputs, got {type(inputs).__name__}")
        return [self.inputs.encode(value, position) for position, value in enumerate(inputs)]

    def batches(self, encoded: Sequence[Tensor]) -> Iterator[list[int]]:
        """Positions of ``encoded`` in batches of similar length (longest first)."""
        order = sorted(range(len(encoded)), key=lambda i: (-len(encoded[i]), i))
        for start in range(0, len(order), self.batch_size):
            yield order[start : start + self.batch_size]

    def collate(self, encoded: Sequence[Tensor], positions: Sequence[int]) -> Any:
        """The batch type the task's ``predict_step`` takes, for the inputs at ``positions``."""
        empty = torch.zeros(0, dtype=torch.long)
        if isinstance(self.task, CTCTranscriber):
            return collate_transcriptions([(encoded[i], empty, i) for i in positions])
        if isinstance(self.task, EncoderDecoderTask):
            return collate_seq2seq([(encoded[i], empty, i) for i in positions])
        return collate_sequences([(encoded[i], -1, i) for i in positions])

    def autocast(self) -> contextlib.AbstractContextManager:
        """Mixed precision for the forward passes, when asked."""
        if self.precision == "32":
            return contextlib.nullcontext()
        dtype = torch.bfloat16 if self.precision == "bf16" else torch.float16
        return torch.autocast(self.device.type, dtype=dtype)

    def rows(self, encoded: Sequence[Tensor]) -> list[dict[str, Any]]:
        """The rows ``lightning-seq predict`` writes (``index`` = position) for encoded inputs, in their order."""
        rows: dict[int, dict[str, Any]] = {}
        with torch.inference_mode(), self.autocast():
            for step, positions in enumerate(self.batches(encoded)):
                batch = self.collate(encoded, positions)
                batch = self.task.transfer_batch_to_device(batch, self.device, 0)
                for row in self.task.predict_step(batch, step).to_rows():
                    rows[int(row["index"])] = row
        return [rows[i] for i in range(len(encoded))]

    def answers(self, rows: Sequence[dict[str, Any]], shown: Sequence[str]) -> list[Prediction]:
        """``rows`` as typed answers; ``shown`` is how each input is named in its answer."""
        if isinstance(self.task, SequenceClassifier):
            return [classification_from_row(row, s, self.top_k) for row, s in zip(rows, shown, strict=True)]
        return [generated_from_row(row, s) for row, s in zip(rows, shown, strict=True)]

    def predict(self, inputs: Sequence[Any]) -> list[Prediction]:
        """Answers for ``inputs`` (a list of raw inputs of the task's modality), in input order.

        A classifier answers ``Classification``; seq2seq, CTC and language models answer ``GeneratedText``.
        """
        rows = self.rows(self.encode(inputs))
        return self.answers(rows, [self.inputs.describe_input(value) for value in inputs])

    def __call__(self, inputs: Sequence[Any]) -> list[Prediction]:
        """Same as ``predict``."""
        return self.predict(inputs)
