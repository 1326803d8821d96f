"""CTC transcription (N -> M, monotonic): front-end -> recurrent encoder -> per-step scores over blank + charset."""

from __future__ import annotations

from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchmetrics import MeanMetric, MetricCollection
from torchmetrics.text import CharErrorRate, WordErrorRate

from lightning_seq.nn.encoder import EncoderFactory
from lightning_seq.nn.frontend import FrontEndFactory
from lightning_seq.nn.recurrent import LSTMEncoder
from lightning_seq.plots import publish_picture, render_contact_sheet
from lightning_seq.tasks.base import SequenceTask
from lightning_seq.tasks.ctc_strategies import CTCDecoding, CTCGreedy
from lightning_seq.tasks.loss_logging import MeanLoss
from lightning_seq.types import PAD_ID, SPECIALS, ChecksCTCLengths, HoldsImages, TranscriptionBatch

BLANK = PAD_ID  # the CTC blank shares id 0 with <pad>: it is never a target


class TranscriptionPrediction(NamedTuple):
    """What ``predict_step`` returns for one batch: decoded texts and their log-probabilities."""

    indices: Tensor
    texts: list[str]
    scores: Tensor

    def to_rows(self) -> list[dict[str, Any]]:
        """One plain-data row per input: index, text and score."""
        return [
            {"index": int(i), "text": text, "score": float(score)}
            for i, text, score in zip(self.indices.tolist(), self.texts, self.scores.tolist(), strict=True)
        ]


