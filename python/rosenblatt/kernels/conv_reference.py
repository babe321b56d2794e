"""Convolution as NumPy im2col + matmul: the composed oracle of the native kernels.

The native conv kernels (:mod:`rosenblatt.kernels.conv`) compute the same
three products with our GEMM; these NumPy versions are what the tests compare
them with and what the benchmark calls "the NumPy im2col+matmul reference".

Shapes (G groups, Cg = C / G input and Og = O / G output channels per group,
K = Cg kh kw, L = Ho Wo)::

    x (N, C, H, W)   weight (O, Cg, kh, kw)   y (N, O, Ho, Wo)

    cols[n, c, i, j, oh, ow] = x[n, c, oh sh + i dh - pt, ow sw + j dw - pl]   (0 outside x)
    y[n, g]   = W[g] (Og x K) @ cols[n, g] (K x L)                 (+ bias)
    dcols     = W[g]^T @ dy[n, g],   dx = col2im(dcols)             (the adjoint of im2col)
    dW[g]     = sum_n dy[n, g] @ cols[n, g]^T

``padding`` here is (top, left): the output size (Ho, Wo) is given, so the
bottom and right padding are implied.
"""

from __future__ import annotations

import numpy as np


def _padded_extent(size: int, pad: int, out: int, k: int, stride: int, dilation: int) -> int:
    """Rows (or columns) of the zero-padded input that every window position reads."""
    return max(pad + size, (out - 1) * stride + (k - 1) * dilation + 1)


def im2col(x, kernel_size, stride, padding, dilation, output_size) -> np.ndarray:
    """cols (N, C, kh, kw, Ho, Wo) with cols[..., i, j, oh, ow] = xpad[oh sh + i dh, ow sw + j dw]."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (pt, pl), (dh, dw), (ho, wo) = (kernel_size, stride, padding, dilation,
                                                         output_size)
    hp = _padded_extent(h, pt, ho, kh, sh, dh)
    wp = _padded_extent(w, pl, wo, kw, sw, dw)
    xp = np.zeros((n, c, hp, wp), x.dtype)
    xp[:, :, pt:pt + h, pl:pl + w] = x
    cols = np.empty((n, c, kh, kw, ho, wo), x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = xp[:, :, i * dh:i * dh + (ho - 1) * sh + 1:sh,
                                  j * dw:j * dw + (wo - 1) * sw + 1:sw]
    return cols


def col2im(cols, input_size, stride, padding, dilation) -> np.ndarray:
    """The adjoint of :func:`im2col`: sums every column entry back into its input pixel."""
    n, c, kh, kw, ho, wo = cols.shape
    (h, w), (sh, sw), (pt, pl), (dh, dw) = input_size, stride, padding, dilation
    hp = _padded_extent(h, pt, ho, kh, sh, dh)
    wp = _padded_extent(w, pl, wo, kw, sw, dw)
    xp = np.zeros((n, c, hp, wp), cols.dtype)
    for i in range(kh):
        for j in range(kw):
            xp[:, :, i * dh:i * dh + (ho - 1) * sh + 1:sh,
               j * dw:j * dw + (wo - 1) * sw + 1:sw] += cols[:, :, i, j]
    return xp[:, :, pt:pt + h, pl:pl + w]


def conv2d(x, weight, bias, stride, padding, dilation, groups, output_size) -> np.ndarray:
    """y (N, O, Ho, Wo) = weight * x (+ bias) by im2col and one matmul per group."""
    n, c = x.shape[:2]
    o, cg, kh, kw = weight.shape
    ho, wo = output_size
    cols = im2col(x, (kh, kw), stride, padding, dilation, output_size)
    cols = cols.reshape(n, groups, cg * kh * kw, ho * wo)
    y = np.matmul(weight.reshape(1, groups, o // groups, cg * kh * kw), cols)
    y = y.reshape(n, o, ho, wo)
    if bias is not None:
        y += bias.reshape(1, o, 1, 1)
    return y


def conv2d_input_grad(grad_output, weight, input_size, stride, padding, dilation,
                      groups) -> np.ndarray:
    """dx (N, C, H, W) = col2im(W^T @ dy) for y = conv2d(x, W)."""
    n, o, ho, wo = grad_output.shape
    _, cg, kh, kw = weight.shape
    wt = weight.reshape(1, groups, o // groups, cg * kh * kw).swapaxes(-1, -2)
    dcols = np.matmul(wt, grad_output.reshape(n, groups, o // groups, ho * wo))
    dcols = dcols.reshape(n, groups * cg, kh, kw, ho, wo)
    return np.ascontiguousarray(col2im(dcols, input_size, stride, padding, dilation))


def conv2d_weight_grad(grad_output, x, kernel_size, stride, padding, dilation,
                       groups) -> np.ndarray:
    """dW (O, Cg, kh, kw) = sum_n dy[n] @ cols[n]^T for y = conv2d(x, W)."""
    n, o, ho, wo = grad_output.shape
    c = x.shape[1]
    kh, kw = kernel_size
    cols = im2col(x, kernel_size, stride, padding, dilation, (ho, wo))
    cols = cols.reshape(n, groups, (c // groups) * kh * kw, ho * wo)
    dy = grad_output.reshape(n, groups, o // groups, ho * wo)
    dw = np.matmul(dy, cols.swapaxes(-1, -2)).sum(axis=0)
    return dw.reshape(o, c // groups, kh, kw)
