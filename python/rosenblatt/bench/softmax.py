"""Benchmark of the softmax family against NumPy (and PyTorch when installed).

Target: cross-entropy loss and gradient of 4096 x 1000 float32 logits at
least 3x faster than the NumPy composite below. Run with
``rosenblatt bench --only softmax``.
"""

from __future__ import annotations

import numpy as np

from rosenblatt import kernels
from rosenblatt.bench.common import Case, torch_or_none


def numpy_softmax(x: np.ndarray) -> np.ndarray:
    """softmax along the last axis: exp(x - max) / sum exp(x - max)."""
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    e /= e.sum(axis=-1, keepdims=True)
    return e


def numpy_log_softmax(x: np.ndarray) -> np.ndarray:
    """log-softmax along the last axis: (x - max) - log sum exp(x - max)."""
    shifted = x - x.max(axis=-1, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return shifted


def numpy_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy and its gradient (p - onehot) / N, written in NumPy."""
    n = logits.shape[0]
    rows = np.arange(n)
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    sum_exp = exp.sum(axis=1, keepdims=True)
    loss = float(np.mean(np.log(sum_exp[:, 0]) - shifted[rows, labels]))
    grad = exp
    grad *= 1.0 / (n * sum_exp)  # p / N
    grad[rows, labels] -= 1.0 / n  # - onehot / N
    return loss, grad


def cases(quick: bool = False) -> list[Case]:
    """The benchmark cases: 4096 x 1000 float32 (256 x 1000 when quick)."""
    n, c = (256, 1000) if quick else (4096, 1000)
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((n, c)) * 3).astype(np.float32)
    labels = rng.integers(0, c, size=n)
    shape = f"{n}x{c} float32"

    ce = {
        "rosenblatt": lambda: kernels.cross_entropy(x, labels),
        "numpy": lambda: numpy_cross_entropy(x, labels),
    }
    sm = {"rosenblatt": lambda: kernels.softmax(x), "numpy": lambda: numpy_softmax(x)}
    lsm = {"rosenblatt": lambda: kernels.log_softmax(x), "numpy": lambda: numpy_log_softmax(x)}

    torch = torch_or_none()
    if torch is not None:
        x_t = torch.from_numpy(x)
        labels_t = torch.from_numpy(labels)
        leaf = torch.from_numpy(x.copy()).requires_grad_(True)

        def torch_cross_entropy():
            leaf.grad = None
            loss = torch.nn.functional.cross_entropy(leaf, labels_t)
            loss.backward()
            return loss.item(), leaf.grad

        ce["torch"] = torch_cross_entropy
        sm["torch"] = lambda: torch.softmax(x_t, dim=-1)
        lsm["torch"] = lambda: torch.log_softmax(x_t, dim=-1)

    return [
        Case(f"cross_entropy loss+grad {shape}", ce),
        Case(f"softmax {shape}", sm),
        Case(f"log_softmax {shape}", lsm),
    ]

