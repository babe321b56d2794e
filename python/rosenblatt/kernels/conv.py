"""2-D convolution on NumPy arrays: forward and the two gradients, by im2col + our GEMM.

The native kernels (csrc/cpu/conv.cpp) run per image and group, threaded;
:mod:`rosenblatt.kernels.conv_reference` is their NumPy oracle.

Shapes (G = groups, Cg = C / G, Og = O / G)::

    x (N, C, H, W)   weight (O, Cg, kh, kw)   bias (O,)   y (N, O, Ho, Wo)

    y[n, o, oh, ow] = bias[o] + sum_{c in group(o), i, j}
                      weight[o, c, i, j] * x[n, c, oh sh + i dh - pt, ow sw + j dw - pl]

with x read as 0 outside its bounds, and, per spatial dimension,
``Ho = floor((H + pt + pb - dh (kh - 1) - 1) / sh) + 1`` (PyTorch's rule).

:func:`conv2d_input_grad` is the adjoint of the forward in x (so it is also
the transposed convolution) and :func:`conv2d_weight_grad` its adjoint in the
weight; the sizes of the other side are given explicitly, so any output size
(including a transposed convolution's ``output_padding``) is allowed.
Argument errors raise ValueError/TypeError naming the argument and shapes.
"""

from __future__ import annotations

import numbers

import numpy as np

from rosenblatt import _C

FLOAT_DTYPES = (np.float32, np.float64)


def int_tuple(value, length: int, name: str, op: str, minimum: int) -> tuple:
    """``value`` (an int or a sequence of ``length`` ints, each >= ``minimum``) as a tuple."""
    items = (value,) * length if isinstance(value, numbers.Integral) else value
    try:
        items = tuple(items)
    except TypeError:
        items = None
    if (items is None or len(items) != length
            or any(isinstance(v, bool) or not isinstance(v, numbers.Integral) for v in items)):
        raise ValueError(f"{op}: {name} must be an int or a sequence of {length} ints, "
                         f"got {value!r}")
    if any(v < minimum for v in items):
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return tuple(int(v) for v in items)


def padding4(padding, op: str) -> tuple:
    """(top, bottom, left, right) from an int, a (ph, pw) pair or a 4-tuple, all >= 0."""
    if not isinstance(padding, numbers.Integral) and len(tuple(padding)) == 4:
        return int_tuple(padding, 4, "padding", op, 0)
    ph, pw = int_tuple(padding, 2, "padding", op, 0)
    return ph, ph, pw, pw


def conv_output_size(size: int, kernel: int, stride: int, pad_total: int, dilation: int) -> int:
    """PyTorch's output length floor((size + pad_total - dilation (kernel - 1) - 1) / stride) + 1."""
    return (size + pad_total - dilation * (kernel - 1) - 1) // stride + 1


def check_float_array(a, name: str, op: str, ndim: int, dtype=None) -> None:
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{op}: {name} must be a numpy.ndarray, got {type(a).__name__}")
    if a.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{op}: {name} must be float32 or float64, got {a.dtype}")
    if dtype is not None and a.dtype != dtype:
        raise TypeError(f"{op}: {name} has dtype {a.dtype}, expected {np.dtype(dtype)}")
    if a.ndim != ndim:
        raise ValueError(f"{op}: {name} must be {ndim}-D, got shape {a.shape}")


def check_groups(channels: int, out_channels: int, groups, op: str,
                 channel_name: str = "input channels") -> int:
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or groups < 1:
        raise ValueError(f"{op}: groups must be an int >= 1, got {groups!r}")
    if channels % groups or out_channels % groups:
        raise ValueError(f"{op}: {channel_name} ({channels}) and output channels "
                         f"({out_channels}) must both be divisible by groups ({groups})")
    return int(groups)


def conv_geometry(x_shape, weight_shape, stride, padding, dilation, groups, op="conv2d"):
    """Checked (groups, output sizes) of a convolution over ``len(stride)`` spatial dimensions.

    ``stride`` and ``dilation`` are tuples of ints >= 1 and ``padding`` a tuple
    of (before, after) pairs, one per spatial dimension (see :func:`int_tuple`).
    """
    c, o = x_shape[1], weight_shape[0]
    cg, kernel = weight_shape[1], weight_shape[2:]
    groups = check_groups(c, o, groups, op)
    if cg * groups != c:
        raise ValueError(f"{op}: weight of shape {tuple(weight_shape)} expects {cg * groups} "
                         f"input channels ({cg} per group x {groups} groups), the input of "
                         f"shape {tuple(x_shape)} has {c}")
    padded = tuple(s + b + a for s, (b, a) in zip(x_shape[2:], padding))
    dilated = tuple(d * (k - 1) + 1 for d, k in zip(dilation, kernel))
    if min(kernel) < 1 or any(e > p for e, p in zip(dilated, padded)):
        raise ValueError(f"{op}: kernel size {tuple(kernel)} (dilated {dilated}) is larger than "
                         f"the padded input {padded} of input shape {tuple(x_shape)}")
    out = tuple(conv_output_size(s, k, st, b + a, d) for s, k, st, (b, a), d
                in zip(x_shape[2:], kernel, stride, padding, dilation))
    return groups, out


