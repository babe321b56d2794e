"""A generated document-classification task: short reviews whose sentiment needs words AND sentences.

A document is 3-7 sentences. One, two or three of them give an opinion,
'the food was good' or, negated, 'the staff was not friendly'; the others are
neutral ('we stayed 3 nights'). Each opinion counts +1 or -1 (its adjective's
polarity, flipped by 'not'); the label is 1 when the sum is positive, 0 when
negative, and an opinion count that would tie is avoided by giving ties a
decisive extra opinion. Reading the label needs each sentence's words in
context (the negation) and the document's sentences together, the setting of
hierarchical attention networks.
"""

from __future__ import annotations

import numpy as np

SUBJECTS = ("the food", "the service", "the room", "the staff", "the view", "the price",
            "the music", "the location", "the breakfast", "the bed")
POSITIVE = ("good", "great", "excellent", "friendly", "clean", "lovely", "perfect", "nice")
NEGATIVE = ("bad", "awful", "rude", "dirty", "terrible", "poor", "noisy", "cold")
NEUTRAL = ("we stayed {n} nights", "we arrived on a {day}", "it was our {nth} visit",
           "we came by {way}", "the trip took {n} hours", "we booked it in {month}")
_FILLERS = {"n": [str(i) for i in range(2, 10)],
            "day": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
            "nth": ["first", "second", "third", "fourth"],
            "way": ["train", "car", "bus", "plane", "bike"],
            "month": ["may", "june", "july", "august", "october"]}


def _opinion(rng: np.random.Generator) -> tuple[str, int]:
    polarity = 1 if rng.random() < 0.5 else -1
    adjective = rng.choice(POSITIVE if polarity > 0 else NEGATIVE)
    negated = rng.random() < 0.4
    subject = rng.choice(SUBJECTS)
    verb = "was not" if negated else "was"
    return f"{subject} {verb} {adjective}", -polarity if negated else polarity


def _neutral(rng: np.random.Generator) -> str:
    template = NEUTRAL[rng.integers(len(NEUTRAL))]
    return template.format(**{key: rng.choice(values) for key, values in _FILLERS.items()})


def review_documents(n: int, seed: int = 0) -> tuple[list[list[str]], np.ndarray]:
    """(documents, labels): ``n`` documents (lists of sentences) and their int64 labels 0/1."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be an int >= 0, got {n!r}")
    rng = np.random.default_rng(seed)
    documents, labels = [], np.empty(n, dtype=np.int64)
    for i in range(n):
        opinions = [_opinion(rng) for _ in range(int(rng.integers(1, 4)))]
        while sum(p for _, p in opinions) == 0:
            opinions.append(_opinion(rng))
        sentences = [s for s, _ in opinions] + [_neutral(rng) for _ in range(int(rng.integers(2, 5)))]
        documents.append([sentences[j] for j in rng.permutation(len(sentences))])
        labels[i] = int(sum(p for _, p in opinions) > 0)
    return documents, labels
