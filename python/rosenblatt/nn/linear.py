"""Linear, Identity and Flatten."""

from __future__ import annotations

import math

import numpy as np

from rosenblatt import functional as F
from rosenblatt.nn import init
from rosenblatt.nn.module import Module
from rosenblatt.nn.parameter import Parameter
from rosenblatt.tensor import DEFAULT_DTYPE, Tensor


class Linear(Module):
    """y = x W^T + b with W of shape (out_features, in_features), as PyTorch.

    Initialized as PyTorch: W ~ kaiming_uniform_(a=sqrt(5)), i.e.
    U(-1/sqrt(in_features), 1/sqrt(in_features)), and b ~ the same bound
    (:func:`init.fan_in_uniform_`). The forward is one fused GEMM
    (:func:`rosenblatt.functional.linear`).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__()
        if in_features < 0 or out_features < 0:
            raise ValueError(f"Linear: features must be >= 0, got in_features={in_features}, "
                             f"out_features={out_features}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        dtype = DEFAULT_DTYPE if dtype is None else np.dtype(dtype)
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype))
        if bias:
            self.bias = Parameter(np.empty(self.out_features, dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()
        if device is not None:
            self.to(device)

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            init.fan_in_uniform_(self.bias, fan_in=self.in_features)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Identity(Module):
    """Returns its input; takes (and ignores) any constructor arguments, as PyTorch."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return input


class Flatten(Module):
    """Flattens dimensions ``start_dim`` .. ``end_dim`` into one ((N, C, H, W) -> (N, C*H*W))."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
