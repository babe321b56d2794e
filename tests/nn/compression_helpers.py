"""A small MLP trained on the bundled digits, shared by the LoRA, pruning and quantization tests."""

from __future__ import annotations

import numpy as np

import rosenblatt as rb
from rosenblatt import functional as F
from rosenblatt import nn


def digits_split():
    """(X_train, X_test, y_train, y_test) of the bundled digits, pixels scaled to [0, 1]."""
    X, y = rb.data.load_digits()
    X_train, X_test, y_train, y_test = rb.data.train_test_split(X, y, test_size=0.2, seed=0)
    return (X_train / 16).astype(np.float32), (X_test / 16).astype(np.float32), y_train, y_test


def digits_mlp(hidden: int = 128) -> nn.Module:
    return nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                         nn.Linear(hidden, 10))


def train(model, X, y, *, epochs: int, lr: float = 3e-3, batch_size: int = 64, seed: int = 0,
          after_step=None, weight_decay: float = 0.0):
    """Adam on minibatches of (X, y); only the parameters that require grad train."""
    rng = np.random.default_rng(seed)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = rb.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    model.train()
    for _ in range(epochs):
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            optimizer.zero_grad()
            F.cross_entropy(model(rb.Tensor(X[batch])), y[batch]).backward()
            optimizer.step()
            if after_step is not None:
                after_step()
    model.eval()
    return model


def accuracy(model, X, y) -> float:
    with rb.no_grad():
        return float((model(rb.Tensor(X)).data.argmax(1) == y).mean())
