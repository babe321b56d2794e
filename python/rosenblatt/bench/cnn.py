"""Benchmark of a whole convolutional training step: LeNet-5 on a batch of 64 MNIST-sized images.

The step: :class:`rosenblatt.models.LeNet5` (28x28 input, conv 5x5 pad 2 -> 6,
max pool, ReLU, conv 5x5 -> 16, max pool, ReLU, 400-120-84-10 with ReLU; PyTorch
runs the same layers in the same order), cross-entropy,
backward and one Adam update, in rosenblatt and in PyTorch (CPU, the same
thread count), from the same initial weights and the same batch. NumPy has no
autograd, so the baseline column is PyTorch. The issue's target: at most
1.25x PyTorch's time.

Run: ``rosenblatt bench --only cnn``.
"""

from __future__ import annotations

import numpy as np

from rosenblatt.bench.common import Case, torch_or_none

BATCH = 64
IMAGE = 28
CLASSES = 10


def _batch(seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.random((BATCH, 1, IMAGE, IMAGE)).astype(np.float32)
    y = rng.integers(0, CLASSES, BATCH)
    return x, y


def _rosenblatt_model():
    import rosenblatt as rb
    from rosenblatt.models import LeNet5

    rb.manual_seed(0)
    return LeNet5(1, CLASSES, IMAGE)


def _training_step(model, optimizer, cross_entropy, x, y):
    """One step, written once for both libraries (they share these names)."""

    def step():
        optimizer.zero_grad()
        cross_entropy(model(x), y).backward()
        optimizer.step()

    return step


def _rosenblatt_step(model):
    import rosenblatt as rb
    from rosenblatt import functional as F

    x, y = _batch()
    return _training_step(model, rb.optim.Adam(model.parameters(), lr=1e-3), F.cross_entropy,
                          rb.Tensor(x), y)


def _torch_step(torch, weights: dict):
    """The same network in PyTorch, loaded with ``weights`` (our state_dict as arrays)."""
    nn = torch.nn
    features = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.MaxPool2d(2), nn.ReLU(),
                             nn.Conv2d(6, 16, 5), nn.MaxPool2d(2), nn.ReLU())
    classifier = nn.Sequential(nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84),
                               nn.ReLU(), nn.Linear(84, CLASSES))
    model = nn.Sequential()
    model.add_module("features", features)
    model.add_module("classifier", classifier)
    model.load_state_dict({name: torch.from_numpy(np.array(value)) for name, value in weights.items()})
    x, y = _batch()
    return _training_step(model, torch.optim.Adam(model.parameters(), lr=1e-3),
                          torch.nn.functional.cross_entropy, torch.from_numpy(x), torch.from_numpy(y))


def _flops() -> int:
    """Forward multiply-adds of the convolutions and Linears, times 2 (FLOPs), times 3 for the
    forward, the input gradient and the weight gradient (the first layer's input gradient is
    not needed, but the count keeps the usual 3x rule)."""
    conv1 = 6 * 28 * 28 * 1 * 25
    conv2 = 16 * 10 * 10 * 6 * 25
    linears = 400 * 120 + 120 * 84 + 84 * CLASSES
    return 3 * 2 * BATCH * (conv1 + conv2 + linears)


def cases(quick: bool = False) -> list[Case]:
    torch = torch_or_none()
    model = _rosenblatt_model()
    weights = {name: value.data.copy() for name, value in model.state_dict().items()}
    step = {"rosenblatt": _rosenblatt_step(model)}
    if torch is not None:
        step["torch"] = _torch_step(torch, weights)
    return [Case(f"LeNet-5 train step, batch {BATCH}, {IMAGE}x{IMAGE}, Adam", step, flops=_flops(),
                 baseline="torch")]
