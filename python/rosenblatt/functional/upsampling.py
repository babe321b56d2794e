"""interpolate: nearest and bilinear resizing of (N, C, H, W), as PyTorch's F.interpolate.

Both modes are separable: y = A_h x A_w^T, where A (out, in) holds each output
row's interpolation weights over input rows, so dx = A_h^T dy A_w. With
scale = in / out (or 1 / scale_factor when that is given, as PyTorch)::

    nearest:                     src = min(floor(dst scale), in - 1),   weight 1
    bilinear, align_corners off: src = max((dst + 0.5) scale - 0.5, 0)
    bilinear, align_corners on:  src = dst (in - 1) / (out - 1)
    bilinear weights:            1 - (src - i0) at i0 = floor(src), src - i0 at min(i0 + 1, in - 1)
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from rosenblatt.autograd import Function
from rosenblatt.kernels.conv import FLOAT_DTYPES
from rosenblatt.tensor import Tensor

MODES = ("nearest", "bilinear")


class Resize(Function):
    """y = A_h x A_w^T over the last two axes (A_h, A_w constants of the op)."""

    @staticmethod
    def forward(ctx, x, rows, cols):
        ctx.rows, ctx.cols = rows, cols
        return np.matmul(np.matmul(rows, x), cols.T)

    @staticmethod
    def backward(ctx, g):
        return np.matmul(np.matmul(ctx.rows.T, g), ctx.cols), None, None


def interpolation_matrix(size_in: int, size_out: int, scale: float | None, mode: str,
                         align_corners: bool, dtype) -> np.ndarray:
    """A (size_out, size_in) of the module docstring; ``scale`` None means size_in / size_out."""
    dst = np.arange(size_out, dtype=np.float64)
    matrix = np.zeros((size_out, size_in), np.float64)
    if mode == "nearest":
        step = size_in / size_out if scale is None else 1.0 / scale
        src = np.minimum(np.floor(dst * step).astype(np.int64), size_in - 1)
        matrix[np.arange(size_out), src] = 1.0
        return matrix.astype(dtype)
    if align_corners:
        src = dst * ((size_in - 1) / (size_out - 1) if size_out > 1 else 0.0)
    else:
        step = size_in / size_out if scale is None else 1.0 / scale
        src = np.maximum((dst + 0.5) * step - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), size_in - 1)
    i1 = np.minimum(i0 + 1, size_in - 1)
    frac = src - i0
    rows = np.arange(size_out)
    np.add.at(matrix, (rows, i0), 1.0 - frac)
    np.add.at(matrix, (rows, i1), frac)
    return matrix.astype(dtype)


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners: bool | None = None) -> Tensor:  # noqa: A002
    """Resize (N, C, H, W) to ``size`` (an int or (H', W')) or by ``scale_factor`` (floor(H s))."""
    op = "interpolate"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{op}: input must be float32 or float64, got {input.dtype}")
    if input.ndim != 4:
        raise ValueError(f"{op}: input must be 4-D (N, C, H, W), got shape {input.shape}")
    if mode not in MODES:
        raise ValueError(f"{op}: mode must be one of {MODES}, got {mode!r}")
    if align_corners is not None and mode == "nearest":
        raise ValueError(f"{op}: align_corners only has an effect with mode='bilinear'")
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: give exactly one of size and scale_factor")
    h, w = input.shape[2:]
    if size is not None:
        sizes = (size, size) if isinstance(size, numbers.Integral) else tuple(size)
        if len(sizes) != 2 or any(isinstance(s, bool) or not isinstance(s, numbers.Integral)
                                  or s < 1 for s in sizes):
            raise ValueError(f"{op}: size must be an int or a pair of ints >= 1, got {size!r}")
        scales = (None, None)
    else:
        scales = ((scale_factor, scale_factor) if isinstance(scale_factor, numbers.Real)
                  else tuple(scale_factor))
        if len(scales) != 2 or any(not math.isfinite(s) or s <= 0 for s in scales):
            raise ValueError(f"{op}: scale_factor must be a positive finite number or a pair, "
                             f"got {scale_factor!r}")
        sizes = (math.floor(h * scales[0]), math.floor(w * scales[1]))
        if min(sizes) < 1:
            raise ValueError(f"{op}: scale_factor {scale_factor!r} gives output size {sizes} "
                             f"for input of shape {input.shape}")
    corners = bool(align_corners)
    rows = interpolation_matrix(h, int(sizes[0]), scales[0], mode, corners, input.dtype)
    cols = interpolation_matrix(w, int(sizes[1]), scales[1], mode, corners, input.dtype)
    return Resize.apply(input, rows, cols)
