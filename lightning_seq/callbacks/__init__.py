"""Lightning callbacks."""

from lightning_seq.callbacks.learning_curves import LearningCurves, judge
from lightning_seq.callbacks.line_progress import LineProgress
from lightning_seq.callbacks.prediction_writer import PredictionWriter

__all__ = ["LearningCurves", "LineProgress", "PredictionWriter", "judge"]
