"""Trained models for use outside training: a predictor on raw inputs (and, built on it, the HTTP server)."""

from lightning_seq.deploy.audio_inputs import AudioInputs
from lightning_seq.deploy.graph_decoding import GraphDecoder, decode_with_graphs
from lightning_seq.deploy.image_inputs import ImageInputs
from lightning_seq.deploy.limits import InputTooLong
from lightning_seq.deploy.predictor import PREPROCESSING_KEY, Predictor
from lightning_seq.deploy.results import Classification, GeneratedText, Hypothesis, Prediction
from lightning_seq.deploy.text_inputs import TextInputs

__all__ = [
    "PREPROCESSING_KEY",
    "AudioInputs",
    "Classification",
    "GeneratedText",
    "GraphDecoder",
    "Hypothesis",
    "ImageInputs",
    "InputTooLong",
    "Prediction",
    "Predictor",
    "TextInputs",
    "decode_with_graphs",
]
