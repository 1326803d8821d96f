"""An embedded English-like corpus from a small probabilistic grammar (number agreement, nesting), no download.

Sentences such as ``the small dogs near a river chase the cat that sleeps .``: subject and verb agree in number
(including across a prepositional phrase), relative clauses nest up to a fixed depth, every sentence ends with
`` .``. A character language model must learn spelling, agreement and sentence length; a unigram model cannot.
"""

from __future__ import annotations

import random

_NOUNS = ("cat", "dog", "bird", "child", "farmer", "river", "teacher", "horse", "painter", "garden")
_PLURALS = {"child": "children"}
_ADJECTIVES = ("small", "old", "happy", "quiet", "green", "clever")
_TRANSITIVE = ("see", "chase", "like", "follow", "watch", "help")
_INTRANSITIVE = ("sleep", "run", "sing", "wait", "smile")
_PREPOSITIONS = ("near", "behind", "under", "with")


def _noun_phrase(rng: random.Random, plural: bool, depth: int) -> list[str]:
    noun = rng.choice(_NOUNS)
    words = ["the" if plural or rng.random() < 0.6 else "a"]
    if rng.random() < 0.4:
        words.append(rng.choice(_ADJECTIVES))
    words.append(_PLURALS.get(noun, noun + "s") if plural else noun)
    if depth < 2 and rng.random() < 0.25:
        words += [rng.choice(_PREPOSITIONS), *_noun_phrase(rng, rng.random() < 0.5, depth + 1)]
    if depth < 1 and rng.random() < 0.2:
        words += ["that", *_verb_phrase(rng, plural, depth + 1)]
    return words


def _verb(verb: str, plural: bool) -> str:
    return verb if plural else verb + ("es" if verb.endswith(("ch", "sh", "s")) else "s")


def _verb_phrase(rng: random.Random, plural: bool, depth: int) -> list[str]:
    if rng.random() < 0.65:
        return [_verb(rng.choice(_TRANSITIVE), plural), *_noun_phrase(rng, rng.random() < 0.4, depth + 1)]
    return [_verb(rng.choice(_INTRANSITIVE), plural)]


def generate_sentence(rng: random.Random) -> str:
    """One sentence of the grammar, words separated by spaces, ending with `` .``."""
    plural = rng.random() < 0.4
    return " ".join([*_noun_phrase(rng, plural, 0), *_verb_phrase(rng, plural, 0), "."])


def generate_corpus(num_sentences: int, seed: int) -> list[str]:
    """``num_sentences`` sentences, one per line, reproducible from ``seed``."""
    rng = random.Random(seed)
    return [generate_sentence(rng) for _ in range(num_sentences)]
