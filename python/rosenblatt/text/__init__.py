"""Text tools: vocabularies, padded batches and next-token sampling.

``CharVocab`` / ``WordVocab`` map tokens to ids with ``<pad>``, ``<unk>``
(and ``<bos>``/``<eos>`` for sequence-to-sequence) and build padded
``(batch, time)`` id arrays; ``sample`` picks the next token from logits
(greedy, temperature, top-k, top-p) through rosenblatt's generator;
``greedy_search`` / ``beam_search`` decode any model given as a step function.
"""

from rosenblatt.text.beam_search import Hypotheses, beam_search, greedy_search, select_state

from rosenblatt.text.sampling import sample, sampling_probabilities, top_k_filter, top_p_filter
from rosenblatt.text.vocab import (
    BOS,
    EOS,
    PAD,
    UNK,
    CharVocab,
    Vocab,
    WordVocab,
    pad_sequences,
    vocab_from_dict,
)

__all__ = [
    "BOS", "EOS", "PAD", "UNK", "CharVocab", "Hypotheses", "Vocab", "WordVocab", "beam_search",
    "greedy_search", "pad_sequences", "sample", "sampling_probabilities", "select_state",
    "top_k_filter", "top_p_filter", "vocab_from_dict",
]
