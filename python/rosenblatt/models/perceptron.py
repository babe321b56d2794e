"""Rosenblatt's perceptron, one-vs-rest for many classes.

For labels y in {-1, +1} and a sample x, the prediction is sign(w . x + b);
on a mistake (y (w . x + b) <= 0) the rule updates

    w <- w + y x,    b <- b + y.

On a linearly separable set with margin gamma and radius R the number of
updates is at most (R / gamma)^2 (Novikoff), so training stops when a whole
epoch makes no mistake. The averaged variant predicts with the average of
(w, b) over every step, which generalizes better on data that is not
separable. With C > 2 classes each class c has its own (w_c, b_c), trained on
y_c = +1 for class c and -1 otherwise, all updated together per sample; the
prediction is the class with the highest score. The rule itself is
``rosenblatt.classic.perceptron.rosenblatt_rule``, shared with the
scikit-learn-style ``rb.classic.Perceptron``; this class is its nn.Module face.
"""

from __future__ import annotations

import numpy as np

from rosenblatt import nn
from rosenblatt.classic.base import one_vs_rest_signs, predict_from_scores
from rosenblatt.classic.perceptron import rosenblatt_rule
from rosenblatt.random import generator
from rosenblatt.tensor import Tensor


def as_array(values, name: str, ndim: int) -> np.ndarray:
    """``values`` (an array-like or Tensor) as a finite NumPy array of ``ndim`` dimensions."""
    array = np.asarray(values.data if isinstance(values, Tensor) else values)
    if array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {array.shape}")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinity")
    return array


class Perceptron(nn.Module):
    """A linear classifier trained by the perceptron rule (not by gradients).

    ``weight`` is (C, in_features) and ``bias`` (C,), with C = 1 for two
    classes, so ``forward`` returns scores as a Linear layer would.
    """

    def __init__(self, in_features: int, num_classes: int = 2, *, averaged: bool = False,
                 dtype=np.float32) -> None:
        super().__init__()
        if num_classes < 2:
            raise ValueError(f"num_classes must be >= 2, got {num_classes}")
        rows = 1 if num_classes == 2 else num_classes
        self.num_classes, self.averaged = num_classes, averaged
        self.weight = nn.Parameter(np.zeros((rows, in_features), dtype), requires_grad=False)
        self.bias = nn.Parameter(np.zeros(rows, dtype), requires_grad=False)
        self.updates_ = 0
        self.converged_ = False
        self.mistakes_per_epoch_: list[int] = []

    def forward(self, x: Tensor) -> Tensor:
        from rosenblatt.functional import linear

        scores = linear(x, self.weight, self.bias)
        return scores.reshape(-1) if self.num_classes == 2 else scores

    def fit(self, X, y, *, max_epochs: int = 100, shuffle: bool = True) -> Perceptron:
        """Apply the rule sample by sample until an epoch has no mistake or ``max_epochs`` pass."""
        X = as_array(X, "X", ndim=2)
        y = as_array(y, "y", ndim=1)
        if X.shape[1] != self.weight.shape[1]:
            raise ValueError(f"X has {X.shape[1]} features, the perceptron {self.weight.shape[1]}")
        if len(X) != len(y):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
        if y.size and (y.min() < 0 or y.max() >= self.num_classes):
            raise ValueError(f"labels must be in [0, {self.num_classes}), got {y.min()}..{y.max()}")
        w, b, mistakes, converged = rosenblatt_rule(
            X, one_vs_rest_signs(y, self.num_classes).astype(X.dtype), self.weight.data.astype(np.float64),
            self.bias.data.astype(np.float64), max_epochs=max_epochs,
            rng=generator() if shuffle else None, averaged=self.averaged)
        self.updates_, self.converged_, self.mistakes_per_epoch_ = sum(mistakes), converged, mistakes
        self.weight.data[...] = w
        self.bias.data[...] = b
        return self

    def predict(self, X) -> np.ndarray:
        scores = as_array(X, "X", ndim=2) @ self.weight.data.T + self.bias.data
        return predict_from_scores(np.arange(self.num_classes), scores)

    def extra_repr(self) -> str:
        return (f"in_features={self.weight.shape[1]}, num_classes={self.num_classes}, "
                f"averaged={self.averaged}")
