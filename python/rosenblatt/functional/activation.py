"""Activation functions, softmax and log-softmax.

Each backward is written with the saved output where the derivative allows
it (sigmoid' = y (1 - y), tanh' = 1 - y^2, softmax: dx = y (g - sum(g y)),
log-softmax: dx = g - exp(y) sum(g)), so no input needs to be kept.
"""

from __future__ import annotations

import math

import numpy as np

from rosenblatt import kernels
from rosenblatt.autograd import Function
from rosenblatt.functional import elementwise as ew
from rosenblatt.functional import reduce
from rosenblatt.tensor import Tensor

SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


def _check_axis(x: np.ndarray, dim: int) -> int:
    if not -max(x.ndim, 1) <= dim < max(x.ndim, 1):
        raise IndexError(f"dim {dim} is out of range for a tensor with {x.ndim} dimensions")
    return dim


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        y = 0.5 * np.tanh(0.5 * x) + 0.5  # = 1 / (1 + exp(-x)), without overflow
        ctx.save_for_backward(y)
        return y.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y * (1 - y)


class Tanh(Function):
    @staticmethod
    def forward(ctx, x):
        y = np.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (1 - y * y)


class ReLU(Function):
    @staticmethod
    def forward(ctx, x):
        y = np.maximum(x, 0)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (y > 0)


class LeakyReLU(Function):
    @staticmethod
    def forward(ctx, x, slope):
        ctx.save_for_backward(x)
        ctx.slope = slope
        return np.where(x > 0, x, x * x.dtype.type(slope))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.where(x > 0, 1, x.dtype.type(ctx.slope)), None


class ELU(Function):
    """x for x > 0, else scale * alpha * (exp(x) - 1) (scale = 1: ELU; SELU's constants: SELU)."""

    @staticmethod
    def forward(ctx, x, alpha, scale):
        negative = alpha * np.expm1(np.minimum(x, 0))
        ctx.save_for_backward(x, negative)
        ctx.alpha, ctx.scale = alpha, scale
        return (scale * np.where(x > 0, x, negative)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, negative = ctx.saved_tensors
        return g * ctx.scale * np.where(x > 0, 1, negative + ctx.alpha), None, None


class Softplus(Function):
    """log(1 + exp(beta x)) / beta, and x where beta x > ``threshold``; d/dx = sigmoid(beta x) (1 there)."""

    @staticmethod
    def forward(ctx, x, beta, threshold):
        bx = beta * x
        ctx.save_for_backward(bx)
        ctx.threshold = threshold
        return np.where(bx > threshold, x, np.logaddexp(0, bx) / beta).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (bx,) = ctx.saved_tensors
        return g * np.where(bx > ctx.threshold, 1, 0.5 * np.tanh(0.5 * bx) + 0.5), None, None


def _erfc(z: np.ndarray) -> np.ndarray:
    """Complementary error function (Numerical Recipes' erfcc: relative error < 1.2e-7)."""
    a = np.abs(z)
    t = 1.0 / (1.0 + 0.5 * a)
    poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (
            -0.82215223 + t * 0.17087277))))))))
    r = t * np.exp(-a * a + poly)
    return np.where(z >= 0, r, 2.0 - r)


class GELU(Function):
    """x Phi(x) with Phi the standard normal CDF (exact form), or its tanh approximation.

    d/dx = Phi(x) + x phi(x) for the exact form.
    """

    @staticmethod
    def forward(ctx, x, approximate):
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        if approximate == "tanh":
            inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)
            ctx.tanh = np.tanh(inner)
            return (0.5 * x * (1 + ctx.tanh)).astype(x.dtype, copy=False)
        cdf = 0.5 * _erfc(-x / math.sqrt(2))
        ctx.cdf = cdf
        return (x * cdf).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if ctx.approximate == "tanh":
            t = ctx.tanh
            d_inner = math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * x * x)
            return (g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * d_inner)).astype(x.dtype), None
        return (g * gelu_derivative(x, ctx.cdf)).astype(x.dtype, copy=False), None


def gelu_derivative(x: np.ndarray, cdf: np.ndarray | None = None) -> np.ndarray:
    """d/dx x Phi(x) = Phi(x) + x phi(x) (exact GELU); ``cdf`` is Phi(x) when already known."""
    if cdf is None:
        cdf = 0.5 * _erfc(-x / math.sqrt(2))
    pdf = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    return cdf + x * pdf


class Softmax(Function):
    @staticmethod
    def forward(ctx, x, dim):
        y = kernels.softmax(np.ascontiguousarray(x), axis=dim)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return y * (g - (g * y).sum(axis=ctx.dim, keepdims=True)), None


class LogSoftmax(Function):
    @staticmethod
    def forward(ctx, x, dim):
        y = kernels.log_softmax(np.ascontiguousarray(x), axis=dim)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g - np.exp(y) * g.sum(axis=ctx.dim, keepdims=True), None


def sigmoid(x: Tensor) -> Tensor:
    return Sigmoid.apply(x)


def tanh(x: Tensor) -> Tensor:
    return Tanh.apply(x)


def relu(x: Tensor) -> Tensor:
    return ReLU.apply(x)


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    return LeakyReLU.apply(x, float(negative_slope))


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    return ELU.apply(x, float(alpha), 1.0)


def selu(x: Tensor) -> Tensor:
    """SELU: the ELU with alpha = 1.6733 and scale = 1.0507 (self-normalizing)."""
    return ELU.apply(x, SELU_ALPHA, SELU_SCALE)


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    if beta <= 0:
        raise ValueError(f"softplus: beta must be > 0, got {beta}")
    return Softplus.apply(x, float(beta), float(threshold))


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU.apply(x, approximate)


def prelu(x: Tensor, weight: Tensor) -> Tensor:
    """max(0, x) + weight * min(0, x), with one learnable slope or one per channel (dim 1)."""
    if weight.ndim != 1 or (weight.shape[0] != 1 and (x.ndim < 2 or x.shape[1] != weight.shape[0])):
        raise ValueError(f"prelu: weight of shape {weight.shape} must have 1 element or one per "
                         f"channel (dim 1) of the input of shape {x.shape}")
    if x.ndim >= 2:
        weight = weight.reshape(-1, *([1] * (x.ndim - 2)))
    return ew.where(x.data > 0, x, x * weight)


def maxout(x: Tensor, pool_size: int, dim: int = -1) -> Tensor:
    """The max over groups of ``pool_size`` consecutive features along ``dim`` (Goodfellow et al.)."""
    dim = _check_axis(x.data, dim) % x.ndim
    if pool_size < 1 or x.shape[dim] % pool_size:
        raise ValueError(f"maxout: dimension {dim} of size {x.shape[dim]} is not divisible by "
                         f"pool_size {pool_size}")
    grouped = x.reshape(*x.shape[:dim], x.shape[dim] // pool_size, pool_size, *x.shape[dim + 1:])
    return reduce.max(grouped, dim + 1)


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    return Softmax.apply(x, _check_axis(x.data, dim))


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    return LogSoftmax.apply(x, _check_axis(x.data, dim))
