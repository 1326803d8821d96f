"""Streaming inference: trained classifiers and CTC transcribers run on live streams with carried state."""

from lightning_seq.deploy.streaming.classifier_streamer import ClassifierStreamer
from lightning_seq.deploy.streaming.ctc_streamer import CTCStreamer
from lightning_seq.deploy.streaming.encoder_stream import EncoderStreams
from lightning_seq.deploy.streaming.event_scores import EventScores, score_events
from lightning_seq.deploy.streaming.framing import FrameStream
from lightning_seq.deploy.streaming.keyword_events import KeywordDetector, KeywordEvent
from lightning_seq.deploy.streaming.spotting import spot_keywords, spot_stream

__all__ = [
    "CTCStreamer",
    "ClassifierStreamer",
    "EncoderStreams",
    "EventScores",
    "FrameStream",
    "KeywordDetector",
    "KeywordEvent",
    "score_events",
    "spot_keywords",
    "spot_stream",
]
