"""Every class the CLI builds documents every constructor argument (``--help`` shows the docstring's text),
shared blocks included (``lightning_seq.docstrings.append_args``)."""

import inspect

import docstring_parser
import pytest
import pytorch_lightning as pl
import yaml
from jsonargparse import ArgumentParser

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
    doc = tasks.EncoderDecoderTask.__doc__
    assert doc.count("decoder: factory") == 1 and "optimizer:" not in doc  # the optimizer is SequenceTask's
    parsed = [p.arg_name for p in docstring_parser.parse(doc).params]
    assert parsed[:2] == ["target_vocab_size", "decoder"] and parsed[-1] == "target_joiner"
    assert [p.arg_name for p in docstring_parser.parse(tasks.SequenceTask.__doc__).params][-1] == "input_features"
    assert [p.arg_name for p in docstring_parser.parse(data.SentimentDataModule.__doc__).params][-4:] == [
        "batch_size", "bucketing", "pool_batches", "num_workers",
    ]


def options(cls: type) -> dict[str, tuple[object, str]]:
    """Every option the CLI should offer for ``cls``: name -> (default, description), its own arguments first,
    then those its ``__init__`` forwards through ``**kwargs`` to each base in turn (an argument a subclass passes
    itself has no default there and is not an option)."""
    found: dict[str, tuple[object, str]] = {}
    for klass in cls.__mro__:
        init = vars(klass).get("__init__")
        if init is None:
            continue
        described = {p.arg_name: p.description for p in docstring_parser.parse(klass.__doc__ or "").params}
        parameters = inspect.signature(init).parameters
        for name, parameter in parameters.items():
            if name not in found and parameter.default is not inspect.Parameter.empty:
                found[name] = (parameter.default, described[name])
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
            return found
    raise AssertionError(f"{cls.__name__} forwards **kwargs to no base that takes them")


CLI_MODULES = [cls for cls in BUILT_BY_THE_CLI if issubclass(cls, (pl.LightningDataModule, pl.LightningModule))]


@pytest.mark.parametrize("cls", CLI_MODULES, ids=lambda c: c.__name__)
def test_help_and_print_config_list_every_option_with_its_default_and_description(cls):
    """The options of every data module and task, its bases' forwarded ones included, are in ``--help`` with the
    base's description and in ``--print_config`` with the base's default."""
    parser = ArgumentParser(exit_on_error=False)
    parser.add_class_arguments(cls, "x")
    actions = {action.dest: action for action in parser._actions}  # argparse keeps no public list of options
    printed = yaml.safe_load(parser.dump(parser.parse_args([]), skip_none=False))["x"]
    expected = options(cls)
    assert set(printed) == set(expected)  # nothing lost, nothing internal (manifests, root of a transcriber) shown
    for name, (default, description) in expected.items():
        assert " ".join(actions[f"x.{name}"].help.split()).startswith(" ".join(description.split())), name
        if default is None or isinstance(default, bool | int | float | str):
            assert printed[name] == default, name


def test_forwarding_keeps_what_the_subclasses_spelled_out_before():
    # AudioKeywordsDataModule spelled out 24 arguments and AudioTranscriptionDataModule 20, Seq2SeqTask and
    # SequenceGenerator 18 and 17; with **kwargs they keep their own and still offer all of them
    assert len(options(data.AudioKeywordsDataModule)) == 24 and len(options(data.AudioTranscriptionDataModule)) == 20
    assert len(options(tasks.Seq2SeqTask)) == 18 and len(options(tasks.SequenceGenerator)) == 17
    assert options(tasks.SequenceGenerator)["max_length"][0] == 50
    assert options(tasks.Seq2SeqTask)["max_length"][0] == 100
    assert "root" not in options(data.AudioTranscriptionDataModule)
