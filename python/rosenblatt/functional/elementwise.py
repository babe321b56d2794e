"""Elementwise arithmetic and math with their gradients.

Operands broadcast as in NumPy; the autograd engine sums each gradient back
to its operand's shape, so a backward here returns broadcast-shaped arrays.
"""

from __future__ import annotations

import numpy as np

from rosenblatt.autograd import Function
from rosenblatt.tensor import Tensor, as_operands


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, g):
        return g, -g


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return (g * b if ctx.needs_input_grad[0] else None,
                g * a if ctx.needs_input_grad[1] else None)


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = g / b
        return ga, (-ga * a / b if ctx.needs_input_grad[1] else None)


class Neg(Function):
    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, g):
        return -g


class Pow(Function):
    """a ** b: d/da = b a^(b-1), d/db = a^b log a."""

    @staticmethod
    def forward(ctx, a, b):
        out = a ** b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        ga = g * b * a ** (b - 1) if ctx.needs_input_grad[0] else None
        gb = None
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                gb = g * np.where(a > 0, out * np.log(np.where(a > 0, a, 1)), 0)
        return ga, gb


class Exp(Function):
    @staticmethod
    def forward(ctx, a):
        out = np.exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out


class Log(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / a


class Sqrt(Function):
    @staticmethod
    def forward(ctx, a):
        out = np.sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g / (2 * out)


class Abs(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.abs(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * np.sign(a)


class Clamp(Function):
    """min(max(a, lo), hi); the gradient passes where lo <= a <= hi."""

    @staticmethod
    def forward(ctx, a, lo=None, hi=None):
        ctx.save_for_backward(a)
        ctx.lo, ctx.hi = lo, hi
        return np.clip(a, lo, hi).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        inside = np.ones(a.shape, dtype=bool)
        if ctx.lo is not None:
            inside &= a >= ctx.lo
        if ctx.hi is not None:
            inside &= a <= ctx.hi
        return g * inside


class Where(Function):
    @staticmethod
    def forward(ctx, condition, a, b):
        ctx.condition = condition
        return np.where(condition, a, b)

    @staticmethod
    def backward(ctx, g):
        zero = np.zeros((), dtype=g.dtype)
        return None, np.where(ctx.condition, g, zero), np.where(ctx.condition, zero, g)


class Maximum(Function):
    """Elementwise max; a tie sends half the gradient to each operand (as torch)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        share = (a > b) + 0.5 * (a == b)
        return g * share, g * (1 - share)


def add(a, b) -> Tensor:
    return Add.apply(*as_operands(a, b, "add"))


def sub(a, b) -> Tensor:
    return Sub.apply(*as_operands(a, b, "sub"))


def mul(a, b) -> Tensor:
    return Mul.apply(*as_operands(a, b, "mul"))


def div(a, b) -> Tensor:
    return Div.apply(*as_operands(a, b, "div"))


def pow(a, b) -> Tensor:  # noqa: A001  (torch.pow)
    return Pow.apply(*as_operands(a, b, "pow"))


def neg(a: Tensor) -> Tensor:
    return Neg.apply(a)


def exp(a: Tensor) -> Tensor:
    return Exp.apply(a)


def log(a: Tensor) -> Tensor:
    return Log.apply(a)


def sqrt(a: Tensor) -> Tensor:
    return Sqrt.apply(a)


def abs(a: Tensor) -> Tensor:  # noqa: A001  (torch.abs)
    return Abs.apply(a)


def clamp(a: Tensor, min=None, max=None) -> Tensor:  # noqa: A002  (torch's names)
    if min is None and max is None:
        raise ValueError("clamp needs at least one of min and max")
    return Clamp.apply(a, min, max)


def where(condition, a, b) -> Tensor:
    """``a`` where ``condition`` holds, else ``b`` (``condition``: a bool array or Tensor)."""
    condition = np.asarray(condition.data if isinstance(condition, Tensor) else condition)
    if condition.dtype != np.bool_:
        raise TypeError(f"where's condition must be boolean, got {condition.dtype}")
    a, b = as_operands(a, b, "where")
    return Where.apply(condition, a, b)


def maximum(a, b) -> Tensor:
    return Maximum.apply(*as_operands(a, b, "maximum"))


def minimum(a, b) -> Tensor:
    a, b = as_operands(a, b, "minimum")
    return neg(Maximum.apply(neg(a), Neg.apply(b)))
