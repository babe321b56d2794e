"""Pooling as Functions: max_pool1d/2d, avg_pool1d/2d and adaptive_avg_pool2d (PyTorch's signatures).

The kernels (:mod:`rosenblatt.kernels.pool`) pool each (n, c) plane::

    max:      y = max over the window,  dx[argmax] += dy   (the argmax indices are kept)
    avg:      y = sum over the window / divisor,  dx[window] += dy / divisor
    adaptive: windows rows floor(i H / Ho) .. ceil((i + 1) H / Ho), then as avg

The 1-D versions pool (N, C, L) as (N, C, 1, L). Unbatched inputs ((C, H, W),
or (C, L)) are accepted as in PyTorch.
"""

from __future__ import annotations

import numbers

from rosenblatt import kernels
from rosenblatt.autograd import Function
from rosenblatt.kernels.conv import FLOAT_DTYPES, int_tuple
from rosenblatt.tensor import Tensor


class MaxPool2d(Function):
    """Selects the pooled maxima computed by the kernel; backward scatters dy to their indices."""

    @staticmethod
    def forward(ctx, x, pooled, indices):
        ctx.save_for_backward(indices)
        ctx.input_size = x.shape[2:]
        return pooled

    @staticmethod
    def backward(ctx, g):
        (indices,) = ctx.saved_tensors
        return kernels.max_pool2d_backward(g, indices, ctx.input_size)


class AvgPool2d(Function):
    @staticmethod
    def forward(ctx, x, options):
        ctx.input_size, ctx.options = x.shape[2:], options
        return kernels.avg_pool2d(x, **options)

    @staticmethod
    def backward(ctx, g):
        return kernels.avg_pool2d_backward(g, ctx.input_size, **ctx.options)


class AdaptiveAvgPool2d(Function):
    @staticmethod
    def forward(ctx, x, output_size):
        ctx.input_size = x.shape[2:]
        return kernels.adaptive_avg_pool2d(x, output_size)

    @staticmethod
    def backward(ctx, g):
        return kernels.adaptive_avg_pool2d_backward(g, ctx.input_size)


def _planes(input, op: str, rank: int) -> tuple:
    """input as (N, C, H, W) and how to undo it (1-D: (N, C, 1, L); unbatched: N = 1)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{op}: input must be float32 or float64, got {input.dtype}")
    if input.ndim not in (rank + 1, rank + 2):
        spatial = "L" if rank == 1 else "H, W"
        raise ValueError(f"{op}: input must be {rank + 2}-D (N, C, {spatial}) or {rank + 1}-D "
                         f"unbatched, got shape {input.shape}")
    unbatched = input.ndim == rank + 1
    x = input.unsqueeze(0) if unbatched else input
    if rank == 1:
        x = x.unsqueeze(2)

    def restore(t: Tensor) -> Tensor:
        t = t.squeeze(2) if rank == 1 else t
        return t.squeeze(0) if unbatched else t
    return x, restore


def _one_d(value, name: str, op: str, minimum: int):
    """A 1-D pooling argument (an int or a 1-tuple) as the 2-D pair (1 or 0, value)."""
    (v,) = int_tuple(value, 1, name, op, minimum)
    return (1 if minimum else 0, v)


def _max_pool(op, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, rank):
    x, restore = _planes(input, op, rank)
    if rank == 1:
        kernel_size = (1,) + (int_tuple(kernel_size, 1, "kernel_size", op, 1))
        stride = None if stride is None else _one_d(stride, "stride", op, 1)
        padding, dilation = _one_d(padding, "padding", op, 0), _one_d(dilation, "dilation", op, 1)
    pooled, indices = kernels.max_pool2d(x.data, kernel_size, stride, padding, dilation,
                                         bool(ceil_mode))
    y = restore(MaxPool2d.apply(x, pooled, indices))
    if return_indices:
        return y, restore(Tensor(indices))
    return y


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):  # noqa: A002
    """Max over each (dilated) window; ``stride`` defaults to ``kernel_size``, padding is -inf.

    With ``return_indices`` also returns the int64 flat index h W + w of each
    maximum within its plane (what ``max_unpool2d`` and the backward use).
    """
    return _max_pool("max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices, 2)


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):  # noqa: A002
    """Max pooling of (N, C, L) over windows of ``kernel_size``."""
    return _max_pool("max_pool1d", input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices, 1)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:  # noqa: A002
    """Mean over each window; ``count_include_pad`` counts the zero padding in the divisor."""
    x, restore = _planes(input, "avg_pool2d", 2)
    options = dict(kernel_size=kernel_size, stride=stride, padding=padding,
                   ceil_mode=bool(ceil_mode), count_include_pad=bool(count_include_pad),
                   divisor_override=divisor_override)
    return restore(AvgPool2d.apply(x, options))


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:  # noqa: A002
    """Mean pooling of (N, C, L) over windows of ``kernel_size``."""
    op = "avg_pool1d"
    x, restore = _planes(input, op, 1)
    options = dict(kernel_size=(1,) + int_tuple(kernel_size, 1, "kernel_size", op, 1),
                   stride=None if stride is None else _one_d(stride, "stride", op, 1),
                   padding=_one_d(padding, "padding", op, 0), ceil_mode=bool(ceil_mode),
                   count_include_pad=bool(count_include_pad), divisor_override=None)
    return restore(AvgPool2d.apply(x, options))


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:  # noqa: A002
    """Average over adaptive windows giving ``output_size`` (an int, a pair; None keeps a size).

    ``output_size=1`` is global average pooling.
    """
    op = "adaptive_avg_pool2d"
    x, restore = _planes(input, op, 2)
    if isinstance(output_size, numbers.Integral) or output_size is None:
        output_size = (output_size, output_size)
    try:
        sizes = tuple(output_size)
    except TypeError:
        raise ValueError(f"{op}: output_size must be an int or a pair, got {output_size!r}") \
            from None
    if len(sizes) != 2:
        raise ValueError(f"{op}: output_size must be an int or a pair, got {output_size!r}")
    sizes = tuple(x.shape[2 + i] if s is None else s for i, s in enumerate(sizes))
    sizes = int_tuple(sizes, 2, "output_size", op, 1)
    return restore(AdaptiveAvgPool2d.apply(x, sizes))
