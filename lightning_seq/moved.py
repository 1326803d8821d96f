"""Module paths of lightning_seq 0.2 that 0.3 moved, still importable as the modules they moved to.

Runs' ``config.yaml`` files, checkpoints (the preprocessing's tokenizer and scan classes) and shard indexes (the
data module and collate function) store full import paths, and user code imports modules by path. A finder in
``sys.meta_path`` (installed when ``lightning_seq`` is imported) answers only for a path that no longer exists and
``MOVED_IN_0_3`` names: it hands over the module that path moved to, so ``import
lightning_seq.data.sources`` is ``lightning_seq.data.readers.text``. Nothing is imported before it is asked for.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from types import ModuleType

_DATA_MOVES = {
    "base": "modules.base",
    "sentiment": "modules.sentiment",
    "text_corpus": "modules.text_corpus",
    "parallel_text": "modules.parallel_text",
    "conditional": "modules.conditional",
    "rowscan_images": "modules.rowscan_images",
    "ocr": "modules.ocr",
    "framed_audio": "modules.framed_audio",
    "audio_keywords": "modules.audio_keywords",
    "audio_transcription": "modules.audio_transcription",
    "sharded": "modules.sharded",
    "splits": "modules.records",
    "labels": "modules.records",
    "ctc_lengths": "modules.ctc_lengths",
    "image_datasets": "datasets.images",
    "audio_datasets": "datasets.audio",
    "streams": "datasets.streams",
    "sklearn_digits": "datasets.sklearn_digits",
    "sources": "readers.text",
    "tables": "readers.tables",
    "hf_sources": "readers.hf",
    "audio": "readers.audio",
    "images": "readers.images",
    "package_texts": "readers.package_texts",
    "paths": "readers.files",
    "text_files": "readers.files",
    "tokenizers": "text.tokenizers",
    "subword": "text.subword",
    "vocab": "text.vocab",
    "unigram": "text.unigram",
    "collate": "batching.collate",
    "sampler": "batching.sampler",
    "audio_augment": "augment.audio",
    "image_augment": "augment.images",
    "inference_spec": "preprocessing.inputs",
    "described": "preprocessing.described",
}

MOVED_IN_0_3: dict[str, str] = {
    **{f"lightning_seq.data.{old}": f"lightning_seq.data.{new}" for old, new in _DATA_MOVES.items()},
    "lightning_seq.streaming": "lightning_seq.deploy.streaming",
    "lightning_seq.export": "lightning_seq.deploy.export",
    "lightning_seq.quantize": "lightning_seq.deploy.quantize",
}
"""Old module path -> new module path. ``lightning_seq.data.datasets`` kept its path (it became the ``datasets/``
package, which exports what the module held); the modules inside ``lightning_seq.streaming`` moved with it."""

_PACKAGES = ("lightning_seq.streaming",)
"""Moved packages whose submodules moved along (``lightning_seq.streaming.framing``)."""


def moved_to(name: str) -> str | None:
    """The module an old path ``name`` moved to, or None when it did not move."""
    if name in MOVED_IN_0_3:
        return MOVED_IN_0_3[name]
    for package in _PACKAGES:
        if name.startswith(package + "."):
            return MOVED_IN_0_3[package] + name[len(package) :]
    return None


class MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Find an old module path and load it as the module it moved to (one module object under both names).

    It answers before the file finders: a submodule of a moved package (``lightning_seq.streaming.framing``) would
    otherwise be found in the new package's folder and run a second time, as a second module with its own classes.
    """

    def __init__(self) -> None:
        self.real_specs: dict[str, importlib.machinery.ModuleSpec] = {}

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        """A spec for an old path of ``MOVED_IN_0_3``; None for every other name."""
        if moved_to(fullname) is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        """The module the old path moved to (imported now), registered under the old path too."""
        new = moved_to(spec.name)
        assert new is not None
        module = importlib.import_module(new)
        self.real_specs[spec.name] = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        """Nothing runs again; the import system set the module's ``__spec__`` to the old path's, so put it back."""
        module.__spec__ = self.real_specs[module.__spec__.name]


def install() -> None:
    """Put the finder first in ``sys.meta_path`` (once); it answers for the old paths only."""
    if not any(isinstance(finder, MovedModules) for finder in sys.meta_path):
        sys.meta_path.insert(0, MovedModules())
