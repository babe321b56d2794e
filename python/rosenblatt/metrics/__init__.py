"""Text-generation metrics: BLEU (corpus and sentence level, smoothing) and ROUGE-1/2/L."""

from rosenblatt.metrics.bleu import (
    brevity_penalty,
    corpus_bleu,
    modified_precision,
    ngrams,
    sentence_bleu,
)
from rosenblatt.metrics.rouge import RougeScore, lcs_length, rouge, rouge_l, rouge_n

__all__ = [
    "RougeScore", "brevity_penalty", "corpus_bleu", "lcs_length", "modified_precision", "ngrams",
    "rouge", "rouge_l", "rouge_n", "sentence_bleu",
]
