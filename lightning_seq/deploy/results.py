"""Typed answers of a ``Predictor``: one object per input, built from the rows ``lightning-seq predict`` writes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Classification:
    """A classifier's answer for one input.

    Attributes:
        input: the input as given (a text) or named (a file path); empty for in-memory images or audio.
        label: the most probable class.
        probabilities: every class's probability, in the model's class order.
        top_k: the ``k`` most probable classes as ``(label, probability)``, most probable first.
    """

    input: str
    label: str
    probabilities: dict[str, float]
    top_k: list[tuple[str, float]]

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready)."""
        return {**asdict(self), "top_k": [[label, p] for label, p in self.top_k]}


@dataclass(frozen=True)
class Hypothesis:
    """One output text and its log-probability under the model."""

    text: str
    score: float


@dataclass(frozen=True)
class GeneratedText:
    """A generating task's answer for one input (seq2seq, CTC transcription, language model continuation).

    Attributes:
        input: the input as given (a text) or named (a file path); empty for in-memory images or audio.
        text: the best output (for a language model: the prompt followed by its continuation).
        score: its log-probability (CTC: of the best path).
        n_best: every hypothesis the search kept, best first (one unless beam search asks for more).
    """

    input: str
    text: str
    score: float
    n_best: list[Hypothesis] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready)."""
        return asdict(self)


Prediction = Classification | GeneratedText
"""What a predictor returns per input: which one is fixed by the checkpoint's task, never by an option."""


def classification_from_row(row: dict[str, Any], shown: str, top_k: int) -> Classification:
    """A ``ClassificationPrediction`` row (``label``, ``probabilities``) as a ``Classification``."""
    probabilities = {name: float(p) for name, p in row["probabilities"].items()}
    ranked = sorted(probabilities.items(), key=lambda item: -item[1])[:top_k]
    return Classification(shown, row["label"], probabilities, ranked)


def generated_from_row(row: dict[str, Any], shown: str) -> GeneratedText:
    """A generated row (``hypothesis``/``text``, ``score``, optional ``n_best``) as a ``GeneratedText``."""
    text = row["hypothesis"] if "hypothesis" in row else row["text"]
    n_best = [Hypothesis(h["hypothesis"], float(h["score"])) for h in row.get("n_best", [])]
    return GeneratedText(shown, text, float(row["score"]), n_best or [Hypothesis(text, float(row["score"]))])
