"""Inverted dropout.

In training each element is kept with probability 1 - p and scaled by
1 / (1 - p), so the expected output equals the input and evaluation needs no
rescaling::

    y = x * mask / (1 - p),   mask_i ~ Bernoulli(1 - p),   dy/dx = mask / (1 - p)

The mask is drawn from the library generator (:mod:`rosenblatt.random`), so
``rb.manual_seed`` makes it repeatable: element i is kept when u_i >= p for
u = generator().random(x.shape).
"""

from __future__ import annotations

import numbers

import numpy as np

from rosenblatt.autograd import Function
from rosenblatt.random import generator
from rosenblatt.tensor import Tensor


class Dropout(Function):
    """y = x * scaled_mask, where scaled_mask is 0 or 1 / (1 - p) (a constant of the op)."""

    @staticmethod
    def forward(ctx, x, scaled_mask):
        ctx.save_for_backward(scaled_mask)
        return x * scaled_mask

    @staticmethod
    def backward(ctx, g):
        (scaled_mask,) = ctx.saved_tensors
        return g * scaled_mask, None


def check_probability(p) -> float:
    """``p`` as a float, or ValueError when it is not a number in [0, 1]."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p!r}")
    return float(p)


def dropout(input: Tensor, p: float = 0.5, training: bool = True) -> Tensor:  # noqa: A002
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p) in training.

    In evaluation (``training=False``) or with ``p = 0`` the input is returned
    unchanged; ``p = 1`` gives zeros.
    """
    p = check_probability(p)
    if not isinstance(input, Tensor):
        raise TypeError(f"dropout: input must be a Tensor, got {type(input).__name__}")
    if not np.issubdtype(input.dtype, np.floating):
        raise TypeError(f"dropout: needs a floating-point input, got {input.dtype}")
    if not training or p == 0.0:
        return input
    return Dropout.apply(input, _scaled_mask(input.shape, p, input.dtype))


def _scaled_mask(shape: tuple, p: float, dtype) -> np.ndarray:
    """0 with probability p, else 1 / (1 - p); element i is kept when u_i >= p."""
    if p == 1.0:
        return np.zeros(shape, dtype)
    u = generator().random(shape, dtype=np.float64)
    return (u >= p).astype(dtype) * dtype.type(1.0 / (1.0 - p))


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True) -> Tensor:  # noqa: A002
    """Zero whole channels: each (n, c) plane of (N, C, H, W) is kept with probability 1 - p.

    Kept planes are scaled by 1 / (1 - p); a (C, H, W) input is one sample.
    The mask has shape (N, C, 1, 1) and broadcasts over H and W.
    """
    p = check_probability(p)
    if not isinstance(input, Tensor):
        raise TypeError(f"dropout2d: input must be a Tensor, got {type(input).__name__}")
    if not np.issubdtype(input.dtype, np.floating):
        raise TypeError(f"dropout2d: needs a floating-point input, got {input.dtype}")
    if input.ndim not in (3, 4):
        raise ValueError(f"dropout2d: input must be 4-D (N, C, H, W) or 3-D (C, H, W), got "
                         f"shape {input.shape}")
    if not training or p == 0.0:
        return input
    return Dropout.apply(input, _scaled_mask(input.shape[:-2] + (1, 1), p, input.dtype))
