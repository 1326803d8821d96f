"""Plain ``nn.Module`` building blocks (no Lightning): encoders, decoders, attention, pooling, embeddings, heads."""

from lightning_seq.nn.attention import AdditiveAttention, Attention, AttentionFactory, DotAttention, GeneralAttention
from lightning_seq.nn.audio_features import AudioFeatures
from lightning_seq.nn.conditions import (
    ConditionEncoder,
    ConditionFactory,
    LabelCondition,
    SequenceCondition,
    VectorCondition,
)
from lightning_seq.nn.decoder import DecoderFactory, GRUDecoder, LSTMDecoder, RecurrentDecoder, RNNDecoder
from lightning_seq.nn.embedding import TokenEmbedding, token_table
from lightning_seq.nn.encoder import EncoderFactory, SequenceEncoder
from lightning_seq.nn.frontend import ConvFrontEnd, FrontEndFactory, SequenceFrontEnd
from lightning_seq.nn.head import MLPHead
from lightning_seq.nn.masking import lengths_to_mask, reversal_index
from lightning_seq.nn.ngram_bag import NgramBag
from lightning_seq.nn.pooling import AttentionPooling, LastPooling, MaxPooling, MeanPooling, merge_directions
from lightning_seq.nn.recurrent import GRUEncoder, LSTMEncoder, RecurrentEncoder, RNNEncoder
from lightning_seq.nn.wide import WideFactory, WideNgrams

__all__ = [
    "AdditiveAttention",
    "Attention",
    "AttentionFactory",
    "DecoderFactory",
    "DotAttention",
    "GRUDecoder",
    "GeneralAttention",
    "LSTMDecoder",
    "RNNDecoder",
    "RecurrentDecoder",
    "AttentionPooling",
    "AudioFeatures",
    "ConditionEncoder",
    "ConditionFactory",
    "ConvFrontEnd",
    "LabelCondition",
    "SequenceCondition",
    "VectorCondition",
    "FrontEndFactory",
    "EncoderFactory",
    "GRUEncoder",
    "LSTMEncoder",
    "LastPooling",
    "MLPHead",
    "MaxPooling",
    "MeanPooling",
    "NgramBag",
    "RNNEncoder",
    "RecurrentEncoder",
    "SequenceEncoder",
    "SequenceFrontEnd",
    "TokenEmbedding",
    "WideFactory",
    "WideNgrams",
    "token_table",
    "lengths_to_mask",
    "merge_directions",
    "reversal_index",
]
