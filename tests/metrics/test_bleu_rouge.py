"""BLEU and ROUGE on worked examples (Papineni et al. 2002; Lin 2004), and nltk when installed."""

import math
from fractions import Fraction

import pytest

from rosenblatt.metrics import (
    brevity_penalty,
    corpus_bleu,
    lcs_length,
    modified_precision,
    rouge,
    rouge_l,
    rouge_n,
    sentence_bleu,
)

REFERENCES = ["the cat is on the mat", "there is a cat on the mat"]
# Papineni et al.'s examples
PAPINENI_CANDIDATE_1 = ("It is a guide to action which ensures that the military always obeys "
                        "the commands of the party")
PAPINENI_REFERENCES = [
    "It is a guide to action that ensures that the military will forever heed Party commands",
    "It is the guiding principle which guarantees the military forces always being under the "
    "command of the Party",
    "It is the practical guide for the army always to heed the directions of the party",
]


def test_the_the_the_gets_two_sevenths():
    assert modified_precision(REFERENCES, "the the the the the the the", 1) == Fraction(2, 7)
    assert modified_precision(REFERENCES, "the the the the the the the", 2) == Fraction(0)


def test_papineni_example_precisions():
    assert modified_precision(PAPINENI_REFERENCES, PAPINENI_CANDIDATE_1, 1) == Fraction(17, 18)
    assert modified_precision(PAPINENI_REFERENCES, PAPINENI_CANDIDATE_1, 2) == Fraction(10, 17)


def test_sentence_bleu_by_hand():
    candidate = "the cat sat on the mat"
    # p1 = 5/6 (sat unmatched), p2 = 3/5 (the cat, on the, the mat), p3 = 1/4 (on the mat),
    # p4 = 0/3 -> 0 without smoothing; candidate length 6 = closest reference length 6: BP = 1
    assert sentence_bleu(REFERENCES, candidate) == 0.0
    expected = math.exp((math.log(5 / 6) + math.log(3 / 5) + math.log(1 / 4) + math.log(0.1 / 3)) / 4)
    assert sentence_bleu(REFERENCES, candidate, smoothing="epsilon") == pytest.approx(expected)
    exp_smoothed = math.exp((math.log(5 / 6) + math.log(3 / 5) + math.log(1 / 4)
                             + math.log(0.5 / 3)) / 4)
    assert sentence_bleu(REFERENCES, candidate, smoothing="exp") == pytest.approx(exp_smoothed)
    add1 = math.exp((math.log(5 / 6) + math.log(4 / 6) + math.log(2 / 5) + math.log(1 / 4)) / 4)
    assert sentence_bleu(REFERENCES, candidate, smoothing="add1") == pytest.approx(add1)
    bigram = sentence_bleu(REFERENCES, candidate, max_n=2)
    assert bigram == pytest.approx(math.sqrt(5 / 6 * 3 / 5))


def test_identity_and_brevity_penalty():
    assert sentence_bleu(["a b c d e"], "a b c d e") == pytest.approx(1.0)
    # 4 of 5 reference tokens, all n-grams matched: BLEU = BP = exp(1 - 5/4)
    assert sentence_bleu(["a b c d e"], "a b c d") == pytest.approx(math.exp(1 - 5 / 4))
    assert brevity_penalty(5, 6) == 1.0 and brevity_penalty(5, 0) == 0.0
    # closest reference length, the shorter on ties: candidate 5 vs references 4 and 6 -> 4, so
    # BP = 1 (choosing 6 would give exp(1 - 6/5)); every unigram matches
    assert sentence_bleu(["a b c d", "a b c d e f"], "a b c d e", max_n=1) == pytest.approx(1.0)


