"""Batch normalization and layer normalization, each one Function over a fused native kernel.

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
Each direction is one native pass (:mod:`rosenblatt.kernels.norm`).
"""

from __future__ import annotations

import numbers

import numpy as np

from rosenblatt import kernels
from rosenblatt.autograd import Function
from rosenblatt.tensor import Tensor


class BatchNorm(Function):
    """y = weight * (x - mean) / sqrt(var + eps) + bias per channel (axis 1).

    ``mean`` and ``var`` are the batch's (biased) statistics when ``training``,
    so the backward differentiates through them, else the running ones. One
    native pass each way (:func:`rosenblatt.kernels.batch_norm_forward`); the
    running statistics are updated in place by the forward.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps):
        y, mean, invstd = kernels.batch_norm_forward(x, weight, bias, running_mean, running_var,
                                                     training, momentum, eps)
        ctx.save_for_backward(x, weight, mean, invstd)
        ctx.training = training
        return y

    @staticmethod
    def backward(ctx, g):
        x, weight, mean, invstd = ctx.saved_tensors
        gx, gw, gb = kernels.batch_norm_backward(g, x, weight, mean, invstd, ctx.training)
        needs = ctx.needs_input_grad
        return (gx if needs[0] else None, gw if weight is not None and needs[1] else None,
                gb if needs[2] else None, None, None, None, None, None)


class LayerNorm(Function):
    """y = weight * (x - mu) / sqrt(var + eps) + bias over the trailing ``normalized_shape`` axes."""

    @staticmethod
    def forward(ctx, x, weight, bias, normalized_shape, eps):
        y, mean, rstd = kernels.layer_norm_forward(x, normalized_shape, weight, bias, eps)
        ctx.save_for_backward(x, weight, mean, rstd)
        ctx.normalized_shape = normalized_shape
        return y

    @staticmethod
    def backward(ctx, g):
        x, weight, mean, rstd = ctx.saved_tensors
        gx, gw, gb = kernels.layer_norm_backward(g, x, ctx.normalized_shape, mean, rstd, weight)
        needs = ctx.needs_input_grad
        return (gx if needs[0] else None, gw if weight is not None and needs[1] else None,
                gb if needs[2] else None, None, None)


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
        elif stat.dtype != input.dtype:
            raise TypeError(f"{op}: {name} has dtype {stat.dtype}, the input has {input.dtype}")
    m = input.data.size // max(channels[0], 1)
    if training and m <= 1:
        raise ValueError(f"{op}: expected more than 1 value per channel when training, got "
                         f"input of shape {input.shape}")
    out = BatchNorm.apply(input, weight, bias, mean_array, var_array, bool(training),
                          float(momentum), float(eps))
    if training:  # the forward moved the running statistics in place
        for tensor in (running_mean, running_var):
            if isinstance(tensor, Tensor):
                tensor._version += 1
    return out


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
    return LayerNorm.apply(input, weight, bias, normalized_shape, float(eps))
