"""2-D pooling on NumPy arrays: max (with indices), average and adaptive average, with backward.

Every plane (n, c) of x (N, C, H, W) is pooled on its own. Window (oh, ow)
covers rows ``oh sh - ph + i dh`` (i < kh) and likewise columns; PyTorch's
output size is ``floor((H + 2 ph - dh (kh - 1) - 1) / sh) + 1`` (ceil with
``ceil_mode``, dropping a last window that would start in the bottom padding).

- max:  y = max over the window's in-bounds pixels; indices = h W + w of the
  first maximum (NaN counts as the maximum, as PyTorch); dx[indices] += dy.
- avg:  y = sum over the in-bounds pixels / divisor, where the divisor is the
  window clipped to the padded input (count_include_pad), the in-bounds count
  otherwise, or ``divisor_override``; dx spreads dy / divisor back.
- adaptive avg: window oh covers rows floor(oh H / Ho) .. ceil((oh + 1) H / Ho).
"""

from __future__ import annotations

import numbers

import numpy as np

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


def _window_rows(o: int, k: int, s: int, p: int, d: int, size: int) -> np.ndarray:
    rows = o * s - p + d * np.arange(k)
    return rows[(rows >= 0) & (rows < size)]


def max_pool2d(x: np.ndarray, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False) -> tuple:
    """(y, indices) of max pooling; indices (int64) are flat h W + w within each plane."""
    check_float_array(x, "input", "max_pool2d", 4)
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (ho, wo) = pool2d_geometry(
        x.shape, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d")
    n, c, h, w = x.shape
    y = np.empty((n, c, ho, wo), x.dtype)
    idx = np.empty((n, c, ho, wo), np.int64)
    for oh in range(ho):
        rows = _window_rows(oh, kh, sh, ph, dh, h)
        for ow in range(wo):
            cols = _window_rows(ow, kw, sw, pw, dw, w)
            flat = (rows[:, None] * w + cols[None, :]).ravel()
            window = x.reshape(n, c, h * w)[:, :, flat]
            best = np.argmax(window, axis=2)   # the first maximum; a NaN wins
            y[:, :, oh, ow] = np.take_along_axis(window, best[..., None], 2)[..., 0]
            idx[:, :, oh, ow] = flat[best]
    return y, idx


def max_pool2d_backward(grad_output: np.ndarray, indices: np.ndarray, input_size) -> np.ndarray:
    """dx (N, C, H, W): each dy added to the input pixel its window's maximum came from."""
    check_float_array(grad_output, "grad_output", "max_pool2d_backward", 4)
    if not isinstance(indices, np.ndarray) or indices.shape != grad_output.shape:
        raise ValueError(f"max_pool2d_backward: indices must be an array of grad_output's shape "
                         f"{grad_output.shape}")
    h, w = int_tuple(input_size, 2, "input_size", "max_pool2d_backward", 1)
    n, c = grad_output.shape[:2]
    if indices.size and (indices.min() < 0 or indices.max() >= h * w):
        raise ValueError(f"max_pool2d_backward: indices outside [0, {h * w})")
    dx = np.zeros(n * c * h * w, grad_output.dtype)
    planes = (np.arange(n * c, dtype=np.int64) * (h * w)).reshape(n, c, 1, 1)
    np.add.at(dx, (indices + planes).ravel(), grad_output.ravel())
    return dx.reshape(n, c, h, w)


def _avg_divisors(size, k, s, p, out, count_include_pad):
    """(start, end, divisor) per output position along one dimension (PyTorch's rule)."""
    start = np.arange(out) * s - p
    end = np.minimum(start + k, size + p)
    pool = end - start
    start_c, end_c = np.maximum(start, 0), np.minimum(end, size)
    return start_c, end_c, pool if count_include_pad else end_c - start_c


def _avg_plan(x_shape, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override, op):
    kernel, stride, padding, _, out = pool2d_geometry(x_shape, kernel_size, stride, padding, 1,
                                                      ceil_mode, op)
    if divisor_override is not None and (isinstance(divisor_override, bool) or not isinstance(
            divisor_override, numbers.Integral) or divisor_override == 0):
        raise ValueError(f"{op}: divisor_override must be a non-zero int, got {divisor_override!r}")
    h, w = x_shape[-2:]
    rows = _avg_divisors(h, kernel[0], stride[0], padding[0], out[0], count_include_pad)
    cols = _avg_divisors(w, kernel[1], stride[1], padding[1], out[1], count_include_pad)
    return rows, cols, out


def _divisor(rows, cols, oh, ow, divisor_override):
    if divisor_override is not None:
        return divisor_override
    return rows[2][oh] * cols[2][ow]


def avg_pool2d(x: np.ndarray, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> np.ndarray:
    """y (N, C, Ho, Wo) of average pooling (the module docstring's divisor rule)."""
    check_float_array(x, "input", "avg_pool2d", 4)
    rows, cols, (ho, wo) = _avg_plan(x.shape, kernel_size, stride, padding, ceil_mode,
                                     count_include_pad, divisor_override, "avg_pool2d")
    y = np.empty(x.shape[:2] + (ho, wo), x.dtype)
    for oh in range(ho):
        for ow in range(wo):
            window = x[:, :, rows[0][oh]:rows[1][oh], cols[0][ow]:cols[1][ow]]
            y[:, :, oh, ow] = window.sum(axis=(2, 3)) / _divisor(rows, cols, oh, ow,
                                                                 divisor_override)
    return y


def avg_pool2d_backward(grad_output: np.ndarray, input_size, kernel_size, stride=None, padding=0,
                        ceil_mode: bool = False, count_include_pad: bool = True,
                        divisor_override=None) -> np.ndarray:
    """dx (N, C, H, W) of :func:`avg_pool2d`: dy / divisor added over each window."""
    check_float_array(grad_output, "grad_output", "avg_pool2d_backward", 4)
    h, w = int_tuple(input_size, 2, "input_size", "avg_pool2d_backward", 1)
    n, c = grad_output.shape[:2]
    rows, cols, (ho, wo) = _avg_plan((n, c, h, w), kernel_size, stride, padding, ceil_mode,
                                     count_include_pad, divisor_override, "avg_pool2d_backward")
    if grad_output.shape[2:] != (ho, wo):
        raise ValueError(f"avg_pool2d_backward: grad_output has shape {grad_output.shape}, "
                         f"expected {(n, c, ho, wo)}")
    dx = np.zeros((n, c, h, w), grad_output.dtype)
    for oh in range(ho):
        for ow in range(wo):
            share = grad_output[:, :, oh, ow] / _divisor(rows, cols, oh, ow, divisor_override)
            dx[:, :, rows[0][oh]:rows[1][oh], cols[0][ow]:cols[1][ow]] += share[:, :, None, None]
    return dx


def adaptive_windows(size: int, out: int) -> list:
    """[(start, end)] of adaptive pooling: floor(i size / out) .. ceil((i + 1) size / out)."""
    return [((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out)]


def adaptive_avg_pool2d(x: np.ndarray, output_size) -> np.ndarray:
    """y (N, C, Ho, Wo): the mean of each adaptive window (output_size (1, 1) is global pooling)."""
    check_float_array(x, "input", "adaptive_avg_pool2d", 4)
    ho, wo = int_tuple(output_size, 2, "output_size", "adaptive_avg_pool2d", 1)
    y = np.empty(x.shape[:2] + (ho, wo), x.dtype)
    for oh, (r0, r1) in enumerate(adaptive_windows(x.shape[2], ho)):
        for ow, (c0, c1) in enumerate(adaptive_windows(x.shape[3], wo)):
            y[:, :, oh, ow] = x[:, :, r0:r1, c0:c1].mean(axis=(2, 3))
    return y


def adaptive_avg_pool2d_backward(grad_output: np.ndarray, input_size) -> np.ndarray:
    """dx (N, C, H, W) of :func:`adaptive_avg_pool2d`."""
    check_float_array(grad_output, "grad_output", "adaptive_avg_pool2d_backward", 4)
    h, w = int_tuple(input_size, 2, "input_size", "adaptive_avg_pool2d_backward", 1)
    n, c, ho, wo = grad_output.shape
    dx = np.zeros((n, c, h, w), grad_output.dtype)
    for oh, (r0, r1) in enumerate(adaptive_windows(h, ho)):
        for ow, (c0, c1) in enumerate(adaptive_windows(w, wo)):
            share = grad_output[:, :, oh, ow] / ((r1 - r0) * (c1 - c0))
            dx[:, :, r0:r1, c0:c1] += share[:, :, None, None]
    return dx
