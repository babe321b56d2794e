"""Attention of one query over a sequence of encoder states: additive (Bahdanau) and multiplicative (Luong).

For a query s (B, Q) (a decoder state) and keys h_1..h_S (B, S, K) (the
encoder's outputs), a score e_j per position gives the weights
a = softmax(e) over the real (unmasked) positions and the context vector
c = sum_j a_j h_j (B, K). The scores:

* additive (Bahdanau et al., 2015): e_j = v^T tanh(W s + U h_j), with
  W (A, Q), U (A, K) and v (A,), A the attention size;
* multiplicative (Luong et al., 2015): ``"dot"`` e_j = s^T h_j (needs Q = K),
  ``"general"`` e_j = s^T W_a h_j with W_a (Q, K).

The key projections (U h_j, or W_a h_j) do not depend on the query, so
:meth:`prepare` computes them once per source sequence and every decoding
step reuses them. ``mask`` (B, S) is True at real positions; padded positions
get weight exactly 0.
"""

from __future__ import annotations

import numpy as np

from rosenblatt import functional as F
from rosenblatt import nn
from rosenblatt.tensor import Tensor

SCORES = ("additive", "dot", "general")


def masked_softmax(scores: Tensor, mask: np.ndarray | None) -> Tensor:
    """softmax over the last axis of ``scores`` (B, S) where ``mask`` (B, S) is True; 0 elsewhere."""
    if mask is None:
        return F.softmax(scores, dim=-1)
    return F.softmax(F.where(mask, scores, np.asarray(-1e30, dtype=scores.dtype)), dim=-1)


class Attention(nn.Module):
    """Attention of a query (B, Q) over keys (B, S, K); ``score`` is one of :data:`SCORES`."""

    def __init__(self, query_size: int, key_size: int, score: str = "additive", *,
                 attention_size: int | None = None) -> None:
        super().__init__()
        if score not in SCORES:
            raise ValueError(f"score must be one of {SCORES}, got {score!r}")
        if score == "dot" and query_size != key_size:
            raise ValueError(f"dot attention needs query_size == key_size, got {query_size} and "
                             f"{key_size}")
        self.score, self.query_size, self.key_size = score, int(query_size), int(key_size)
        if score == "additive":
            attention_size = int(attention_size or query_size)
            self.query_projection = nn.Linear(query_size, attention_size, bias=False)  # W
            self.key_projection = nn.Linear(key_size, attention_size)                  # U (+ bias)
            self.v = nn.Linear(attention_size, 1, bias=False)
        elif score == "general":
            self.key_projection = nn.Linear(key_size, query_size, bias=False)          # W_a

    def prepare(self, keys: Tensor) -> Tensor | None:
        """The query-independent projection of the keys (B, S, A or Q), None for dot attention."""
        if keys.ndim != 3 or keys.shape[2] != self.key_size:
            raise ValueError(f"keys must have shape (batch, length, {self.key_size}), got {keys.shape}")
        return None if self.score == "dot" else self.key_projection(keys)

    def forward(self, query: Tensor, keys: Tensor, mask: np.ndarray | None = None,
                prepared: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """(context (B, K), weights (B, S)); ``prepared`` is :meth:`prepare`'s result, if at hand."""
        if query.ndim != 2 or query.shape[1] != self.query_size or query.shape[0] != keys.shape[0]:
            raise ValueError(f"query must have shape ({keys.shape[0]}, {self.query_size}), "
                             f"got {query.shape}")
        if prepared is None:
            prepared = self.prepare(keys)
        if self.score == "additive":
            hidden = F.tanh(prepared + F.unsqueeze(self.query_projection(query), 1))  # (B, S, A)
            scores = F.squeeze(self.v(hidden), 2)
        else:
            projected = keys if self.score == "dot" else prepared                  # (B, S, Q)
            scores = F.squeeze(F.matmul(projected, F.unsqueeze(query, 2)), 2)
        weights = masked_softmax(scores, mask)
        context = F.squeeze(F.matmul(F.unsqueeze(weights, 1), keys), 1)
        return context, weights

    def extra_repr(self) -> str:
        return f"{self.query_size}, {self.key_size}, score={self.score!r}"


class AttentionPooling(nn.Module):
    """A sequence (B, S, K) pooled into one vector (B, K) by attention with a learned query.

    As in hierarchical attention networks (Yang et al., 2016):
    u_j = tanh(W h_j + b), a = softmax_j(u_j^T q) over the real positions,
    result sum_j a_j h_j, with W (A, K), b (A,) and the learned query q (A,).
    """

    def __init__(self, input_size: int, attention_size: int) -> None:
        super().__init__()
        self.projection = nn.Linear(input_size, attention_size)
        self.query = nn.Linear(attention_size, 1, bias=False)  # q as a (1, A) weight

    def forward(self, inputs: Tensor, mask: np.ndarray | None = None) -> tuple[Tensor, Tensor]:
        """(pooled (B, K), weights (B, S))."""
        if inputs.ndim != 3:
            raise ValueError(f"inputs must have shape (batch, length, features), got {inputs.shape}")
        scores = F.squeeze(self.query(F.tanh(self.projection(inputs))), 2)
        weights = masked_softmax(scores, mask)
        return F.squeeze(F.matmul(F.unsqueeze(weights, 1), inputs), 1), weights