def conv2d(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None, *, stride=1,
           padding=0, dilation=1, groups: int = 1) -> np.ndarray:
    """y (N, O, Ho, Wo) of a 2-D convolution (the module docstring's formula).

    ``padding`` is an int, a (ph, pw) pair or (top, bottom, left, right);
    ``stride`` and ``dilation`` are ints or pairs >= 1. ``x`` is (N, C, H, W)
    and ``weight`` (O, C / groups, kh, kw), both float32 or both float64.
    """
    check_float_array(x, "input", "conv2d", 4)
    check_float_array(weight, "weight", "conv2d", 4, x.dtype)
    if bias is not None:
        check_float_array(bias, "bias", "conv2d", 1, x.dtype)
        if bias.shape[0] != weight.shape[0]:
            raise ValueError(f"conv2d: bias has shape {bias.shape}, expected "
                             f"({weight.shape[0]},) for weight of shape {weight.shape}")
    stride = int_tuple(stride, 2, "stride", "conv2d", 1)
    dilation = int_tuple(dilation, 2, "dilation", "conv2d", 1)
    top, bottom, left, right = padding4(padding, "conv2d")
    groups, _ = conv_geometry(x.shape, weight.shape, stride, ((top, bottom), (left, right)),
                              dilation, groups)
    return _C.conv2d_forward(np.ascontiguousarray(x), np.ascontiguousarray(weight),
                             None if bias is None else np.ascontiguousarray(bias), stride,
                             (top, bottom, left, right), dilation, groups)


def _check_grad_output(grad_output, other, other_name: str, op: str) -> None:
    check_float_array(grad_output, "grad_output", op, 4)
    check_float_array(other, other_name, op, 4, grad_output.dtype)


def _grad_geometry(stride, padding, dilation, op: str) -> tuple:
    return (int_tuple(stride, 2, "stride", op, 1), int_tuple(padding, 2, "padding", op, 0),
            int_tuple(dilation, 2, "dilation", op, 1))


def conv2d_backward(grad_output: np.ndarray, x: np.ndarray, weight: np.ndarray, *, stride=1,
                    padding=0, dilation=1, groups: int = 1, input_grad: bool = True,
                    weight_grad: bool = True, bias_grad: bool = True) -> tuple:
    """(dx, dW, db) of y = conv2d(x, W) + b given dy = ``grad_output``, in one pass per image.

    Each is None unless asked for; ``padding`` is an int or the (top, left) pair.
    """
    op = "conv2d_backward"
    _check_grad_output(grad_output, x, "input", op)
    check_float_array(weight, "weight", op, 4, grad_output.dtype)
    stride, padding, dilation = _grad_geometry(stride, padding, dilation, op)
    return _C.conv2d_backward(np.ascontiguousarray(grad_output), np.ascontiguousarray(x),
                              np.ascontiguousarray(weight), x.shape[2:], weight.shape[2:],
                              stride, padding, dilation, groups, bool(input_grad),
                              bool(weight_grad), bool(bias_grad))


def conv2d_input_grad(grad_output: np.ndarray, weight: np.ndarray, input_size, *, stride=1,
                      padding=0, dilation=1, groups: int = 1) -> np.ndarray:
    """dx (N, C, H, W) of y = conv2d(x, weight) given dy = ``grad_output`` (N, O, Ho, Wo).

    ``input_size`` is (H, W); ``padding`` an int or the (top, left) pair
    (the bottom and right follow from the sizes). This is also the transposed
    convolution of ``grad_output`` with ``weight``.
    """
    op = "conv2d_input_grad"
    _check_grad_output(grad_output, weight, "weight", op)
    o = weight.shape[0]
    groups = check_groups(weight.shape[1] * o, o, groups, op)
    if grad_output.shape[1] != o:
        raise ValueError(f"{op}: grad_output of shape {grad_output.shape} has "
                         f"{grad_output.shape[1]} channels, the weight of shape "
                         f"{weight.shape} has {o} output channels")
    input_size = int_tuple(input_size, 2, "input_size", op, 1)
    stride, padding, dilation = _grad_geometry(stride, padding, dilation, op)
    return _C.conv2d_backward(np.ascontiguousarray(grad_output), None,
                              np.ascontiguousarray(weight), input_size, weight.shape[2:], stride,
                              padding, dilation, groups, True, False, False)[0]


def conv2d_weight_grad(grad_output: np.ndarray, x: np.ndarray, kernel_size, *, stride=1,
                       padding=0, dilation=1, groups: int = 1, with_bias: bool = False) -> tuple:
    """(dW, db) of y = conv2d(x, W) + b given dy = ``grad_output`` (N, O, Ho, Wo).

    dW is (O, C / groups, kh, kw); db = dy summed over (N, Ho, Wo), computed in
    the same pass when ``with_bias``, else None. ``padding`` is an int or the
    (top, left) pair.
    """
    op = "conv2d_weight_grad"
    _check_grad_output(grad_output, x, "input", op)
    groups = check_groups(x.shape[1], grad_output.shape[1], groups, op)
    if grad_output.shape[0] != x.shape[0]:
        raise ValueError(f"{op}: grad_output of shape {grad_output.shape} and input of shape "
                         f"{x.shape} differ in batch size")
    kernel_size = int_tuple(kernel_size, 2, "kernel_size", op, 1)
    stride, padding, dilation = _grad_geometry(stride, padding, dilation, op)
    return _C.conv2d_backward(np.ascontiguousarray(grad_output), np.ascontiguousarray(x), None,
                              x.shape[2:], kernel_size, stride, padding, dilation, groups, False,
                              True, bool(with_bias))[1:]
