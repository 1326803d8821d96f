"""Module paths of 0.2 that runs, checkpoints and shard indexes stored still import, as the modules they moved to."""

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import lightning_seq.data
from lightning_seq.data import MOVED_IN_0_3
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
    moved = importlib.import_module(f"lightning_seq.data.{old}")
    assert moved is importlib.import_module(f"lightning_seq.data.{MOVED_IN_0_3[old]}")


@pytest.mark.parametrize(("old", "new"), sorted(STORED.items()))
def test_what_0_2_stored_resolves_to_the_same_object(old, new):
    assert object_at(old) is object_at(new)


def test_no_old_module_file_is_left_and_each_new_one_exists():
    folder = lightning_seq.data.__path__[0]
    for old, new in MOVED_IN_0_3.items():
        assert not importlib.util.find_spec(f"lightning_seq.data.{old}").origin.endswith(f"data/{old}.py"), old
        assert importlib.util.find_spec(f"lightning_seq.data.{new}").origin.startswith(folder)


def test_an_old_path_imports_in_a_fresh_interpreter():
    """The aliases must hold for the first import a process makes (a run loading its config.yaml), not only after
    the package was imported by something else."""
    code = "import lightning_seq.data.sources as s, lightning_seq.data.readers.text as t; print(s is t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"


def test_a_config_naming_a_0_2_data_module_path_parses(tmp_path):
    """A run's config.yaml of 0.2 names its data module by the old full path; the CLI still builds from it."""
    recipe = Path(__file__).resolve().parents[2] / "recipes" / "sentiment_bilstm.yaml"
    words = ["fit", "--config", str(recipe), "--data.class_path", "lightning_seq.data.sentiment.SentimentDataModule",
             "--print_config"]
    done = subprocess.run([sys.executable, "-m", "lightning_seq", *words], capture_output=True, text=True,
                          cwd=tmp_path, check=True)
    printed = yaml.safe_load(done.stdout)["data"]
    assert object_at(printed["class_path"]) is object_at("lightning_seq.data.SentimentDataModule")
    assert printed["init_args"]["generated_size"] == 8000  # the recipe's settings kept
