"""In-memory data set of encoded sequences with class targets, and a wrapper adding reference texts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import Tensor
from torch.utils.data import Dataset


class SequenceDataset(Dataset):
    """Encoded sequences with their class ids; ``-1`` targets mark unlabelled rows.

    Args:
        sequences: one tensor per sample, time axis first: ``(T_i,)`` token ids or ``(T_i, F)`` features.
        targets: one class id per sample, or None when unlabelled.
    """

    def __init__(self, sequences: Sequence[Tensor], targets: Sequence[int] | None = None) -> None:
        if targets is not None and len(targets) != len(sequences):
            raise ValueError(f"{len(sequences)} sequences but {len(targets)} targets")
        self.sequences = list(sequences)
        self.targets = list(targets) if targets is not None else [-1] * len(self.sequences)
        self.lengths = [len(s) for s in self.sequences]

    def __len__(self) -> int:
        return len(self.sequences)

    def __getitem__(self, index: int) -> tuple[Tensor, int, int]:
        return self.sequences[index], self.targets[index], index


class WithReferences(Dataset):
    """Samples of ``dataset`` followed by their reference target tokens as written, before any vocabulary lookup.

    Evaluation scores hypotheses against these, so a reference word missing from the target vocabulary (encoded
    as ``<unk>``) still counts as a word the model did not produce.

    Args:
        dataset: a data set of ``(inputs, target_ids, index)`` samples with a ``lengths`` list.
        references: the target tokens of every sample (empty when unlabelled).
    """

    def __init__(self, dataset: Any, references: Sequence[Sequence[str]]) -> None:
        if len(references) != len(dataset):
            raise ValueError(f"{len(dataset)} samples but {len(references)} references")
        self.dataset = dataset
        self.references = [list(r) for r in references]
        self.lengths = dataset.lengths

    @property
    def targets(self) -> Any:
        """The wrapped data set's target ids (what the model trains on; ``<unk>`` where a token was unknown)."""
        return self.dataset.targets

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> tuple[Any, Any, int, list[str]]:
        inputs, target, position = self.dataset[index]
        return inputs, target, position, self.references[index]
