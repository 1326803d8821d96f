"""A generated corpus of short, noisy posts in three classes (negative, neutral, positive), like tweets.

Posts talk about products, places and shows, some named with made-up brand names that differ from split to split
(an open vocabulary: test posts hold words training never saw). About half are plain ("loved the new phone :)"),
where the sentiment words alone decide; the rest need word order and scope: negation ("not bad at all"),
contrast ("the trailer looked great but the film was a mess"), and neutral posts that use sentiment words without
taking a side ("is the new phone any good ?", "hoping the sequel is great"). Posts carry typos, elongations
("sooo"), emoticons, mentions, hashtags and links; a share of labels is flipped, as human labels disagree. A
bag of words does well on the plain posts and poorly on the rest, so the ceiling sits below 100% and a sequence
model beats it by a margin, not by construction.
"""

from __future__ import annotations

import random

from lightning_seq.data.synthetic.typos import edit_one_letter

LABELS = ("negative", "neutral", "positive")
THINGS = (
    "phone", "laptop", "camera", "update", "app", "game", "film", "movie", "show", "episode", "album", "song",
    "concert", "burger", "pizza", "coffee", "restaurant", "hotel", "flight", "airline", "service", "delivery",
    "battery", "screen", "keyboard", "headphones", "sequel", "trailer", "book", "series", "team", "match", "bus",
    "train", "gym", "class", "lecture", "store", "menu", "playlist", "podcast", "festival", "museum", "park",
)
POSITIVE = (
    "good", "great", "amazing", "awesome", "excellent", "fantastic", "brilliant", "lovely", "perfect", "solid",
    "fun", "beautiful", "impressive", "smooth", "delicious", "cool", "superb", "wonderful", "nice", "epic",
)
NEGATIVE = (
    "bad", "awful", "terrible", "horrible", "boring", "slow", "broken", "disappointing", "useless", "cheap",
    "annoying", "buggy", "bland", "overpriced", "rude", "dull", "messy", "poor", "lame", "gross",
)
LOVE = ("love", "loved", "enjoyed", "adore", "recommend")
HATE = ("hate", "hated", "regret", "can't stand", "returned")
NEUTRAL_VERBS = ("bought", "tried", "watched", "got", "ordered", "saw", "picked up", "checked out")
INTENSIFIERS = ("so", "really", "very", "super", "pretty", "totally")
HAPPY = (":)", ":-)", ":D", "<3", "!!")
SAD = (":(", ":-(", ":/", "ugh", "smh")
OPENERS = ("", "", "", "just", "omg", "honestly", "lol", "well", "ok so")
FACTS = (
    "the {t} comes out on friday", "anyone tried the {t} ?", "the {t} is at the store now",
    "watching the {t} tonight", "got the {t} yesterday", "the {t} starts at 8", "new {t} announced today",
    "which {t} should i get ?", "my brother {v} the {t}", "the {t} is {n} minutes long",
)
HEDGED = (  # sentiment words that take no side: questions, hopes, reports of others
    "is the {t} any {p} ?", "is the {t} {n2} or not ?", "hoping the {t} is {p}", "heard the {t} is {n2} , not sure",
    "will the {t} be {p} ?", "some say the {t} is {p} , others say {n2}", "wondering if the {t} is {n2}",
)
SYLLABLES = ("ka", "zo", "ri", "mex", "vo", "tan", "lu", "pra", "gen", "dor", "qui", "bel", "ny", "sto", "fi", "ux")


def brand(rng: random.Random) -> str:
    """A made-up brand name of two or three syllables (open vocabulary: splits draw their own)."""
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))


def typo(rng: random.Random, word: str) -> str:
    """``word`` with one typo: a dropped, doubled or swapped letter, or an elongated last letter."""
    if len(word) < 3 or " " in word:
        return word
    return edit_one_letter(rng, word, lambda rng, word, _: word + word[-1] * rng.randint(2, 4))


def _thing(rng: random.Random, brands: list[str]) -> str:
    return f"{rng.choice(brands)} {rng.choice(THINGS)}" if rng.random() < 0.35 else rng.choice(THINGS)


def _word(rng: random.Random, words: tuple[str, ...], noise: float) -> str:
    word = rng.choice(words)
    return typo(rng, word) if rng.random() < noise else word


