import pytest

from lightning_seq.data import SentimentDataModule
from lightning_seq.objects import object_at
from lightning_seq.tasks.checkpoint_format import import_path


def test_an_import_path_names_the_object_checkpoints_store_and_bad_paths_are_named():
    assert object_at(import_path(SentimentDataModule)) is SentimentDataModule
    assert object_at("lightning_seq.data.SentimentDataModule") is SentimentDataModule
    with pytest.raises(ImportError, match=r"lightning_seq.data has no 'Nothing' \(from the import path "):
        object_at("lightning_seq.data.Nothing")
    with pytest.raises(ImportError, match=r"'Nothing' is no import path \(expected package.module.Name\)"):
        object_at("Nothing")
    with pytest.raises(ModuleNotFoundError, match="no_such_module"):
        object_at("no_such_module.Thing")
