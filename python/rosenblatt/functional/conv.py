"""Convolutions as Functions: conv1d, conv2d and conv_transpose2d (PyTorch's signatures).

All three are the one 2-D kernel pair of :mod:`rosenblatt.kernels.conv`
(im2col + our GEMM), with x (N, C, H, W), weight (O, C / groups, kh, kw)::

    conv2d:            y  = conv(x, W) + b
                       dx = conv_input_grad(dy, W),   dW = conv_weight_grad(dy, x),
                       db = sum over n, h, w of dy
    conv_transpose2d:  y  = conv_input_grad(x, W) + b      (W is (C_in, C_out / groups, kh, kw))
                       dx = conv(dy, W),   dW = conv_weight_grad(x, dy)

conv_transpose2d is the adjoint of conv2d in x, so its gradients are conv2d's
forward and weight gradient with the roles of x and dy exchanged. conv1d is
conv2d on (N, C, 1, L). Unbatched inputs ((C, H, W), or (C, L) for conv1d)
are accepted as in PyTorch.
"""

from __future__ import annotations

import numbers

import numpy as np

from rosenblatt import kernels
from rosenblatt.autograd import Function
from rosenblatt.kernels.conv import (
    FLOAT_DTYPES,
    conv_geometry,
    int_tuple,
)
from rosenblatt.tensor import Tensor


class Conv2d(Function):
    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups):
        ctx.save_for_backward(x, weight)
        ctx.geometry = dict(stride=stride, padding=(padding[0], padding[2]), dilation=dilation,
                            groups=groups)
        ctx.has_bias = bias is not None
        return kernels.conv2d(x, weight, bias, stride=stride, padding=padding, dilation=dilation,
                              groups=groups)

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        needs = ctx.needs_input_grad
        return kernels.conv2d_backward(g, x, weight, input_grad=needs[0], weight_grad=needs[1],
                                       bias_grad=ctx.has_bias and needs[2], **ctx.geometry)


class ConvTranspose2d(Function):
    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups, output_size):
        ctx.save_for_backward(x, weight)
        ctx.geometry = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        ctx.has_bias = bias is not None
        y = kernels.conv2d_input_grad(x, weight, output_size, **ctx.geometry)
        if bias is not None:
            y += bias.reshape(1, -1, 1, 1)
        return y

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        g = np.ascontiguousarray(g)
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            # conv2d of dy gives floor(output_padding / stride) extra trailing rows and
            # columns (output_padding >= stride is allowed when dilation > stride): not in x.
            gx = kernels.conv2d(g, weight, **ctx.geometry)[:, :, :x.shape[2], :x.shape[3]]
            gx = np.ascontiguousarray(gx)
        if ctx.needs_input_grad[1]:
            gw, _ = kernels.conv2d_weight_grad(x, g, weight.shape[2:], **ctx.geometry)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            gb = g.sum(axis=(0, 2, 3))
        return gx, gw, gb


def _check_operands(op: str, input, weight, bias, rank: int) -> None:
    """Tensors of one float dtype; input (N, C, *spatial) or unbatched; weight of rank + 2 dims."""
    for name, t in (("input", input), ("weight", weight), ("bias", bias)):
        if t is None and name == "bias":
            continue
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
        if t.dtype not in FLOAT_DTYPES:
            raise TypeError(f"{op}: {name} must be float32 or float64, got {t.dtype}")
        if t.dtype != input.dtype:
            raise TypeError(f"{op}: {name} has dtype {t.dtype}, the input has {input.dtype}")
    spatial = ("L",) if rank == 1 else ("H", "W")
    if input.ndim not in (rank + 1, rank + 2):
        raise ValueError(f"{op}: input must be {rank + 2}-D (N, C, {', '.join(spatial)}) or "
                         f"{rank + 1}-D unbatched, got shape {input.shape}")
    if weight.ndim != rank + 2:
        raise ValueError(f"{op}: weight must be {rank + 2}-D, got shape {weight.shape}")