def test_corpus_bleu_pools_counts_rather_than_averaging():
    references = [["a b c d"], ["e f g h"]]
    candidates = ["a b c d", "e x y z"]
    # p1 = 5/8, p2 = 3/6; R = C = 8 -> BP = 1
    assert corpus_bleu(references, candidates, max_n=2) == pytest.approx(math.sqrt(5 / 8 * 3 / 6))
    mean_of_sentences = (sentence_bleu(references[0], candidates[0], max_n=2) +
                         sentence_bleu(references[1], candidates[1], max_n=2)) / 2
    assert corpus_bleu(references, candidates, max_n=2) != pytest.approx(mean_of_sentences)
    assert corpus_bleu([[["a", "b"]]], [["a", "b"]], max_n=2) == pytest.approx(1.0)  # token lists


def test_bleu_equals_nltk_when_installed():
    nltk_bleu = pytest.importorskip("nltk.translate.bleu_score")
    refs = [[r.split() for r in PAPINENI_REFERENCES], [r.split() for r in REFERENCES]]
    cands = [PAPINENI_CANDIDATE_1.split(), "the cat sat on the mat".split()]
    assert corpus_bleu(refs, cands) == pytest.approx(nltk_bleu.corpus_bleu(refs, cands))
    smooth = nltk_bleu.SmoothingFunction()
    assert sentence_bleu(refs[1], cands[1], smoothing="epsilon") == pytest.approx(
        nltk_bleu.sentence_bleu(refs[1], cands[1], smoothing_function=smooth.method1))


def test_rouge_worked_example():
    reference, candidate = "the cat was under the bed", "the cat was found under the bed"
    one = rouge_n(reference, candidate, 1)
    assert one.recall == pytest.approx(6 / 6) and one.precision == pytest.approx(6 / 7)
    assert one.fmeasure == pytest.approx(2 * (6 / 7) / (1 + 6 / 7))
    two = rouge_n(reference, candidate, 2)  # the cat, cat was, under the, the bed: 4 of 5 / of 6
    assert (two.precision, two.recall) == pytest.approx((4 / 6, 4 / 5))
    lcs = rouge_l(reference, candidate)  # LCS = the cat was under the bed = 6
    assert (lcs.precision, lcs.recall) == pytest.approx((6 / 7, 1.0))
    assert set(rouge(reference, candidate)) == {"rouge1", "rouge2", "rougeL"}
    assert rouge_n("The Cat!", ["the", "cat"]).fmeasure == 1.0  # lowercased, punctuation dropped
    assert rouge_l("a b", "c d") == (0.0, 0.0, 0.0) and rouge_n("", "a").fmeasure == 0.0


def test_lcs_length():
    assert lcs_length(list("ABCBDAB"), list("BDCABA")) == 4
    assert lcs_length([], ["a"]) == 0


def test_rouge_equals_rouge_score_when_installed():
    scorer_module = pytest.importorskip("rouge_score.rouge_scorer")
    scorer = scorer_module.RougeScorer(["rouge1", "rouge2", "rougeL"])
    reference, candidate = PAPINENI_REFERENCES[0], PAPINENI_CANDIDATE_1
    theirs = scorer.score(reference, candidate)
    for name, ours in rouge(reference, candidate).items():
        assert tuple(ours) == pytest.approx(tuple(theirs[name]))


@pytest.mark.parametrize("call, error, match", [
    (lambda: corpus_bleu([["a"]], ["a", "b"]), ValueError, "entries"),
    (lambda: corpus_bleu([[]], ["a"]), ValueError, "at least one reference"),
    (lambda: corpus_bleu("a", "a"), TypeError, "sequences"),
    (lambda: sentence_bleu(["a"], "a", smoothing="magic"), ValueError, "smoothing"),
    (lambda: sentence_bleu(["a"], "a", max_n=0), ValueError, "max_n"),
    (lambda: sentence_bleu(["a"], "a", weights=[1.0]), ValueError, "weights"),
    (lambda: sentence_bleu(["a"], 3), TypeError, "a text must be"),
    (lambda: rouge_n("a", "a", 0), ValueError, "n must be"),
    (lambda: rouge_l("a", 5), TypeError, "a text must be"),
])
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
