"""Data sets (``torch.utils.data.Dataset``): encoded samples a data module's loaders read."""

from lightning_seq.data.datasets.sequences import SequenceDataset, WithReferences

__all__ = ["SequenceDataset", "WithReferences"]