def _conv_padding(padding, kernel, stride, dilation, op: str) -> tuple:
    """((before, after), ...) per spatial dimension from an int, a tuple, 'same' or 'valid'."""
    rank = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * rank
        if padding != "same":
            raise ValueError(f"{op}: padding must be 'same', 'valid', an int or a tuple of "
                             f"{rank} ints, got {padding!r}")
        if any(s != 1 for s in stride):
            raise ValueError(f"{op}: padding='same' is not supported for strided convolutions "
                             f"(stride {stride})")
        # PyTorch pads d (k - 1) in total, the extra one (if odd) after.
        totals = [d * (k - 1) for d, k in zip(dilation, kernel)]
        return tuple((t // 2, t - t // 2) for t in totals)
    return tuple((p, p) for p in int_tuple(padding, rank, "padding", op, 0))


def _batched(input: Tensor, rank: int) -> tuple:
    unbatched = input.ndim == rank + 1
    return (input.unsqueeze(0) if unbatched else input), unbatched


def _convolve(op, input, weight, bias, stride, padding, dilation, groups, rank) -> Tensor:
    _check_operands(op, input, weight, bias, rank)
    x, unbatched = _batched(input, rank)
    stride = int_tuple(stride, rank, "stride", op, 1)
    dilation = int_tuple(dilation, rank, "dilation", op, 1)
    pads = _conv_padding(padding, weight.shape[2:], stride, dilation, op)
    groups, _ = conv_geometry(x.shape, weight.shape, stride, pads, dilation, groups, op)
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"{op}: bias has shape {bias.shape}, expected ({weight.shape[0]},) for "
                         f"weight of shape {weight.shape}")
    if rank == 1:   # conv1d is conv2d over (N, C, 1, L)
        x, weight = x.unsqueeze(2), weight.unsqueeze(2)
        stride, dilation, pads = (1,) + stride, (1,) + dilation, ((0, 0),) + pads
    y = Conv2d.apply(x, weight, bias, stride, pads[0] + pads[1], dilation, groups)
    if rank == 1:
        y = y.squeeze(2)
    return y.squeeze(0) if unbatched else y


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:  # noqa: A002
    """2-D convolution (cross-correlation, as PyTorch) of (N, C, H, W) with (O, C / groups, kh, kw).

    ``padding`` is an int, an (h, w) pair, 'valid' (no padding) or 'same'
    (output size = input size; stride 1 only, an odd total goes after).
    """
    return _convolve("conv2d", input, weight, bias, stride, padding, dilation, groups, 2)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:  # noqa: A002
    """1-D convolution of (N, C, L) with (O, C / groups, k), through the 2-D kernels."""
    return _convolve("conv1d", input, weight, bias, stride, padding, dilation, groups, 1)


def conv_transpose_output_size(size, kernel, stride, padding, output_padding, dilation) -> int:
    """PyTorch's (size - 1) stride - 2 padding + dilation (kernel - 1) + output_padding + 1."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1,
                     dilation=1) -> Tensor:  # noqa: A002
    """Transposed convolution: the adjoint (in x) of conv2d with the same weight and geometry.

    ``weight`` is (C_in, C_out / groups, kh, kw); each output size is
    (H - 1) stride - 2 padding + dilation (kh - 1) + output_padding + 1, and
    ``output_padding`` must be smaller than the stride or the dilation.
    """
    op = "conv_transpose2d"
    _check_operands(op, input, weight, bias, 2)
    x, unbatched = _batched(input, 2)
    stride = int_tuple(stride, 2, "stride", op, 1)
    dilation = int_tuple(dilation, 2, "dilation", op, 1)
    padding = int_tuple(padding, 2, "padding", op, 0)
    output_padding = int_tuple(output_padding, 2, "output_padding", op, 0)
    c_in, c_out_per_group = weight.shape[:2]
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or groups < 1:
        raise ValueError(f"{op}: groups must be an int >= 1, got {groups!r}")
    if c_in % groups:
        raise ValueError(f"{op}: input channels ({c_in}) must be divisible by groups ({groups}) "
                         f"(weight of shape {weight.shape})")
    if x.shape[1] != c_in:
        raise ValueError(f"{op}: weight of shape {weight.shape} expects {c_in} input channels, "
                         f"the input of shape {input.shape} has {x.shape[1]}")
    for extra, s, d in zip(output_padding, stride, dilation):
        if extra >= s and extra >= d:
            raise ValueError(f"{op}: output_padding {output_padding} must be smaller than either "
                             f"stride {stride} or dilation {dilation}")
    out = tuple(conv_transpose_output_size(*args) for args in zip(
        x.shape[2:], weight.shape[2:], stride, padding, output_padding, dilation))
    if min(out) < 1:
        raise ValueError(f"{op}: input of shape {input.shape} with weight of shape "
                         f"{weight.shape}, stride {stride}, padding {padding}, output_padding "
                         f"{output_padding} and dilation {dilation} gives output size {out}")
    c_out = c_out_per_group * groups
    if bias is not None and bias.shape != (c_out,):
        raise ValueError(f"{op}: bias has shape {bias.shape}, expected ({c_out},) for weight of "
                         f"shape {weight.shape} and groups={groups}")
    y = ConvTranspose2d.apply(x, weight, bias, stride, padding, dilation, groups, out)
    return y.squeeze(0) if unbatched else y
