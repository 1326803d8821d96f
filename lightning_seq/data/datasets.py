"""In-memory data set of encoded sequences with class targets."""

from __future__ import annotations

from collections.abc import Sequence

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
