"""LightningModules of the three task families."""

from lightning_seq.tasks.base import SequenceTask
from lightning_seq.tasks.classification import ClassificationPrediction, SequenceClassifier
from lightning_seq.tasks.ctc import CTCTranscriber, TranscriptionPrediction
from lightning_seq.tasks.ctc_strategies import CTCBeamSearch, CTCDecoding, CTCGreedy
from lightning_seq.tasks.encoder_decoder import EncoderDecoderTask, GeneratedSequences
from lightning_seq.tasks.forecast_losses import ForecastLoss, GaussianLikelihood, PointLoss, QuantileLoss
from lightning_seq.tasks.forecaster import Forecast, Forecaster
from lightning_seq.tasks.generator import SequenceGenerator
from lightning_seq.tasks.language_model import LanguageModel
from lightning_seq.tasks.loading import load_task
from lightning_seq.tasks.seq2seq import Seq2SeqTask
from lightning_seq.tasks.strategies import BeamSearch, DecodingStrategy, Greedy, Sampling

__all__ = [
    "BeamSearch",
    "CTCBeamSearch",
    "CTCDecoding",
    "CTCGreedy",
    "DecodingStrategy",
    "Greedy",
    "Sampling",
    "CTCTranscriber",
    "EncoderDecoderTask",
    "Forecast",
    "ForecastLoss",
    "Forecaster",
    "GaussianLikelihood",
    "PointLoss",
    "QuantileLoss",
    "GeneratedSequences",
    "LanguageModel",
    "ClassificationPrediction",
    "Seq2SeqTask",
    "SequenceClassifier",
    "SequenceGenerator",
    "SequenceTask",
    "load_task",
    "TranscriptionPrediction",
]
