"""Activation modules: thin wrappers of :mod:`rosenblatt.functional.activation`.

PReLU is the one with a parameter: a learnable negative slope ``weight`` of
shape (num_parameters,), one shared slope or one per channel (dim 1).
"""

from __future__ import annotations

import numpy as np

from rosenblatt import functional as F
from rosenblatt.nn.module import Module
from rosenblatt.nn.parameter import Parameter
from rosenblatt.tensor import DEFAULT_DTYPE, Tensor


class ReLU(Module):
    """max(0, x)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.relu(input)


class Sigmoid(Module):
    """1 / (1 + exp(-x))."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.sigmoid(input)


class Tanh(Module):
    """tanh(x)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.tanh(input)


class LeakyReLU(Module):
    """x for x > 0, else negative_slope * x."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class PReLU(Module):
    """max(0, x) + weight * min(0, x) with a learnable ``weight`` (initialized to ``init``)."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None,
                 dtype=None) -> None:
        super().__init__()
        if num_parameters < 1:
            raise ValueError(f"PReLU: num_parameters must be >= 1, got {num_parameters}")
        self.num_parameters, self.init = int(num_parameters), init
        dtype = DEFAULT_DTYPE if dtype is None else np.dtype(dtype)
        self.weight = Parameter(np.full(self.num_parameters, init, dtype))
        if device is not None:
            self.to(device)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class ELU(Module):
    """x for x > 0, else alpha * (exp(x) - 1)."""

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = alpha

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class SELU(Module):
    """scale * ELU(x, alpha) with the self-normalizing constants (1.0507, 1.6733)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.selu(input)


class Softplus(Module):
    """log(1 + exp(beta x)) / beta, linear where beta x > threshold."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class GELU(Module):
    """x Phi(x) (``approximate='none'``) or its tanh approximation (``'tanh'``)."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.gelu(input, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Maxout(Module):
    """The max over groups of ``pool_size`` consecutive features along ``dim`` (Goodfellow et al.).

    Not a PyTorch module; preceded by a Linear with pool_size * k outputs it
    gives k maxout units.
    """

    def __init__(self, pool_size: int, dim: int = -1) -> None:
        super().__init__()
        if pool_size < 1:
            raise ValueError(f"Maxout: pool_size must be >= 1, got {pool_size}")
        self.pool_size, self.dim = int(pool_size), dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.maxout(input, self.pool_size, self.dim)

    def extra_repr(self) -> str:
        return f"pool_size={self.pool_size}, dim={self.dim}"


class Softmax(Module):
    """exp(x) / sum(exp(x)) along ``dim`` (default the last; PyTorch's default is implicit)."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """x - logsumexp(x) along ``dim`` (default the last)."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
