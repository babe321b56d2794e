"""BLEU (Papineni et al., 2002): clipped n-gram precision, brevity penalty, corpus and sentence level.

For candidate translations c and their reference sets R(c), the modified
(clipped) n-gram precision is

    p_n = sum_c sum_g min(count_c(g), max_{r in R(c)} count_r(g)) / sum_c sum_g count_c(g)

over the n-grams g of each candidate. With total candidate length C and
effective reference length R (for each candidate the reference length
closest to its own, the shorter on ties), the brevity penalty is
BP = 1 if C > R else exp(1 - R / C), and

    BLEU = BP * exp(sum_{n=1..N} w_n log p_n),   w_n = 1/N, N = 4 by default.

Corpus BLEU sums numerators and denominators over the corpus before dividing
(not the mean of sentence scores). Without smoothing a zero p_n makes BLEU 0.
Smoothing (Chen & Cherry, 2014; the names of nltk's methods):

* ``"epsilon"`` (method 1): a zero numerator becomes ``epsilon`` (0.1);
* ``"add1"`` (method 2, Lin & Och 2004): add 1 to numerator and
  denominator for n >= 2;
* ``"exp"`` (method 3): the k-th zero numerator becomes 1 / 2^k.

Text is tokenized by whitespace unless it is given as token lists.
"""

from __future__ import annotations

import collections
import math
from fractions import Fraction
from typing import Sequence

SMOOTHING = ("none", "epsilon", "add1", "exp")


def _tokens(text) -> list[str]:
    if isinstance(text, str):
        return text.split()
    if isinstance(text, (list, tuple)) and all(isinstance(t, str) for t in text):
        return list(text)
    raise TypeError(f"a text must be a str or a list of str tokens, got {type(text).__name__}")


def ngrams(tokens: Sequence[str], n: int) -> collections.Counter:
    """The counts of the n-grams (tuples of n tokens) of ``tokens``."""
    return collections.Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def _clipped_counts(references: list[list[str]], candidate: list[str], n: int) -> tuple[int, int]:
    """(clipped matches, candidate n-grams) for one candidate."""
    counts = ngrams(candidate, n)
    max_reference = collections.Counter()
    for reference in references:
        for gram, count in ngrams(reference, n).items():
            max_reference[gram] = max(max_reference[gram], count)
    clipped = sum(min(count, max_reference[gram]) for gram, count in counts.items())
    return clipped, sum(counts.values())


def modified_precision(references, candidate, n: int) -> Fraction:
    """The clipped n-gram precision of one candidate (an exact Fraction; 0/0 gives 0)."""
    matches, total = _clipped_counts([_tokens(r) for r in references], _tokens(candidate), n)
    return Fraction(matches, total) if total else Fraction(0)


def closest_reference_length(references: list[list[str]], candidate_length: int) -> int:
    """The reference length closest to the candidate's (the shorter one on ties)."""
    return min((len(r) for r in references), key=lambda length: (abs(length - candidate_length), length))


def brevity_penalty(reference_length: int, candidate_length: int) -> float:
    """1 if the candidates are longer than the references, else exp(1 - R / C) (0 for C = 0)."""
    if candidate_length > reference_length:
        return 1.0
    if candidate_length == 0:
        return 0.0
    return math.exp(1 - reference_length / candidate_length)


def _check_options(max_n: int, weights, smoothing: str, epsilon: float) -> tuple[float, ...]:
    if isinstance(max_n, bool) or not isinstance(max_n, int) or max_n < 1:
        raise ValueError(f"max_n must be an int >= 1, got {max_n!r}")
    weights = tuple(float(w) for w in (weights if weights is not None else [1.0 / max_n] * max_n))
    if len(weights) != max_n or any(not math.isfinite(w) or w < 0 for w in weights):
        raise ValueError(f"weights must be {max_n} finite numbers >= 0, got {weights}")
    if smoothing not in SMOOTHING:
        raise ValueError(f"smoothing must be one of {SMOOTHING}, got {smoothing!r}")
    if not (math.isfinite(epsilon) and epsilon > 0):
        raise ValueError(f"epsilon must be a finite number > 0, got {epsilon!r}")
    return weights


def corpus_bleu(list_of_references, candidates, *, max_n: int = 4, weights=None,
                smoothing: str = "none", epsilon: float = 0.1) -> float:
    """Corpus BLEU of ``candidates`` (texts), each against its list of reference texts."""
    weights = _check_options(max_n, weights, smoothing, epsilon)
    if isinstance(candidates, str) or isinstance(list_of_references, str):
        raise TypeError("candidates and list_of_references must be sequences, one entry per "
                        "candidate (use sentence_bleu for one candidate)")
    if len(list_of_references) != len(candidates):
        raise ValueError(f"list_of_references has {len(list_of_references)} entries but there are "
                         f"{len(candidates)} candidates")
    matches, totals = [0] * max_n, [0] * max_n
    candidate_length = reference_length = 0
    for references, candidate in zip(list_of_references, candidates):
        if isinstance(references, str):
            raise TypeError("each entry of list_of_references must be a list of references")
        references = [_tokens(r) for r in references]
        if not references:
            raise ValueError("every candidate needs at least one reference")
        candidate = _tokens(candidate)
        for n in range(1, max_n + 1):
            m, t = _clipped_counts(references, candidate, n)
            matches[n - 1] += m
            totals[n - 1] += t
        candidate_length += len(candidate)
        reference_length += closest_reference_length(references, len(candidate))
    if candidate_length == 0:
        return 0.0
    log_sum, zeros = 0.0, 0
    for n, (m, t, w) in enumerate(zip(matches, totals, weights), start=1):
        if w == 0:
            continue
        if smoothing == "add1" and n >= 2:
            m, t = m + 1, t + 1
        if m == 0:
            zeros += 1
            if smoothing == "none" or t == 0:
                return 0.0
            m = epsilon if smoothing == "epsilon" else (0.5 ** zeros if smoothing == "exp" else m)
            if m == 0:
                return 0.0  # add1 leaves a zero unigram numerator at zero
        log_sum += w * math.log(m / t)
    return brevity_penalty(reference_length, candidate_length) * math.exp(log_sum)


def sentence_bleu(references, candidate, **options) -> float:
    """BLEU of one candidate against its references (corpus BLEU of a one-sentence corpus)."""
    return corpus_bleu([references], [candidate], **options)
