"""BatchNorm1d, BatchNorm2d and LayerNorm, with PyTorch's parameter and buffer names.

A batch norm holds ``weight`` (gamma, ones) and ``bias`` (beta, zeros; unless
``bias=False``) when ``affine``, and the buffers ``running_mean`` (zeros), ``running_var`` (ones)
and ``num_batches_tracked`` (an int64 count) when ``track_running_stats``.
In training it normalizes with the batch statistics and moves the running
ones by ``momentum`` (or by the cumulative average 1 / num_batches_tracked
when ``momentum`` is None); in evaluation it normalizes with the running
statistics. See :mod:`rosenblatt.functional.norm` for the math.
"""

from __future__ import annotations

import numbers

import numpy as np

from rosenblatt import functional as F
from rosenblatt.nn import init
from rosenblatt.nn.module import Module
from rosenblatt.nn.parameter import Parameter
from rosenblatt.tensor import DEFAULT_DTYPE, Tensor


class _BatchNorm(Module):
    """Batch normalization per channel C (axis 1) over every other axis.

    Subclasses name the input ranks they take in ``_input_ndims``.
    """

    _input_ndims: tuple[int, ...] = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None,
                 dtype=None, *, bias: bool = True) -> None:
        super().__init__()
        if num_features < 1:
            raise ValueError(f"{type(self).__name__}: num_features must be >= 1, got "
                             f"{num_features}")
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = DEFAULT_DTYPE if dtype is None else np.dtype(dtype)
        if affine:
            self.weight = Parameter(np.ones(self.num_features, dtype))
            if bias:
                self.bias = Parameter(np.zeros(self.num_features, dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(self.num_features, dtype)))
            self.register_buffer("running_var", Tensor(np.ones(self.num_features, dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        if device is not None:
            self.to(device)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            init.zeros_(self.num_batches_tracked)

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        name = type(self).__name__
        if input.ndim not in self._input_ndims:
            ranks = " or ".join(f"{n}D" for n in self._input_ndims)
            raise ValueError(f"{name}: expected {ranks} input (got {input.ndim}D input "
                             f"of shape {input.shape})")
        if input.shape[1] != self.num_features:
            raise ValueError(f"{name}: input of shape {input.shape} has {input.shape[1]} "
                             f"channels (dim 1), expected {self.num_features}")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            self.num_batches_tracked._version += 1
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.data)
        # without running statistics, evaluation also normalizes with the batch's
        use_batch_stats = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch_stats, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) inputs over N (and L), per channel C."""

    _input_ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) inputs over N, H and W, per channel C."""

    _input_ndims = (4,)


class LayerNorm(Module):
    """Layer normalization over the trailing ``normalized_shape`` dimensions of each sample.

    With ``elementwise_affine`` it learns ``weight`` (ones) and, if ``bias``,
    ``bias`` (zeros), both of shape ``normalized_shape``.
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        dtype = DEFAULT_DTYPE if dtype is None else np.dtype(dtype)
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype))
            if bias:
                self.bias = Parameter(np.zeros(self.normalized_shape, dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if device is not None:
            self.to(device)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")
