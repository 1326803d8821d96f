"""Pretrained word vectors (GloVe / word2vec text files) read into a task's embedding tables before fitting."""

from __future__ import annotations

from torch import nn

from lightning_seq.nn.embedding import load_pretrained_vectors


class PretrainedEmbeddings:
    """Fill embedding tables from pretrained vector files, by the names (vocabulary) each table is indexed with.

    A mixin of ``SequenceTask`` (it reads the task's names). Vectors are read once, before fitting, and only into
    a model whose weights did not come from a checkpoint: trained weights are never overwritten.
    """

    _pretrained_loaded = False
    """Vectors read, or weights restored from a checkpoint."""

    def pretrained_tables(self) -> list[tuple[nn.Embedding, str, str]]:
        """Embedding tables to fill from pretrained vector files: ``(table, names key, file)``; none by default."""
        return []

    def load_pretrained_embeddings(self) -> None:
        """Fill every table of ``pretrained_tables`` from its file by the names it is indexed with (once)."""
        if self._pretrained_loaded:
            return
        for table, key, path in self.pretrained_tables():
            names = self.names(key)
            if names is None:
                raise ValueError(
                    f"pretrained embeddings {path} need the {key} to look words up: train with a data module that "
                    f"has one, or call set_names({key}=...) first"
                )
            load_pretrained_vectors(table, names, path)
        self._pretrained_loaded = True

    def keep_trained_embeddings(self) -> None:
        """The weights came from a checkpoint: never read pretrained vectors over them."""
        self._pretrained_loaded = True
