"""The CTC feasibility check shared by transcription data modules."""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor


def ctc_length_problems(
    targets: Sequence[Tensor], steps: Sequence[int], names: Sequence[str], time_reduction: int = 1
) -> list[str]:
    """Describe every target too long for its input under CTC.

    A CTC path needs one step per label plus a blank between repeated labels: ``len + repeats`` steps, out of
    ``ceil(T / time_reduction)`` after a model's front-end.

    Args:
        targets: label ids per sample.
        steps: input time steps per sample.
        names: how to name each sample in the message (file, line).
        time_reduction: input steps per model output step.

    Returns:
        One description per offending sample (empty when all fit).
    """
    problems = []
    for target, length, name in zip(targets, steps, names, strict=True):
        repeats = int((target[1:] == target[:-1]).sum()) if len(target) > 1 else 0
        available = -(-length // time_reduction)
        if len(target) + repeats > available:
            problems.append(f"{name}: {len(target)} labels + {repeats} repeats > {available} steps")
    return problems
