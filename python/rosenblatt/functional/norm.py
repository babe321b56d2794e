"""Batch normalization and layer normalization, each one Function with an analytic backward.

Both normalize ``x`` over a set of axes with ``m`` elements per statistic::

    mu = mean(x),  var = mean((x - mu)^2)  (biased),  xhat = (x - mu) / sqrt(var + eps)
    y  = weight * xhat + bias

and share the gradient of the normalization when the statistics come from
``x`` itself (g is dL/dy, sums run over the normalized axes)::

    dxhat   = g * weight
    dx      = 1 / (m sqrt(var + eps)) * (m dxhat - sum(dxhat) - xhat * sum(dxhat * xhat))
    dweight = sum(g * xhat),   dbias = sum(g)      (summed over every non-parameter axis)

batch_norm normalizes over every axis but the channel axis 1 (PyTorch's
semantics for (N, C), (N, C, L) and (N, C, H, W) inputs); in evaluation it
uses the running statistics, which are constants: dx = g * weight / sqrt(running_var + eps).
layer_norm normalizes over the trailing ``normalized_shape`` axes of each sample.
"""

from __future__ import annotations

import numbers

import numpy as np

from rosenblatt.autograd import Function
from rosenblatt.tensor import Tensor


def _normalize(x: np.ndarray, axes: tuple, eps: float):
    """(xhat, 1/sqrt(var + eps)) with the biased variance over ``axes`` (kept as size-1 axes)."""
    mean = x.mean(axis=axes, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(axis=axes, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + x.dtype.type(eps))
    return centered * inv_std, inv_std


def _normalization_grad(dxhat: np.ndarray, xhat: np.ndarray, inv_std: np.ndarray,
                        axes: tuple) -> np.ndarray:
    """dx of xhat = (x - mean(x)) * inv_std given dxhat (the formula of the module docstring)."""
    m = xhat.size // inv_std.size
    sum_d = dxhat.sum(axis=axes, keepdims=True)
    sum_dx = (dxhat * xhat).sum(axis=axes, keepdims=True)
    return (inv_std / m) * (m * dxhat - sum_d - xhat * sum_dx)


class BatchNorm(Function):
    """y = weight * (x - mean) / sqrt(var + eps) + bias per channel (axis 1).

    ``mean`` and ``var`` are the batch's (biased) statistics when ``training``,
    so the backward differentiates through them, else the running ones.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, mean, var, training, eps):
        shape = (1, -1) + (1,) * (x.ndim - 2)
        inv_std = (1.0 / np.sqrt(var.astype(x.dtype, copy=False) + x.dtype.type(eps))).reshape(shape)
        xhat = (x - mean.astype(x.dtype, copy=False).reshape(shape)) * inv_std
        y = xhat if weight is None else xhat * weight.reshape(shape)
        if bias is not None:
            y = y + bias.reshape(shape)
        ctx.save_for_backward(xhat, inv_std, weight)
        ctx.axes, ctx.shape, ctx.training = (0,) + tuple(range(2, x.ndim)), shape, training
        return y.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        xhat, inv_std, weight = ctx.saved_tensors
        axes, shape = ctx.axes, ctx.shape
        gx = None
        if ctx.needs_input_grad[0]:
            dxhat = g if weight is None else g * weight.reshape(shape)
            gx = (_normalization_grad(dxhat, xhat, inv_std, axes) if ctx.training
                  else dxhat * inv_std)
        gw = (g * xhat).sum(axis=axes) if weight is not None and ctx.needs_input_grad[1] else None
        gb = g.sum(axis=axes) if ctx.needs_input_grad[2] else None
        return gx, gw, gb, None, None, None, None


class LayerNorm(Function):
    """y = weight * (x - mu) / sqrt(var + eps) + bias over the trailing ``n_axes`` axes."""

    @staticmethod
    def forward(ctx, x, weight, bias, n_axes, eps):
        axes = tuple(range(x.ndim - n_axes, x.ndim))
        xhat, inv_std = _normalize(x, axes, eps)
        y = xhat if weight is None else xhat * weight
        if bias is not None:
            y = y + bias
        ctx.save_for_backward(xhat, inv_std, weight)
        ctx.axes = axes
        return y.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        xhat, inv_std, weight = ctx.saved_tensors
        gx = None
        if ctx.needs_input_grad[0]:
            dxhat = g if weight is None else g * weight
            gx = _normalization_grad(dxhat, xhat, inv_std, ctx.axes)
        # the engine sums these broadcast-shaped gradients over the leading axes
        gw = g * xhat if weight is not None and ctx.needs_input_grad[1] else None
        gb = g if ctx.needs_input_grad[2] else None
        return gx, gw, gb, None, None


def _array(value):
    return value.data if isinstance(value, Tensor) else value


def _check_param(name: str, value, shape: tuple, x: Tensor, op: str) -> None:
    if value is None:
        return
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor or None, got {type(value).__name__}")
    if value.shape != shape:
        raise ValueError(f"{op}: {name} has shape {value.shape}, expected {shape} for an input "
                         f"of shape {x.shape}")
    if value.dtype != x.dtype:
        raise TypeError(f"{op}: {name} has dtype {value.dtype}, the input has {x.dtype}")


def _check_input(x, op: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(x).__name__}")
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(f"{op}: needs a float32 or float64 input, got {x.dtype}")


def batch_norm(input: Tensor, running_mean, running_var, weight: Tensor | None = None,  # noqa: A002
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Batch normalization over every axis of ``input`` but axis 1 (channels), as torch.

    ``input`` is (N, C), (N, C, L) or (N, C, H, W); ``weight`` and ``bias``
    are (C,) or None. In training the batch's mean and biased variance
    normalize, and ``running_mean`` / ``running_var`` (arrays or Tensors of
    shape (C,), or None) are updated in place::

        running_mean <- (1 - momentum) running_mean + momentum mean
        running_var  <- (1 - momentum) running_var  + momentum var * m / (m - 1)   (unbiased)

    with m = N * L (* H * W) values per channel. In evaluation the running
    statistics normalize and nothing is updated.
    """
    op = "batch_norm"
    _check_input(input, op)
    if input.ndim < 2:
        raise ValueError(f"{op}: expected an input of 2 or more dimensions (N, C, ...), "
                         f"got shape {input.shape}")
    channels = (input.shape[1],)
    _check_param("weight", weight, channels, input, op)
    _check_param("bias", bias, channels, input, op)
    mean_array, var_array = _array(running_mean), _array(running_var)
    for name, stat in (("running_mean", mean_array), ("running_var", var_array)):
        if stat is None:
            if not training:
                raise ValueError(f"{op}: {name} is required in evaluation mode")
        elif not isinstance(stat, np.ndarray) or stat.shape != channels:
            raise ValueError(f"{op}: {name} must be an array of shape {channels}, got "
                             f"{getattr(stat, 'shape', type(stat).__name__)}")
    m = input.data.size // max(channels[0], 1)
    if training and m <= 1:
        raise ValueError(f"{op}: expected more than 1 value per channel when training, got "
                         f"input of shape {input.shape}")
    if training:
        axes = (0,) + tuple(range(2, input.ndim))
        x = input.data
        mean = x.mean(axis=axes)
        centered = x - mean.reshape((1, -1) + (1,) * (x.ndim - 2))
        var = (centered * centered).mean(axis=axes)  # biased: normalizes the batch
        for stat, tensor, batch in ((mean_array, running_mean, mean),
                                    (var_array, running_var, var * (m / (m - 1)))):  # unbiased
            if stat is not None:
                stat *= 1 - momentum
                stat += momentum * batch.astype(stat.dtype, copy=False)
                if isinstance(tensor, Tensor):
                    tensor._version += 1
        mean_array, var_array = mean, var
    return BatchNorm.apply(input, weight, bias, mean_array, var_array, bool(training),
                           float(eps))


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,  # noqa: A002
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Layer normalization over the last ``len(normalized_shape)`` axes of ``input``, as torch.

    Each sample's trailing block of shape ``normalized_shape`` is normalized by
    its own mean and biased variance, then scaled by ``weight`` and shifted by
    ``bias`` (both of shape ``normalized_shape``, or None).
    """
    op = "layer_norm"
    _check_input(input, op)
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(int(n) for n in normalized_shape)
    n_axes = len(normalized_shape)
    if n_axes == 0 or input.shape[input.ndim - n_axes:] != normalized_shape:
        raise ValueError(f"{op}: normalized_shape {normalized_shape} does not match the trailing "
                         f"dimensions of the input of shape {input.shape}")
    _check_param("weight", weight, normalized_shape, input, op)
    _check_param("bias", bias, normalized_shape, input, op)
    return LayerNorm.apply(input, weight, bias, n_axes, float(eps))
