"""2-D pooling on NumPy arrays: max (with indices), average and adaptive average, with backward.

Native kernels (csrc/cpu/pool.cpp), threaded over the N C planes.

Every plane (n, c) of x (N, C, H, W) is pooled on its own. Window (oh, ow)
covers rows ``oh sh - ph + i dh`` (i < kh) and likewise columns; PyTorch's
output size is ``floor((H + 2 ph - dh (kh - 1) - 1) / sh) + 1`` (ceil with
``ceil_mode``, dropping a last window that would start in the bottom padding).

- max:  y = max over the window's in-bounds pixels; indices = h W + w of the
  maximum (scanning rows then columns, a value replaces the running maximum
  when larger or NaN, as PyTorch); dx[indices] += dy.
- avg:  y = sum over the in-bounds pixels / divisor, where the divisor is the
  window clipped to the padded input (count_include_pad), the in-bounds count
  otherwise, or ``divisor_override``; dx spreads dy / divisor back.
- adaptive avg: window oh covers rows floor(oh H / Ho) .. ceil((oh + 1) H / Ho).
"""

from __future__ import annotations

import numbers

import numpy as np

from rosenblatt import _C
from rosenblatt.kernels.conv import check_float_array, int_tuple


def pool_output_size(size: int, kernel: int, stride: int, pad: int, dilation: int,
                     ceil_mode: bool) -> int:
    """PyTorch's pooling output length (see the module docstring)."""
    span = size + 2 * pad - dilation * (kernel - 1) - 1 + (stride - 1 if ceil_mode else 0)
    out = span // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def pool2d_geometry(x_shape, kernel_size, stride, padding, dilation, ceil_mode, op):
    """Checked (kernel, stride, padding, dilation, (Ho, Wo)); stride None means kernel_size."""
    kernel = int_tuple(kernel_size, 2, "kernel_size", op, 1)
    stride = kernel if stride is None or (not isinstance(stride, numbers.Integral)
                                          and len(tuple(stride)) == 0) else int_tuple(
        stride, 2, "stride", op, 1)
    padding = int_tuple(padding, 2, "padding", op, 0)
    dilation = int_tuple(dilation, 2, "dilation", op, 1)
    if any(p > k // 2 for p, k in zip(padding, kernel)):
        raise ValueError(f"{op}: padding {padding} must be at most half of kernel_size {kernel}")
    h, w = x_shape[-2:]
    out = tuple(pool_output_size(s, k, st, p, d, bool(ceil_mode))
                for s, k, st, p, d in zip((h, w), kernel, stride, padding, dilation))
    if min(out) < 1:
        raise ValueError(f"{op}: kernel_size {kernel} (dilation {dilation}) is larger than the "
                         f"padded input {(h + 2 * padding[0], w + 2 * padding[1])} of input "
                         f"shape {tuple(x_shape)}")
    return kernel, stride, padding, dilation, out


def _divisor_override(value, op: str):
    if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Integral)
                              or value <= 0):
        raise ValueError(f"{op}: divisor_override must be a positive int, got {value!r}")
    return None if value is None else int(value)


def max_pool2d(x: np.ndarray, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False) -> tuple:
    """(y, indices) of max pooling; indices (int64) are flat h W + w within each plane."""
    check_float_array(x, "input", "max_pool2d", 4)
    kernel, stride, padding, dilation, out = pool2d_geometry(
        x.shape, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d")
    return _C.max_pool2d_forward(np.ascontiguousarray(x), kernel, stride, padding, dilation, out)


def max_pool2d_backward(grad_output: np.ndarray, indices: np.ndarray, input_size) -> np.ndarray:
    """dx (N, C, H, W): each dy added to the input pixel its window's maximum came from."""
    op = "max_pool2d_backward"
    check_float_array(grad_output, "grad_output", op, 4)
    if not isinstance(indices, np.ndarray) or indices.shape != grad_output.shape:
        raise ValueError(f"{op}: indices must be an array of grad_output's shape "
                         f"{grad_output.shape}")
    input_size = int_tuple(input_size, 2, "input_size", op, 1)
    return _C.max_pool2d_backward(np.ascontiguousarray(grad_output),
                                  np.ascontiguousarray(indices, dtype=np.int64), input_size)


def avg_pool2d(x: np.ndarray, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> np.ndarray:
    """y (N, C, Ho, Wo) of average pooling (the module docstring's divisor rule)."""
    op = "avg_pool2d"
    check_float_array(x, "input", op, 4)
    kernel, stride, padding, _, out = pool2d_geometry(x.shape, kernel_size, stride, padding, 1,
                                                      ceil_mode, op)
    return _C.avg_pool2d_forward(np.ascontiguousarray(x), kernel, stride, padding, out,
                                 bool(count_include_pad), _divisor_override(divisor_override, op))


def avg_pool2d_backward(grad_output: np.ndarray, input_size, kernel_size, stride=None, padding=0,
                        ceil_mode: bool = False, count_include_pad: bool = True,
                        divisor_override=None) -> np.ndarray:
    """dx (N, C, H, W) of :func:`avg_pool2d`: dy / divisor added over each window."""
    op = "avg_pool2d_backward"
    check_float_array(grad_output, "grad_output", op, 4)
    h, w = int_tuple(input_size, 2, "input_size", op, 1)
    n, c = grad_output.shape[:2]
    kernel, stride, padding, _, out = pool2d_geometry((n, c, h, w), kernel_size, stride, padding,
                                                      1, ceil_mode, op)
    if grad_output.shape[2:] != out:
        raise ValueError(f"{op}: grad_output has shape {grad_output.shape}, expected "
                         f"{(n, c) + out}")
    return _C.avg_pool2d_backward(np.ascontiguousarray(grad_output), (h, w), kernel, stride,
                                  padding, bool(count_include_pad),
                                  _divisor_override(divisor_override, op))


def adaptive_avg_pool2d(x: np.ndarray, output_size) -> np.ndarray:
    """y (N, C, Ho, Wo): the mean of each adaptive window (output_size (1, 1) is global pooling)."""
    check_float_array(x, "input", "adaptive_avg_pool2d", 4)
    out = int_tuple(output_size, 2, "output_size", "adaptive_avg_pool2d", 1)
    return _C.adaptive_avg_pool2d_forward(np.ascontiguousarray(x), out)


def adaptive_avg_pool2d_backward(grad_output: np.ndarray, input_size) -> np.ndarray:
    """dx (N, C, H, W) of :func:`adaptive_avg_pool2d`."""
    op = "adaptive_avg_pool2d_backward"
    check_float_array(grad_output, "grad_output", op, 4)
    input_size = int_tuple(input_size, 2, "input_size", op, 1)
    return _C.adaptive_avg_pool2d_backward(np.ascontiguousarray(grad_output), input_size)
