"""Hierarchical attention network (Yang et al., 2016) for document classification.

A document is a list of sentences, a sentence a list of words. Two levels:

* words: embedding -> bidirectional GRU over each sentence's words ->
  attention pooling (u = tanh(W h + b), a = softmax(u^T q_w)) into one
  vector per sentence;
* sentences: bidirectional GRU over the sentence vectors -> attention
  pooling (with its own query q_s) into one document vector;

then a linear layer gives the class logits. Padded words and padded
sentences get attention weight 0 (:class:`~rosenblatt.models.attention.AttentionPooling`);
the GRUs read each sentence and document up to its own length.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from rosenblatt import functional as F
from rosenblatt import nn
from rosenblatt.autograd import no_grad
from rosenblatt.functional.embedding import token_ids
from rosenblatt.models.attention import AttentionPooling
from rosenblatt.tensor import Tensor
from rosenblatt.text.vocab import Vocab


def batch_documents(vocab: Vocab, documents: Sequence[Sequence[str]]) -> tuple[np.ndarray, ...]:
    """(ids (D, S, W) int64, word counts (D, S), sentence counts (D,)) of tokenized documents.

    S is the most sentences of a document, W the most words of a sentence;
    padding is ``vocab.pad_id``. A padded sentence has word count 0.
    """
    if isinstance(documents, str) or any(isinstance(d, str) for d in documents):
        raise TypeError("documents must be a sequence of documents, each a sequence of sentences")
    if not documents or any(len(d) == 0 for d in documents):
        raise ValueError("documents must be non-empty and every document needs a sentence")
    encoded = [[vocab.encode(sentence) for sentence in document] for document in documents]
    S = max(len(d) for d in encoded)
    W = max(1, max(len(s) for d in encoded for s in d))
    ids = np.full((len(encoded), S, W), vocab.pad_id, dtype=np.int64)
    word_counts = np.zeros((len(encoded), S), dtype=np.int64)
    for i, document in enumerate(encoded):
        for j, sentence in enumerate(document):
            ids[i, j, :len(sentence)] = sentence
            word_counts[i, j] = len(sentence)
    return ids, word_counts, np.array([len(d) for d in encoded], dtype=np.int64)


class HierarchicalAttentionNetwork(nn.Module):
    """Word-level GRU + attention into sentence vectors, sentence-level GRU + attention into a document.

    ``forward(ids, word_counts, sentence_counts)`` takes :func:`batch_documents`'
    arrays and returns logits (D, num_classes); the attention weights of the
    last call stay in ``word_weights`` (D, S, W) and ``sentence_weights`` (D, S).
    """

    def __init__(self, vocab_size: int, num_classes: int, *, embedding_dim: int = 32,
                 hidden_size: int = 32, attention_size: int = 32, pad_id: int = 0) -> None:
        super().__init__()
        for name, value in (("vocab_size", vocab_size), ("num_classes", num_classes),
                            ("embedding_dim", embedding_dim), ("hidden_size", hidden_size),
                            ("attention_size", attention_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_id)
        self.word_encoder = nn.GRU(embedding_dim, hidden_size, batch_first=True, bidirectional=True)
        self.word_attention = AttentionPooling(2 * hidden_size, attention_size)
        self.sentence_encoder = nn.GRU(2 * hidden_size, hidden_size, batch_first=True,
                                       bidirectional=True)
        self.sentence_attention = AttentionPooling(2 * hidden_size, attention_size)
        self.classifier = nn.Linear(2 * hidden_size, num_classes)
        self.word_weights: np.ndarray | None = None
        self.sentence_weights: np.ndarray | None = None

    def forward(self, ids, word_counts, sentence_counts) -> Tensor:
        ids = token_ids(ids, self.embedding.num_embeddings, "HierarchicalAttentionNetwork ids")
        word_counts = np.asarray(word_counts, dtype=np.int64)
        sentence_counts = np.asarray(sentence_counts, dtype=np.int64)
        if ids.ndim != 3 or word_counts.shape != ids.shape[:2] or sentence_counts.shape != ids.shape[:1]:
            raise ValueError(f"expected ids (D, S, W), word_counts (D, S) and sentence_counts (D,), "
                             f"got {ids.shape}, {word_counts.shape} and {sentence_counts.shape}")
        D, S, W = ids.shape
        if (sentence_counts < 1).any() or (sentence_counts > S).any():
            raise ValueError(f"sentence_counts must lie in [1, {S}]")
        # word level: every (document, sentence) slot is one sequence; an empty slot reads one
        # pad token (the GRU needs length >= 1) and is masked out at the sentence level
        words = self.embedding(ids.reshape(D * S, W))
        word_lengths = np.maximum(word_counts.reshape(-1), 1)
        states, _ = self.word_encoder(words, lengths=word_lengths)
        word_mask = np.arange(W)[None, :] < word_lengths[:, None]
        sentences, word_weights = self.word_attention(states, word_mask)
        # sentence level
        sentences = sentences.reshape(D, S, sentences.shape[1])
        states, _ = self.sentence_encoder(sentences, lengths=sentence_counts)
        sentence_mask = np.arange(S)[None, :] < sentence_counts[:, None]
        document, sentence_weights = self.sentence_attention(states, sentence_mask)
        # an empty sentence slot attends to nothing
        self.word_weights = word_weights.data.reshape(D, S, W) * (word_counts > 0)[:, :, None]
        self.sentence_weights = sentence_weights.data
        return self.classifier(document)

    def loss(self, batch: tuple, labels) -> Tensor:
        return F.cross_entropy(self(*batch), np.asarray(labels, dtype=np.int64))

    def predict(self, batch: tuple) -> np.ndarray:
        """The most probable class of each document."""
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                return self(*batch).data.argmax(axis=1)
        finally:
            self.train(was_training)
