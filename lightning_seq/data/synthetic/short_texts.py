"""A generated long-tail corpus of short posts in three classes, with the word statistics of real tweets.

The embedded posts of ``synthetic.sentiment`` draw from a small closed vocabulary and hinge on word order, so a
sequence model wins there by construction. Real short texts are different: most word types of a training split
occur once (names, handles, hashtags, misspellings, slang), and most of a label sits in *which* words appear, not in
their order. This corpus has those statistics, so that a tf-idf logistic regression is a strong baseline:

* filler words follow a Zipf law over a large fixed lexicon (made-up words standing for names, places and topics),
  plus frequent function words, handles, numbers and links; about 70% of the training split's whitespace-separated
  types occur once (``hapax_share`` measures it);
* the label is carried by sentiment cues: about 60 stems per side, drawn by a Zipf law, each written as itself, with
  a typo, elongated ("greaaat"), inside a hashtag ("#greatday") or with a slang suffix ("greataf"), so many cue
  tokens are rare too, and by emoji;
* the neutral class overlaps both sides: posts without cues, questions and hopes that use a cue without taking a
  side ("is the ... any good ?"), and posts with one cue of each side;
* a minority of posts (about one in five polar posts) carry a cue whose sense depends on word order: a negated
  opposite ("not great" in a negative post);
* a share of labels is flipped, as human annotators disagree.

The language (lexicon, stems, slang) is the same for every seed; the seed draws the posts.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections import Counter
from collections.abc import Sequence

from lightning_seq.data.synthetic.typos import edit_one_letter

LABELS = ("negative", "neutral", "positive")
FUNCTION_WORDS = (
    "the", "i", "to", "a", "and", "my", "is", "it", "in", "for", "of", "this", "on", "so", "at", "me", "just", "with",
    "you", "be", "was", "that", "today", "now", "we", "all", "day", "get", "got", "from", "new", "out", "up", "about",
    "what", "time", "who", "there", "tonight", "last", "going", "one", "see", "back", "like", "im", "u", "our", "off",
)
POSITIVE_STEMS = (
    "good", "great", "love", "awesome", "amazing", "happy", "best", "nice", "excited", "fun", "beautiful", "perfect",
    "glad", "wonderful", "cool", "brilliant", "fantastic", "enjoy", "excellent", "proud", "lovely", "sweet", "thanks",
    "win", "yay", "superb", "delight", "cheers", "blessed", "congrats", "adore", "stunning", "gorgeous", "epic",
    "fabulous", "grateful", "hilarious", "impressive", "joy", "legend", "magic", "neat", "outstanding", "pleased",
    "recommend", "smooth", "solid", "terrific", "thrilled", "tasty", "rocks", "winning", "wow", "yummy", "bliss",
    "charming", "cute", "dope", "fresh", "helpful",
)
NEGATIVE_STEMS = (
    "bad", "hate", "worst", "sad", "awful", "terrible", "sucks", "angry", "boring", "broken", "fail", "sick", "ugly",
    "annoying", "horrible", "lame", "poor", "rude", "sorry", "tired", "useless", "upset", "wrong", "crap", "disgust",
    "dull", "fake", "gross", "hurt", "mess", "miss", "nasty", "painful", "pathetic", "ruined", "scam", "shame",
    "slow", "stupid", "trash", "unfair", "waste", "weak", "worse", "cancelled", "delayed", "disappointed", "dumb",
    "fraud", "lousy", "meh", "overpriced", "regret", "rubbish", "stuck", "buggy", "crash", "bland", "cringe", "lost",
)
POSITIVE_EMOJI = ("😀", "😂", "😍", "❤️", "👍", "🙌", "🎉", "😊", "🔥", "✨")
NEGATIVE_EMOJI = ("😡", "😢", "😞", "👎", "💔", "😩", "🙄", "😤", "😭", "🤬")
SLANG_SUFFIXES = ("af", "est", "z", "ish", "ness", "ly", "ed", "s")
NEGATORS = ("not", "never", "isnt", "wasnt", "no", "aint", "dont")
QUESTIONS = ("is the {t} {c} ?", "hope the {t} is {c}", "anyone think {t} is {c} ?", "will {t} be {c} ?",
             "not sure if {t} is {c}", "is {t} {c} or what ?")
SYLLABLES = ("ka", "zo", "ri", "mex", "vo", "tan", "lu", "pra", "gen", "dor", "qui", "bel", "ny", "sto", "fi", "ux",
             "ma", "te", "ro", "sen", "da", "li", "wen", "ho", "pe", "sha", "bri", "gu", "na", "to", "el", "vi")
LEXICON_SIZE = 40000
ZIPF_EXPONENT = 1.0


def _zipf_table(size: int, exponent: float) -> list[float]:
    """Cumulative Zipf weights ``1 / rank**exponent`` for ranks 1..size (for ``bisect`` sampling)."""
    return list(itertools.accumulate(1.0 / rank**exponent for rank in range(1, size + 1)))


def _lexicon(size: int) -> list[str]:
    """``size`` distinct made-up words of 2-4 syllables, the same for every seed (a language, not a sample)."""
    rng = random.Random("short-text lexicon")
    words: dict[str, None] = {}
    while len(words) < size:
        words["".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3, 3, 3, 4))))] = None
    return list(words)


class _Language:
    """The fixed lexicon and the samplers every post draws from."""

    def __init__(self) -> None:
        self.lexicon = _lexicon(LEXICON_SIZE)
        self.lexicon_cdf = _zipf_table(LEXICON_SIZE, ZIPF_EXPONENT)
        self.function_cdf = _zipf_table(len(FUNCTION_WORDS), 1.0)
        self.stem_cdfs = {1: _zipf_table(len(POSITIVE_STEMS), 1.0), -1: _zipf_table(len(NEGATIVE_STEMS), 1.0)}
        self.emoji_cdf = _zipf_table(len(POSITIVE_EMOJI), 1.0)

    @staticmethod
    def _draw(rng: random.Random, items: Sequence[str], cdf: list[float]) -> str:
        return items[min(bisect.bisect(cdf, rng.random() * cdf[-1]), len(items) - 1)]

    def filler(self, rng: random.Random) -> str:
        """A word carrying no sentiment: a function word, a lexicon word, a handle, a number or a link."""
        kind = rng.random()
        if kind < 0.45:
            return self._draw(rng, FUNCTION_WORDS, self.function_cdf)
        if kind < 0.92:
            return self.topic(rng)
        if kind < 0.96:
            return "@" + self.topic(rng) + str(rng.randrange(100))
        if kind < 0.98:
            return str(rng.randrange(1, 500))
        return "http://t.co/" + "".join(rng.choice("abcdefghkmnpqrstuvwxyz0123456789") for _ in range(6))

    def topic(self, rng: random.Random) -> str:
        """A lexicon word standing for what a post is about."""
        return self._draw(rng, self.lexicon, self.lexicon_cdf)

    def stem(self, rng: random.Random, polarity: int) -> str:
        """A sentiment stem of the side ``polarity`` (+1 or -1), frequent stems first (Zipf)."""
        side = 1 if polarity > 0 else -1
        return self._draw(rng, POSITIVE_STEMS if side > 0 else NEGATIVE_STEMS, self.stem_cdfs[side])

    def cue(self, rng: random.Random, polarity: int) -> str:
        """A cue word of side ``polarity`` as written in a post: plain, misspelt, elongated, a hashtag or slang."""
        word = self.stem(rng, polarity)
        form = rng.random()
        if form < 0.6:
            return word
        if form < 0.72:
            return misspell(rng, word)
        if form < 0.82:
            return word + word[-1] * rng.randint(2, 5)
        if form < 0.92:
            return "#" + (word + self.topic(rng) if rng.random() < 0.6 else self.topic(rng) + word)
        return word + rng.choice(SLANG_SUFFIXES)

    def emoji(self, rng: random.Random, polarity: int) -> str:
        """An emoji of side ``polarity``, frequent ones first."""
        return self._draw(rng, POSITIVE_EMOJI if polarity > 0 else NEGATIVE_EMOJI, self.emoji_cdf)


def misspell(rng: random.Random, word: str) -> str:
    """``word`` with one typo: a dropped, doubled, swapped or replaced letter (words under 3 letters unchanged)."""
    if len(word) < 3:
        return word
    return edit_one_letter(rng, word, lambda rng, word, i: word[:i] + rng.choice("aeioustrnl") + word[i + 1 :])


def _insert(rng: random.Random, words: list[str], phrase: str) -> None:
    words.insert(rng.randint(0, len(words)), phrase)


def generate_short_text(rng: random.Random, language: _Language, label: int) -> str:
    """One post of class ``label`` (0 negative, 1 neutral, 2 positive)."""
    words = [language.filler(rng) for _ in range(rng.randint(3, 12))]
    if label == 1:
        form = rng.random()
        if form < 0.25:  # a question or a hope: a cue of either side that takes no side
            cue = language.cue(rng, rng.choice((-1, 1)))
            _insert(rng, words, rng.choice(QUESTIONS).format(t=language.topic(rng), c=cue))
        elif form < 0.45:  # one cue of each side
            _insert(rng, words, language.cue(rng, 1))
            _insert(rng, words, language.cue(rng, -1))
        # else: no cue at all
        return " ".join(words)
    polarity = 1 if label == 2 else -1
    cues = rng.choices((1, 2, 3), weights=(0.45, 0.35, 0.2))[0]
    for k in range(cues):
        if k == 0 and rng.random() < 0.2:  # the order-dependent minority: a negated opposite
            _insert(rng, words, f"{rng.choice(NEGATORS)} {language.stem(rng, -polarity)}")
        else:
            _insert(rng, words, language.cue(rng, polarity))
    if cues > 1 and rng.random() < 0.25:  # a cue of the other side, outweighed
        _insert(rng, words, language.cue(rng, -polarity))
    if rng.random() < 0.4:
        words.append(language.emoji(rng, polarity if rng.random() < 0.85 else -polarity))
    return " ".join(words)


_LANGUAGE: _Language | None = None


def generate_short_text_corpus(num_samples: int, seed: int, label_noise: float = 0.08) -> list[tuple[str, str]]:
    """``num_samples`` ``(text, label_name)`` pairs balanced over ``LABELS``, reproducible from ``seed``.

    Args:
        num_samples: posts to generate.
        seed: seed of the posts drawn (the language is the same for every seed).
        label_noise: share of posts whose label is replaced by another class (drawn uniformly, on its own draws:
            the texts do not depend on it).
    """
    if num_samples < len(LABELS):
        raise ValueError(f"num_samples must be >= {len(LABELS)}, got {num_samples!r}")
    if not 0.0 <= label_noise < 1.0:
        raise ValueError(f"label_noise must lie in [0, 1), got {label_noise!r}")
    global _LANGUAGE
    if _LANGUAGE is None:
        _LANGUAGE = _Language()
    rng = random.Random(f"short texts {seed}")
    labels = [i % len(LABELS) for i in range(num_samples)]
    rng.shuffle(labels)
    flips = random.Random(f"short-text label noise {seed}")
    corpus = []
    for label in labels:
        text = generate_short_text(rng, _LANGUAGE, label)
        if flips.random() < label_noise:
            label = flips.choice([other for other in range(len(LABELS)) if other != label])
        corpus.append((text, LABELS[label]))
    return corpus


def hapax_share(texts: Sequence[str]) -> float:
    """The share of whitespace-separated word types that occur exactly once in ``texts``."""
    counts = Counter(word for text in texts for word in text.split())
    if not counts:
        raise ValueError("hapax_share needs at least one word")
    return sum(1 for n in counts.values() if n == 1) / len(counts)
