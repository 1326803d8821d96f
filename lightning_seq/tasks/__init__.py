"""LightningModules of the three task families."""

from lightning_seq.tasks.base import SequenceTask
from lightning_seq.tasks.classification import ClassificationPrediction, SequenceClassifier

__all__ = ["ClassificationPrediction", "SequenceClassifier", "SequenceTask"]
