"""Batch normalization and layer normalization, forward and backward, fused per channel or row.

Both normalize by a mean and a biased variance and then scale and shift::

    xhat = (x - mean) / sqrt(var + eps),    y = weight * xhat + bias

Batch norm takes its statistics per channel (axis 1) over every other axis;
layer norm per sample over the trailing ``normalized_shape`` axes. Sums are
accumulated in double precision, threads split channels or rows, and the
results do not depend on the thread count. The names and returned tuples are
those of PyTorch's ``native_batch_norm`` / ``native_layer_norm``.
"""

from __future__ import annotations

import numpy as np

from rosenblatt import _C


def batch_norm_forward(x: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None,
                       running_mean: np.ndarray | None, running_var: np.ndarray | None,
                       training: bool, momentum: float, eps: float):
    """Batch normalization of ``x`` (N, C, ...) per channel.

    In training the batch's mean and biased variance normalize, and the
    running statistics (when given) are updated in place::

        running_mean <- (1 - momentum) running_mean + momentum mean
        running_var  <- (1 - momentum) running_var  + momentum var * m / (m - 1)

    with m = N * (product of the axes after C) values per channel. Otherwise
    ``running_mean`` and ``running_var`` normalize and are left alone.

    Parameters
    ----------
    x : numpy.ndarray
        float32 or float64 with at least 2 dimensions, channels on axis 1.
    weight, bias : numpy.ndarray or None
        (C,), the dtype of ``x``.
    running_mean, running_var : numpy.ndarray or None
        (C,), the dtype of ``x``, C-contiguous and writeable; required when
        not training.
    training : bool
    momentum, eps : float
        finite; ``eps >= 0``.

    Returns
    -------
    (y, save_mean, save_invstd)
        ``y`` of ``x``'s shape, and the (C,) mean and 1 / sqrt(var + eps)
        that normalized it (what :func:`batch_norm_backward` takes).
    """
    return _C.batch_norm_forward(x, weight, bias, running_mean, running_var, training,
                                 momentum, eps)


def batch_norm_backward(grad_output: np.ndarray, x: np.ndarray, weight: np.ndarray | None,
                        save_mean: np.ndarray, save_invstd: np.ndarray, training: bool):
    """(dx, dweight, dbias) of :func:`batch_norm_forward`, with g = ``grad_output``::

        dweight = sum g * xhat,   dbias = sum g      (per channel)
        dx = weight * invstd * (g - mean(g) - xhat * mean(g * xhat))   in training
        dx = weight * invstd * g                                         otherwise

    (in evaluation the statistics are constants).
    """
    return _C.batch_norm_backward(grad_output, x, weight, save_mean, save_invstd, training)


def layer_norm_forward(x: np.ndarray, normalized_shape: tuple, weight: np.ndarray | None,
                       bias: np.ndarray | None, eps: float):
    """Layer normalization of ``x`` over its trailing ``normalized_shape`` axes.

    Returns ``(y, mean, rstd)``: ``y`` of ``x``'s shape, and the per-sample
    mean and 1 / sqrt(var + eps), of shape ``x.shape[:-len(normalized_shape)]``.
    ``weight`` and ``bias`` have shape ``normalized_shape`` or are None.
    """
    return _C.layer_norm_forward(x, tuple(normalized_shape), weight, bias, eps)


def layer_norm_backward(grad_output: np.ndarray, x: np.ndarray, normalized_shape: tuple,
                        mean: np.ndarray, rstd: np.ndarray, weight: np.ndarray | None):
    """(dx, dweight, dbias) of :func:`layer_norm_forward`, with g = ``grad_output``::

        dxhat = g * weight
        dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))   (per sample)
        dweight = sum g * xhat,   dbias = sum g                          (over samples)
    """
    return _C.layer_norm_backward(grad_output, x, tuple(normalized_shape), mean, rstd, weight)
