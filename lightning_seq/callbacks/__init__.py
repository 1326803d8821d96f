"""Lightning callbacks."""

from lightning_seq.callbacks.prediction_writer import PredictionWriter

__all__ = ["PredictionWriter"]
