"""Module paths of 0.2 that runs, checkpoints, shard indexes and user code name still import, as their new modules."""

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lightning_seq.moved import MOVED_IN_0_3
from lightning_seq.objects import object_at

STORED = {  # what 0.2 wrote to disk under its own module paths, and where it lives now
    # config.yaml of a run (jsonargparse writes a data module's full path)
    "lightning_seq.data.sentiment.SentimentDataModule": "lightning_seq.data.modules.sentiment.SentimentDataModule",
    "lightning_seq.data.audio_keywords.AudioKeywordsDataModule": (
        "lightning_seq.data.modules.audio_keywords.AudioKeywordsDataModule"
    ),
    "lightning_seq.data.images.RowScan": "lightning_seq.data.readers.images.RowScan",
    "lightning_seq.data.audio_augment.AudioAugment": "lightning_seq.data.augment.audio.AudioAugment",
    # a checkpoint's preprocessing entry (tokenizers are described by import path)
    "lightning_seq.data.tokenizers.WordTokenizer": "lightning_seq.data.text.tokenizers.WordTokenizer",
    "lightning_seq.data.subword.SentencePieceTokenizer": "lightning_seq.data.text.subword.SentencePieceTokenizer",
    # a shard index (its data module and collate function)
    "lightning_seq.data.collate.collate_with_references": "lightning_seq.data.batching.collate.collate_with_references",
    "lightning_seq.data.collate.collate_sequences": "lightning_seq.data.batching.collate.collate_sequences",
    "lightning_seq.data.datasets.SequenceDataset": "lightning_seq.data.datasets.sequences.SequenceDataset",
}


@pytest.mark.parametrize("old", sorted(MOVED_IN_0_3))
def test_every_old_module_path_imports_as_its_new_module(old):
    assert importlib.util.find_spec(MOVED_IN_0_3[old]).origin is not None  # the new module is a real file
    assert importlib.import_module(old) is importlib.import_module(MOVED_IN_0_3[old])
    assert importlib.import_module(old).__spec__.name == MOVED_IN_0_3[old]  # one module, still named as it is now


def test_modules_inside_a_moved_package_moved_with_it():
    from lightning_seq.streaming import CTCStreamer  # 0.2 user code

    assert importlib.import_module("lightning_seq.streaming.framing") is importlib.import_module(
        "lightning_seq.deploy.streaming.framing"
    )
    assert CTCStreamer is object_at("lightning_seq.deploy.streaming.CTCStreamer")


def test_names_that_never_existed_still_fail_by_name():
    with pytest.raises(ModuleNotFoundError, match="lightning_seq.data.nothing_here"):
        importlib.import_module("lightning_seq.data.nothing_here")
    with pytest.raises(ModuleNotFoundError, match="lightning_seq.nothing"):
        importlib.import_module("lightning_seq.nothing")


@pytest.mark.parametrize(("old", "new"), sorted(STORED.items()))
def test_what_0_2_stored_resolves_to_the_same_object(old, new):
    assert object_at(old) is object_at(new)


def test_an_old_path_imports_in_a_fresh_interpreter():
    """The aliases must hold for the first import a process makes (a run loading its config.yaml), not only after
    the package was imported by something else."""
    code = ("import lightning_seq.data.sources as s, lightning_seq.data.readers.text as t, lightning_seq.export as e, "
            "lightning_seq.deploy.export as d; print(s is t and e is d)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"


def test_a_config_naming_a_0_2_data_module_path_parses(tmp_path):
    """A run's config.yaml of 0.2 names its data module by the old full path; the CLI still builds from it."""
    recipe = Path(__file__).resolve().parents[1] / "recipes" / "sentiment_bilstm.yaml"
    words = ["fit", "--config", str(recipe), "--data.class_path", "lightning_seq.data.sentiment.SentimentDataModule",
             "--print_config"]
    done = subprocess.run([sys.executable, "-m", "lightning_seq", *words], capture_output=True, text=True,
                          cwd=tmp_path, check=True)
    printed = yaml.safe_load(done.stdout)["data"]
    assert object_at(printed["class_path"]) is object_at("lightning_seq.data.SentimentDataModule")
    assert printed["init_args"]["generated_size"] == 8000  # the recipe's settings kept
