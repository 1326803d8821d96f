"""LightningModules of the three task families."""

from lightning_seq.tasks.base import SequenceTask
from lightning_seq.tasks.classification import ClassificationPrediction, SequenceClassifier
from lightning_seq.tasks.ctc import CTCTranscriber, TranscriptionPrediction

__all__ = [
    "CTCTranscriber",
    "ClassificationPrediction",
    "SequenceClassifier",
    "SequenceTask",
    "TranscriptionPrediction",
]
