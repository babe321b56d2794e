"""Shared pieces of the rb.train tests: generated data and a small model with dropout."""

import numpy as np
import rosenblatt as rb
import rosenblatt.nn as nn
from rosenblatt.data import DataLoader, TensorDataset


def blobs(n=240, features=4, classes=3, seed=0):
    """Separable Gaussian blobs: (X float32 (n, features), y int64 (n,))."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(classes, features))
    y = rng.integers(0, classes, size=n)
    X = centers[y] + rng.normal(size=(n, features))
    return X.astype(np.float32), y.astype(np.int64)


def mlp(features=4, classes=3, dropout=0.2):
    return nn.Sequential(nn.Linear(features, 16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, classes))


class Run:
    """A seeded model, optimizer, scheduler and shuffling loaders on blob data."""

    def __init__(self, seed=0, lr=0.05, loader_generator=False, optimizer="adam"):
        rb.manual_seed(seed)
        X, y = blobs()
        self.model = mlp()
        params = self.model.parameters()
        self.optimizer = (rb.optim.Adam(params, lr=lr) if optimizer == "adam"
                          else rb.optim.SGD(params, lr=lr, momentum=0.9))
        self.scheduler = rb.optim.lr_scheduler.StepLR(self.optimizer, step_size=2, gamma=0.5)
        generator = np.random.default_rng(123) if loader_generator else None
        self.train_loader = DataLoader(TensorDataset(X[:180], y[:180]), batch_size=32, shuffle=True,
                                       generator=generator)
        self.val_loader = DataLoader(TensorDataset(X[180:], y[180:]), batch_size=64)

    def weights(self):
        return {name: np.array(t.data, copy=True) for name, t in self.model.state_dict().items()}