class CTCTranscriber(SequenceTask):
    """Transcribe sequences (text-line images, speech frames) with CTC.

    Args:
        feature_size: features per input step (linked from the data).
        vocab_size: number of output labels: ``<pad>``/blank, the other specials, then the charset (linked from
            the data). The labels themselves come from the data or the checkpoint.
        frontend: optional factory ``input_size -> SequenceFrontEnd`` (e.g. ``lightning_seq.nn.ConvFrontEnd``).
        encoder: factory ``input_size -> SequenceEncoder`` (default ``LSTMEncoder``).
        input_dropout: dropout on the encoder's input features.
        decoding: strategy for validation, test and predict: ``lightning_seq.tasks.CTCGreedy`` (best path; None:
            the default) or ``CTCBeamSearch`` (prefix beam search, ``beam_size``).
        contact_sheet_size: test images shown in ``contact_sheet.png`` (0 for none).
        **kwargs: the optimizer, its schedule and in-model audio features (``SequenceTask``'s arguments).
    """

    oldest_readable_format = 2  # 0.2.0: decoding (and decoders) became classes

    def __init__(
        self,
        feature_size: int | None = None,
        vocab_size: int | None = None,
        frontend: FrontEndFactory | None = None,
        encoder: EncoderFactory = LSTMEncoder,
        input_dropout: float = 0.0,
        decoding: CTCDecoding | None = None,
        contact_sheet_size: int = 16,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)  # optimizer, schedule and in-model features: SequenceTask's arguments
        self.save_hyperparameters()
        if feature_size is None or feature_size < 1:
            raise ValueError(f"feature_size must be >= 1 (link it from the data), got {feature_size!r}")
        if vocab_size is None or vocab_size <= len(SPECIALS):
            raise ValueError(
                f"vocab_size must be > {len(SPECIALS)} (the specials and a charset; link it from the data), "
                f"got {vocab_size!r}"
            )
        if decoding is not None and not isinstance(decoding, CTCDecoding):
            raise TypeError(
                f"decoding must be a CTCDecoding (lightning_seq.tasks.CTCGreedy or CTCBeamSearch), got {decoding!r}"
            )
        if contact_sheet_size < 0:
            raise ValueError(f"contact_sheet_size must be >= 0, got {contact_sheet_size!r}")
        if not 0.0 <= input_dropout < 1.0:
            raise ValueError(f"input_dropout must lie in [0, 1), got {input_dropout!r}")
        self.vocab_size = vocab_size
        self.frontend, encoder_input = self.build_frontend(frontend, feature_size)
        self.input_dropout = nn.Dropout(input_dropout)
        self.encoder = self.build_encoder(encoder, encoder_input)
        self.classifier = nn.Linear(self.encoder.output_size, vocab_size)
        self.decoding = decoding if decoding is not None else CTCGreedy()
        self.contact_sheet_size = contact_sheet_size
        metrics = MetricCollection({"cer": CharErrorRate(), "wer": WordErrorRate(), "seq_acc": MeanMetric()})
        self.val_metrics = metrics.clone(prefix="val/")
        self.test_metrics = metrics.clone(prefix="test/")
        self._sheet: list[tuple[int, str, str]] = []

    def forward(self, inputs: Tensor, lengths: Tensor) -> Tensor:
        """Per-step log-probabilities over blank + vocabulary.

        Args:
            inputs: ``(B, T, F)`` float features, right-padded.
            lengths: ``(B,)`` int64 valid steps.

        Returns:
            ``(B, T', V)`` float32 log-probabilities (computed in fp32 also under autocast), where
            ``T' = ceil(T / time_reduction)``; see ``output_lengths``.
        """
        x, lengths = self.features_of(inputs, lengths)  # waveforms (B, N) -> (B, T, F) with input_features
        if self.frontend is not None:
            x, lengths = self.frontend(x, lengths)  # (B, T', F'), T' = ceil(T / time_reduction)
        outputs, _ = self.encoder(self.input_dropout(x), lengths)  # (B, T', D*H)
        logits = self.classifier(outputs)  # (B, T', V)
        with torch.autocast(device_type=logits.device.type, enabled=False):
            return F.log_softmax(logits.float(), dim=-1)

    @property
    def time_reduction(self) -> int:
        """Input steps per output step (from the front-end; 1 without one)."""
        return self.frontend.time_reduction if self.frontend is not None else 1

    def output_lengths(self, lengths: Tensor) -> Tensor:
        """Valid output steps of ``forward`` for valid input ``lengths (B,)``.

        The input lengths count samples when ``input_features`` computes features in the model, else steps.
        """
        if self.features is not None:
            lengths = self.features.num_frames(lengths)
        return (lengths + self.time_reduction - 1) // self.time_reduction

    def _loss(self, log_probs: Tensor, batch: TranscriptionBatch) -> MeanLoss:
        """CTC loss: each sequence's loss divided by its target length, then a mean over the sequences (rows)."""
        lengths = self.output_lengths(batch.lengths)
        with torch.autocast(device_type=log_probs.device.type, enabled=False):
            loss = F.ctc_loss(log_probs.transpose(0, 1), batch.targets, lengths, batch.target_lengths,
                              blank=BLANK, reduction="mean", zero_infinity=True)
        return MeanLoss(loss, torch.tensor(float(batch.lengths.numel()), device=loss.device))

    def setup(self, stage: str) -> None:
        """Take the data's charset; check that every target fits its input under this model's time reduction."""
        super().setup(stage)
        if isinstance(self.datamodule, ChecksCTCLengths):
            self.datamodule.check_ctc_lengths(self.time_reduction)

    def decode(self, log_probs: Tensor, lengths: Tensor) -> tuple[list[str], Tensor]:
        """Texts and log-probabilities of the configured ``decoding`` for ``log_probs (B, T, V)``."""
        ids, scores = self.decoding.decode(log_probs, lengths, BLANK)
        return [self.text(row) for row in ids], scores

    def text(self, ids: list[int]) -> str:
        """Label ids to text, specials dropped."""
        return "".join(self.ids_to_tokens("vocabulary", ids, keep_unknown=False))

    def training_step(self, batch: TranscriptionBatch, batch_idx: int) -> Tensor:
        """CTC loss on one batch (``train/loss_step``, ``train/loss_epoch``)."""
        loss, count = self._loss(self(batch.inputs, batch.lengths), batch)
        self.log_train_loss(loss, count)
        return self.global_mean(loss, count)

    def references(self, batch: TranscriptionBatch) -> list[str]:
        """The texts to score against, one per row.

        As the data wrote them when it gives them (characters outside the charset included); else from the target
        ids, each ``<unk>`` as U+FFFD (``UNKNOWN_REFERENCE``), which no prediction holds.
        """
        if batch.references is not None:
            return ["".join(tokens) for tokens in batch.references]
        rows = zip(batch.targets.tolist(), batch.target_lengths.tolist(), strict=True)
        return ["".join(self.reference_tokens("vocabulary", row[:n])) for row, n in rows]

    def _evaluate(
        self, batch: TranscriptionBatch, stage: str, metrics: MetricCollection
    ) -> tuple[list[str], list[str]]:
        log_probs = self(batch.inputs, batch.lengths)
        loss, count = self._loss(log_probs, batch)
        self.log_eval_loss(stage, loss, count, prog_bar=stage == "val")
        predictions, _ = self.decode(log_probs, self.output_lengths(batch.lengths))
        truths = self.references(batch)
        metrics[f"{stage}/cer"].update(predictions, truths)
        metrics[f"{stage}/wer"].update(predictions, truths)
        exact = torch.tensor([p == t for p, t in zip(predictions, truths, strict=True)], dtype=torch.float)
        metrics[f"{stage}/seq_acc"].update(exact)
        self.log_dict(metrics, on_epoch=True, batch_size=batch.lengths.numel(), prog_bar=stage == "val")
        return predictions, truths

    def validation_step(self, batch: TranscriptionBatch, batch_idx: int) -> None:
        """Loss, CER, WER and whole-sequence accuracy of decoded texts, per epoch and synced across ranks."""
        self._evaluate(batch, "val", self.val_metrics)

    def test_step(self, batch: TranscriptionBatch, batch_idx: int) -> None:
        """As validation; also keeps the first examples for the contact sheet."""
        predictions, truths = self._evaluate(batch, "test", self.test_metrics)
        room = self.contact_sheet_size - len(self._sheet)
        if room > 0:
            self._sheet += list(zip(batch.indices.tolist(), truths, predictions, strict=True))[:room]

    def on_test_epoch_end(self) -> None:
        """Write ``contact_sheet.png`` (images with true and predicted text) next to the logs and to TensorBoard."""
        rows, self._sheet = self._sheet, []
        log_dir = self.trainer.log_dir  # a collective under DDP: every rank must ask
        datamodule = self.datamodule
        if not rows or not self.trainer.is_global_zero or datamodule is None:
            return
        dataset = datamodule.dataset("test")
        dataset = getattr(dataset, "dataset", dataset)  # the images inside a wrapper that adds reference texts
        if not isinstance(dataset, HoldsImages):
            return
        images = [dataset.image(index) for index, _, _ in rows]
        sheet = render_contact_sheet(images, [t for _, t, _ in rows], [p for _, _, p in rows])
        publish_picture(self.trainer, log_dir, sheet, "contact_sheet.png")

    def predict_step(
        self, batch: TranscriptionBatch, batch_idx: int, dataloader_idx: int = 0
    ) -> TranscriptionPrediction:
        """Decoded text and its log-probability for every input."""
        texts, scores = self.decode(self(batch.inputs, batch.lengths), self.output_lengths(batch.lengths))
        return TranscriptionPrediction(batch.indices, texts, scores.float().cpu())

    def name_sizes(self) -> dict[str, int]:
        """The output labels (``vocab_size``): specials, then the charset."""
        return {"vocabulary": self.vocab_size}

    def check_names(self, key: str, values: list[str]) -> None:
        """The labels must start with the specials (``<pad>`` is the CTC blank)."""
        if tuple(values[: len(SPECIALS)]) != SPECIALS:
            raise ValueError(f"the {key} must be the specials {list(SPECIALS)} followed by the charset")
