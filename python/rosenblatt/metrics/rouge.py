"""ROUGE (Lin, 2004): n-gram and longest-common-subsequence overlap with precision, recall and F1.

For a candidate c and a reference r:

* ROUGE-N: overlap = sum_g min(count_c(g), count_r(g)) over n-grams g;
  precision = overlap / #n-grams(c), recall = overlap / #n-grams(r);
* ROUGE-L: with LCS the length of the longest common subsequence of the
  token sequences, precision = LCS / |c|, recall = LCS / |r|;

and F1 = 2 P R / (P + R) (0 when both are 0). Strings are lowercased and
split into runs of letters and digits (as the rouge-score package's default
tokenizer without stemming); token lists are used as given.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from rosenblatt.metrics.bleu import ngrams

_TOKEN = re.compile(r"[a-z0-9]+")


class RougeScore(NamedTuple):
    precision: float
    recall: float
    fmeasure: float


def _tokens(text) -> list[str]:
    if isinstance(text, str):
        return _TOKEN.findall(text.lower())
    if isinstance(text, (list, tuple)) and all(isinstance(t, str) for t in text):
        return list(text)
    raise TypeError(f"a text must be a str or a list of str tokens, got {type(text).__name__}")


def _score(overlap: int, candidate_total: int, reference_total: int) -> RougeScore:
    precision = overlap / candidate_total if candidate_total else 0.0
    recall = overlap / reference_total if reference_total else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return RougeScore(precision, recall, f1)


def rouge_n(reference, candidate, n: int = 1) -> RougeScore:
    """ROUGE-N of ``candidate`` against ``reference``."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    ref, cand = ngrams(_tokens(reference), n), ngrams(_tokens(candidate), n)
    overlap = sum(min(count, ref[gram]) for gram, count in cand.items())
    return _score(overlap, sum(cand.values()), sum(ref.values()))


def lcs_length(a: list, b: list) -> int:
    """Length of the longest common subsequence of ``a`` and ``b`` (dynamic programming, O(|a| |b|))."""
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b):
            current.append(previous[j] + 1 if x == y else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def rouge_l(reference, candidate) -> RougeScore:
    """ROUGE-L (sentence level, LCS-based) of ``candidate`` against ``reference``."""
    ref, cand = _tokens(reference), _tokens(candidate)
    return _score(lcs_length(cand, ref), len(cand), len(ref))


def rouge(reference, candidate) -> dict[str, RougeScore]:
    """{'rouge1', 'rouge2', 'rougeL'}: the three scores of ``candidate`` against ``reference``."""
    return {"rouge1": rouge_n(reference, candidate, 1), "rouge2": rouge_n(reference, candidate, 2),
            "rougeL": rouge_l(reference, candidate)}
