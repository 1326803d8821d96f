"""A generated sentiment corpus in which word order decides the label, so bag-of-words models stay at chance.

Every review has two clauses of opposite polarity joined by a contrast ("X but Y", "although X , Y",
"Y , although X", "X . however , Y"); the label is the polarity of the decisive clause Y. A clause's polarity
is its adjective's, flipped by a negator ("not", "never", "hardly"); intensifiers and neutral distractor
clauses add variety. Both classes use exactly the same distribution of words, so only order and scope tell them
apart: a BiLSTM learns it, unigram counts cannot.
"""

from __future__ import annotations

import random

LABELS = ("negative", "positive")
POSITIVE = (
    "good",
    "great",
    "superb",
    "wonderful",
    "brilliant",
    "charming",
    "gripping",
    "moving",
    "clever",
    "delightful",
    "fine",
    "excellent",
    "lovely",
    "solid",
    "fresh",
    "stunning",
)
NEGATIVE = (
    "bad",
    "dull",
    "awful",
    "boring",
    "weak",
    "clumsy",
    "tedious",
    "bland",
    "poor",
    "messy",
    "lifeless",
    "terrible",
    "flat",
    "stale",
    "silly",
    "painful",
)
NEUTRAL = ("long", "short", "loud", "quiet", "dark", "slow", "french", "old")
NOUNS = (
    "acting",
    "plot",
    "script",
    "music",
    "cast",
    "story",
    "ending",
    "dialogue",
    "camera work",
    "pacing",
    "soundtrack",
    "direction",
    "lead actor",
    "villain",
    "score",
    "editing",
    "humour",
    "setting",
)
NEGATORS = ("not", "never", "hardly")
INTENSIFIERS = ("very", "really", "truly", "quite", "so", "extremely")
OPENERS = ("", "", "honestly ,", "i think", "overall ,", "to be fair ,", "in my opinion")
VERBS = ("was", "is", "felt", "seemed")


def _clause(rng: random.Random, polarity: int, negate_prob: float) -> str:
    negated = rng.random() < negate_prob
    adjectives = POSITIVE if (polarity > 0) != negated else NEGATIVE
    words = ["the", rng.choice(NOUNS), rng.choice(VERBS)]
    if negated:
        words.append(rng.choice(NEGATORS))
    if rng.random() < 0.4:
        words.append(rng.choice(INTENSIFIERS))
    words.append(rng.choice(adjectives))
    return " ".join(words)


def _neutral(rng: random.Random) -> str:
    return f"the {rng.choice(NOUNS)} {rng.choice(VERBS)} {rng.choice(NEUTRAL)}"


def generate_review(rng: random.Random, label: int, negate_prob: float = 0.35) -> str:
    """One review whose label (0 negative, 1 positive) is the polarity of its decisive clause."""
    polarity = 1 if label == 1 else -1
    decisive = _clause(rng, polarity, negate_prob)
    other = _clause(rng, -polarity, negate_prob)
    form = rng.randrange(4)
    if form == 0:
        body = f"{other} but {decisive}"
    elif form == 1:
        body = f"although {other} , {decisive}"
    elif form == 2:
        body = f"{decisive} , although {other}"
    else:
        body = f"{other} . however , {decisive}"
    parts = [rng.choice(OPENERS), body]
    if rng.random() < 0.3:
        parts.insert(rng.choice((0, 2)), _neutral(rng) + " .")
    return " ".join(p for p in parts if p).strip() + " ."


def generate_sentiment_corpus(num_samples: int, seed: int) -> list[tuple[str, str]]:
    """Generate ``num_samples`` balanced ``(text, label_name)`` pairs, reproducibly from ``seed``."""
    if num_samples < 2:
        raise ValueError(f"num_samples must be >= 2, got {num_samples!r}")
    rng = random.Random(seed)
    labels = [i % 2 for i in range(num_samples)]
    rng.shuffle(labels)
    return [(generate_review(rng, label), LABELS[label]) for label in labels]
