"""Reductions: sum, mean, max, min, var, std, logsumexp.

Each takes ``axis`` (an int, a tuple, or None for all) and ``keepdims``;
PyTorch's spellings ``dim`` and ``keepdim`` are accepted too. A reduction's
gradient is the upstream gradient broadcast back over the reduced axes.
"""

from __future__ import annotations

import builtins

import numpy as np

from rosenblatt.autograd import Function
from rosenblatt.tensor import Tensor


def normalize_axes(axis, ndim: int) -> tuple:
    """``axis`` as a sorted tuple of non-negative axes (all axes for None)."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not -builtins.max(ndim, 1) <= a < builtins.max(ndim, 1):
            raise IndexError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
        out.append(int(a) % builtins.max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axis in {axis}")
    return tuple(sorted(out))


def _resolve(axis, keepdims, dim, keepdim):
    if dim is not None:
        if axis is not None:
            raise TypeError("pass axis or dim, not both")
        axis = dim
    return axis, keepdims if keepdim is None else keepdim


def _expand(g: np.ndarray, axes: tuple, keepdims: bool, shape: tuple) -> np.ndarray:
    """The gradient of a reduction over ``axes`` broadcast back to the input's ``shape``."""
    if not keepdims:
        g = np.expand_dims(g, axes) if shape else g
    return np.broadcast_to(g, shape)


class Sum(Function):
    @staticmethod
    def forward(ctx, a, axes, keepdims):
        ctx.shape, ctx.axes, ctx.keepdims = a.shape, axes, keepdims
        return np.asarray(a.sum(axis=axes, keepdims=keepdims))

    @staticmethod
    def backward(ctx, g):
        return _expand(g, ctx.axes, ctx.keepdims, ctx.shape)


class Mean(Function):
    @staticmethod
    def forward(ctx, a, axes, keepdims):
        ctx.shape, ctx.axes, ctx.keepdims = a.shape, axes, keepdims
        ctx.count = int(np.prod([a.shape[i] for i in axes]))
        return np.asarray(a.mean(axis=axes, keepdims=keepdims))

    @staticmethod
    def backward(ctx, g):
        return _expand(g / ctx.count, ctx.axes, ctx.keepdims, ctx.shape)


class Max(Function):
    """Max over axes; tied maxima share the gradient equally (as torch.amax)."""

    @staticmethod
    def forward(ctx, a, axes, keepdims):
        if a.size == 0:
            raise ValueError(f"max/min of an empty tensor of shape {a.shape}")
        out = np.asarray(a.max(axis=axes, keepdims=True))
        ctx.save_for_backward(a, out)
        ctx.axes, ctx.keepdims = axes, keepdims
        return out if keepdims else np.squeeze(out, axis=axes)

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        hit = a == out
        share = hit / hit.sum(axis=ctx.axes, keepdims=True)
        return _expand(g, ctx.axes, ctx.keepdims, a.shape) * share


class Var(Function):
    """sum((a - mean)^2) / (n - correction); d/da = 2 (a - mean) / (n - correction)."""

    @staticmethod
    def forward(ctx, a, axes, keepdims, correction):
        count = int(np.prod([a.shape[i] for i in axes]))
        centered = a - a.mean(axis=axes, keepdims=True)
        ctx.save_for_backward(centered)
        ctx.axes, ctx.keepdims, ctx.denominator = axes, keepdims, builtins.max(count - correction, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray((centered * centered).sum(axis=axes, keepdims=keepdims)
                              / a.dtype.type(ctx.denominator))

    @staticmethod
    def backward(ctx, g):
        (centered,) = ctx.saved_tensors
        scale = 2 / centered.dtype.type(ctx.denominator)
        return _expand(g, ctx.axes, ctx.keepdims, centered.shape) * centered * scale


class LogSumExp(Function):
    """log sum exp(a), computed as m + log sum exp(a - m) with m the max; d/da = softmax(a)."""

    @staticmethod
    def forward(ctx, a, axes, keepdims):
        m = a.max(axis=axes, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        out = m + np.log(np.exp(a - m).sum(axis=axes, keepdims=True))
        ctx.save_for_backward(a, out)
        ctx.axes, ctx.keepdims = axes, keepdims
        return out if keepdims else np.squeeze(out, axis=axes)

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        return _expand(g, ctx.axes, ctx.keepdims, a.shape) * np.exp(a - out)


def _reduction(function, a: Tensor, axis, keepdims, dim, keepdim, *extra):
    axis, keepdims = _resolve(axis, keepdims, dim, keepdim)
    return function.apply(a, normalize_axes(axis, a.ndim), bool(keepdims), *extra)


def sum(a: Tensor, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:  # noqa: A001
    return _reduction(Sum, a, axis, keepdims, dim, keepdim)


def mean(a: Tensor, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
    return _reduction(Mean, a, axis, keepdims, dim, keepdim)


def max(a: Tensor, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:  # noqa: A001
    return _reduction(Max, a, axis, keepdims, dim, keepdim)


def min(a: Tensor, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:  # noqa: A001
    return -_reduction(Max, -a, axis, keepdims, dim, keepdim)


def var(a: Tensor, axis=None, keepdims=False, *, correction=1, dim=None, keepdim=None) -> Tensor:
    """Variance with Bessel's ``correction`` (1: unbiased, as torch; 0: the population variance)."""
    return _reduction(Var, a, axis, keepdims, dim, keepdim, correction)


def std(a: Tensor, axis=None, keepdims=False, *, correction=1, dim=None, keepdim=None) -> Tensor:
    return var(a, axis, keepdims, correction=correction, dim=dim, keepdim=keepdim).sqrt()


def logsumexp(a: Tensor, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
    return _reduction(LogSumExp, a, axis, keepdims, dim, keepdim)


def arg(function, a: Tensor, axis, keepdims, dim, keepdim) -> np.ndarray:
    """argmax/argmin indices (int64) over one axis, or over the flattened tensor."""
    axis, keepdims = _resolve(axis, keepdims, dim, keepdim)
    return np.asarray(function(a.data, axis=axis, keepdims=bool(keepdims)), dtype=np.int64)