def _evaluation(rng: random.Random, polarity: int, thing: str, noise: float) -> str:
    """A clause that takes a side: plain, negated, or with a verb of liking."""
    kind = rng.random()
    if kind < 0.25:  # a negated opposite: "not bad at all" is positive
        adjective = _word(rng, NEGATIVE if polarity > 0 else POSITIVE, noise)
        negator = rng.choice(("is not", "wasn't", "isn't", "was never", "is not that"))
        tail = rng.choice(("", " at all", " tbh")) if polarity > 0 else ""
        return f"the {thing} {negator} {adjective}{tail}"
    if kind < 0.45:
        verb = rng.choice(LOVE if polarity > 0 else HATE)
        return f"i {verb} the {thing}"
    adjective = _word(rng, POSITIVE if polarity > 0 else NEGATIVE, noise)
    intensifier = rng.choice(INTENSIFIERS) + " " if rng.random() < 0.4 else ""
    return f"the {thing} is {intensifier}{adjective}"


def _post(rng: random.Random, label: int, brands: list[str], noise: float) -> str:
    thing = _thing(rng, brands)
    if label == 1:
        if rng.random() < 0.55:
            fact = rng.choice(FACTS)
            return fact.format(t=thing, v=rng.choice(NEUTRAL_VERBS), n=rng.randint(20, 180))
        p, n2 = _word(rng, POSITIVE, noise), _word(rng, NEGATIVE, noise)
        return rng.choice(HEDGED).format(t=thing, p=p, n2=n2)
    polarity = 1 if label == 2 else -1
    decisive = _evaluation(rng, polarity, thing, noise)
    form = rng.random()
    if form < 0.5:
        return decisive
    other = _evaluation(rng, -polarity, _thing(rng, brands), noise)
    if form < 0.8:
        return f"{other} but {decisive}"
    return f"{decisive} , even though {other}"


def generate_post(rng: random.Random, label: int, brands: list[str], noise: float = 0.1) -> str:
    """One post of class ``label`` (0 negative, 1 neutral, 2 positive), with the usual noise of short posts."""
    words = [rng.choice(OPENERS), _post(rng, label, brands, noise)]
    if rng.random() < 0.3:
        words.insert(0, "@" + brand(rng))
    if label != 1 and rng.random() < 0.5:  # emoticons agree with the label 80% of the time
        agree = rng.random() < 0.8
        words.append(rng.choice(HAPPY if (label == 2) == agree else SAD))
    if rng.random() < 0.2:
        words.append("#" + rng.choice((rng.choice(THINGS), brand(rng))))
    if rng.random() < 0.1:
        words.append("http://t.co/" + brand(rng))
    return " ".join(w for w in words if w)


def generate_sentiment_corpus(
    num_samples: int, seed: int, label_noise: float = 0.08, typo_rate: float = 0.1
) -> list[tuple[str, str]]:
    """``num_samples`` ``(text, label_name)`` pairs balanced over ``LABELS``, reproducible from ``seed``.

    Args:
        num_samples: posts to generate.
        seed: seed of everything drawn, including the split's own brand names.
        label_noise: share of posts whose label is replaced by another class (drawn uniformly).
        typo_rate: share of sentiment words given a typo.
    """
    if num_samples < len(LABELS):
        raise ValueError(f"num_samples must be >= {len(LABELS)}, got {num_samples!r}")
    if not 0.0 <= label_noise < 1.0 or not 0.0 <= typo_rate <= 1.0:
        raise ValueError(f"label_noise must lie in [0, 1) and typo_rate in [0, 1], got {label_noise!r}, {typo_rate!r}")
    rng = random.Random(seed)
    brands = [brand(rng) for _ in range(30)]
    labels = [i % len(LABELS) for i in range(num_samples)]
    rng.shuffle(labels)
    flips = random.Random(f"label noise {seed}")  # its own draws: the texts do not depend on label_noise
    corpus = []
    for label in labels:
        text = generate_post(rng, label, brands, typo_rate)
        if flips.random() < label_noise:
            label = flips.choice([other for other in range(len(LABELS)) if other != label])
        corpus.append((text, LABELS[label]))
    return corpus
