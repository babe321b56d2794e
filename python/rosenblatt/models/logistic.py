"""Logistic regression: a linear layer read through the sigmoid or the softmax.

For two classes p(y=1 | x) = sigmoid(w . x + b); for C classes
p(y=c | x) = softmax(W x + b)_c. Maximizing the log-likelihood is minimizing
the binary or categorical cross-entropy, which :meth:`loss` returns (computed
from the logits, so it never takes the log of a rounded probability); train
it by gradient descent with any optimizer, e.g. through ``rb.train.fit``.
"""

from __future__ import annotations

import numpy as np

from rosenblatt import functional as F
from rosenblatt import nn
from rosenblatt.tensor import Tensor


class LogisticRegression(nn.Module):
    def __init__(self, in_features: int, num_classes: int = 2, *, dtype=np.float32) -> None:
        super().__init__()
        if num_classes < 2:
            raise ValueError(f"num_classes must be >= 2, got {num_classes}")
        self.num_classes = num_classes
        self.linear = nn.Linear(in_features, 1 if num_classes == 2 else num_classes, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        """Logits: (N,) for two classes, (N, C) otherwise."""
        logits = self.linear(x)
        return logits.reshape(-1) if self.num_classes == 2 else logits

    def loss(self, logits: Tensor, y) -> Tensor:
        """The mean negative log-likelihood of integer labels ``y``."""
        if self.num_classes == 2:
            labels = np.asarray(y.data if isinstance(y, Tensor) else y)
            return F.binary_cross_entropy_with_logits(logits, labels.astype(logits.dtype))
        return F.cross_entropy(logits, y)

    def predict_proba(self, x: Tensor) -> np.ndarray:
        """p(y=1 | x) per row for two classes, else the (N, C) class probabilities."""
        from rosenblatt.autograd import no_grad

        with no_grad():
            logits = self(x)
            return (F.sigmoid(logits) if self.num_classes == 2 else F.softmax(logits, 1)).data

    def predict(self, x: Tensor) -> np.ndarray:
        p = self.predict_proba(x)
        return (p > 0.5).astype(np.int64) if self.num_classes == 2 else p.argmax(1)
