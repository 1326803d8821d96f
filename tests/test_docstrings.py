"""Every class the CLI builds documents every constructor argument (``--help`` shows the docstring's text),
shared blocks included (``lightning_seq.docstrings.append_args``)."""

import inspect

import docstring_parser
import pytest

import lightning_seq.data as data
import lightning_seq.nn as nn
import lightning_seq.tasks as tasks
from lightning_seq.callbacks import LineProgress
from lightning_seq.optim import WarmupCosineLR

BUILT_BY_THE_CLI = [
    data.AudioKeywordsDataModule,
    data.AudioTranscriptionDataModule,
    data.ConditionalSequenceDataModule,
    data.OCRDataModule,
    data.ParallelTextDataModule,
    data.RowScanImageDataModule,
    data.SentimentDataModule,
    data.TextCorpusDataModule,
    data.ImageAugment,
    data.RowScan,
    data.SentencePieceTokenizer,
    data.HFTokenizer,
    nn.LSTMEncoder,
    nn.GRUEncoder,
    nn.RNNEncoder,
    nn.LSTMDecoder,
    nn.GRUDecoder,
    nn.RNNDecoder,
    nn.AdditiveAttention,
    nn.DotAttention,
    nn.GeneralAttention,
    nn.AudioFeatures,
    tasks.SequenceClassifier,
    tasks.CTCTranscriber,
    tasks.Seq2SeqTask,
    tasks.SequenceGenerator,
    tasks.LanguageModel,
    tasks.Sampling,
    tasks.BeamSearch,
    tasks.CTCBeamSearch,
    WarmupCosineLR,
    LineProgress,
]


def documented(cls: type) -> set[str]:
    """Argument names the class docstring (and its own or inherited ``__init__`` docstring) describes."""
    names = set()
    for klass in cls.__mro__:
        for doc in (klass.__doc__, getattr(klass.__dict__.get("__init__"), "__doc__", None)):
            if doc:
                names |= {p.arg_name for p in docstring_parser.parse(doc).params}
    return names


@pytest.mark.parametrize("cls", BUILT_BY_THE_CLI, ids=lambda c: c.__name__)
def test_every_constructor_argument_is_documented(cls):
    arguments = [name for name in inspect.signature(cls.__init__).parameters if name not in ("self", "args", "kwargs")]
    missing = [name for name in arguments if name not in documented(cls)]
    assert missing == []


def test_shared_blocks_are_appended_once_to_the_args_section():
    doc = tasks.Seq2SeqTask.__doc__
    assert doc.count("optimizer: ``params -> Optimizer``") == 1 and doc.count("decoder: factory") == 1
    parsed = [p.arg_name for p in docstring_parser.parse(doc).params]
    assert parsed[:2] == ["vocab_size", "encoder"] and parsed[-1] == "input_features"
    assert [p.arg_name for p in docstring_parser.parse(data.SentimentDataModule.__doc__).params][-4:] == [
        "batch_size", "bucketing", "pool_batches", "num_workers",
    ]
