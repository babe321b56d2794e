"""Parameter initialization (``rb.nn.init``), with PyTorch's names and formulas.

Every function fills its Tensor in place (under ``no_grad``), draws from the
library generator (:mod:`rosenblatt.random`, so ``rb.manual_seed`` makes it
repeatable) and returns the Tensor. For a weight of shape
(out, in, *kernel), fan_in = in * prod(kernel) and fan_out = out * prod(kernel).

=====================  ===================================================
xavier_uniform_        U(-a, a),  a = gain * sqrt(6 / (fan_in + fan_out))
xavier_normal_         N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))
kaiming_uniform_       U(-b, b),  b = gain * sqrt(3 / fan)
kaiming_normal_        N(0, std^2), std = gain / sqrt(fan)
fan_in_uniform_        U(-1/sqrt(fan_in), 1/sqrt(fan_in))  (PyTorch's Linear bias)
orthogonal_            gain * Q of a QR factorization of a Gaussian matrix
=====================  ===================================================
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from rosenblatt.autograd import no_grad
from rosenblatt.random import generator
from rosenblatt.tensor import Tensor

_LINEAR_GAINS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                 "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The recommended gain for ``nonlinearity``: 1 (linear, conv, sigmoid), 5/3 (tanh),
    sqrt(2) (relu), sqrt(2 / (1 + slope^2)) (leaky_relu, slope = param or 0.01), 3/4 (selu)."""
    if nonlinearity in _LINEAR_GAINS:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, numbers.Real) and not isinstance(param, bool):
            slope = float(param)
        else:
            raise ValueError(f"negative_slope {param!r} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel), as PyTorch."""
    if tensor.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than "
                         f"2 dimensions (got shape {tensor.shape})")
    receptive_field = int(np.prod(tensor.shape[2:], dtype=np.int64))
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor: Tensor, values) -> Tensor:
    _check_tensor(tensor)
    with no_grad():
        tensor.data[...] = values
        tensor._version += 1
    return tensor


def _check_tensor(tensor) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"init functions take a Tensor, got {type(tensor).__name__}")


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with U(a, b)."""
    _check_tensor(tensor)
    return _fill(tensor, generator().uniform(a, b, tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with N(mean, std^2)."""
    _check_tensor(tensor)
    return _fill(tensor, generator().normal(mean, std, tensor.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    return _fill(tensor, val)


def ones_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 1)


def zeros_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 0)


def fan_in_uniform_(tensor: Tensor, fan_in: int | None = None) -> Tensor:
    """Fill with U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (0 when fan_in is 0).

    ``fan_in`` defaults to the tensor's own; pass the weight's for a bias, as
    PyTorch's Linear does.
    """
    _check_tensor(tensor)
    if fan_in is None:
        fan_in, _ = _calculate_fan_in_and_fan_out(tensor)
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return uniform_(tensor, -bound, bound)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a)


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)))


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu") -> Tensor:
    """He uniform: U(-b, b) with b = calculate_gain(nonlinearity, a) * sqrt(3 / fan)."""
    _check_tensor(tensor)
    if tensor.numel() == 0:
        return tensor
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(
        _calculate_correct_fan(tensor, mode))
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu") -> Tensor:
    """He normal: N(0, std^2) with std = calculate_gain(nonlinearity, a) / sqrt(fan)."""
    _check_tensor(tensor)
    if tensor.numel() == 0:
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(tensor, mode))
    return normal_(tensor, 0.0, std)


def orthogonal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """A (semi-)orthogonal matrix times ``gain`` (Saxe et al.), the tensor viewed as (rows, -1).

    Q comes from the QR factorization of a Gaussian matrix, with each column
    multiplied by the sign of R's diagonal so that Q is uniformly distributed.
    Rows are orthonormal when rows <= cols, columns otherwise.
    """
    _check_tensor(tensor)
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = generator().normal(0.0, 1.0, (rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor.shape))
