"""Matrix products on our GEMM: matmul and the fully connected layer.

``linear(x, W, b)`` is ``x @ W.T + b`` (PyTorch's layout, W is (out, in)) in
one GEMM call with the bias, and optionally the activation, fused into the
store. Its backward is two more GEMMs::

    dX = dY @ W,    dW = dY^T @ X,    db = sum_rows dY

where dY is first multiplied by the activation's derivative, written in terms
of the saved output y: relu' = [y > 0], sigmoid' = y (1 - y), tanh' = 1 - y^2.
"""

from __future__ import annotations

import numpy as np

from rosenblatt import kernels
from rosenblatt.autograd import Function
from rosenblatt.functional.activation import gelu_derivative
from rosenblatt.tensor import Tensor, as_operands

FUSED_ACTIVATIONS = (None, "relu", "sigmoid", "tanh", "gelu")


def _gemm_ready(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.dtype in (np.float32, np.float64)


def _product(a: np.ndarray, b: np.ndarray, trans_a=False, trans_b=False) -> np.ndarray:
    """op(a) @ op(b) for 2-D or stacked 3-D float arrays through our kernels (NumPy otherwise)."""
    if not _gemm_ready(a, b) or a.ndim > 3 or b.ndim > 3:
        return np.matmul(a.swapaxes(-1, -2) if trans_a else a, b.swapaxes(-1, -2) if trans_b else b)
    if a.ndim == 2 and b.ndim == 2:
        return kernels.gemm(a, b, trans_a=trans_a, trans_b=trans_b)
    if a.ndim == 3 and b.ndim == 3 and a.shape[0] != b.shape[0]:
        return np.matmul(a.swapaxes(-1, -2) if trans_a else a, b.swapaxes(-1, -2) if trans_b else b)
    return kernels.batched_gemm(a, b, trans_a=trans_a, trans_b=trans_b)


class MatMul(Function):
    """a @ b for operands of two or more dimensions (leading dimensions broadcast)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _product(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = _product(g, b, trans_b=True) if ctx.needs_input_grad[0] else None
        gb = None
        if ctx.needs_input_grad[1]:
            if a.ndim == 3 and b.ndim == 2:  # b was shared by the stack: sum its gradients
                gb = _product(a.reshape(-1, a.shape[-1]), g.reshape(-1, g.shape[-1]), trans_a=True)
            else:
                gb = _product(a, g, trans_a=True)
        return ga, gb


def matmul(a, b) -> Tensor:
    """Matrix product with NumPy's rules (1-D operands are promoted, then squeezed)."""
    a, b = as_operands(a, b, "matmul")
    a = a if isinstance(a, Tensor) else Tensor(a)
    b = b if isinstance(b, Tensor) else Tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul needs operands of at least one dimension, got a scalar")
    if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align "
                         f"({a.shape[-1]} != {b.shape[-2 if b.ndim > 1 else 0]})")
    squeeze_first, squeeze_last = a.ndim == 1, b.ndim == 1
    if squeeze_first:
        a = a.reshape(1, -1)
    if squeeze_last:
        b = b.reshape(-1, 1)
    out = MatMul.apply(a, b)
    if squeeze_first:
        out = out.squeeze(-2)
    if squeeze_last:
        out = out.squeeze(-1)
    return out


class Linear(Function):
    @staticmethod
    def forward(ctx, x, weight, bias, activation):
        y = kernels.gemm(x, weight, trans_b=True, bias=bias, activation=activation)
        # relu, sigmoid and tanh have derivatives in terms of y; GELU's needs
        # the pre-activation, which the backward recomputes with one more GEMM
        # rather than keeping a second activation-sized array alive.
        ctx.save_for_backward(x, weight, bias if activation == "gelu" else None,
                              y if activation not in (None, "gelu") else None)
        ctx.activation, ctx.has_bias = activation, bias is not None
        return y

    @staticmethod
    def backward(ctx, g):
        x, weight, bias, y = ctx.saved_tensors
        if ctx.activation == "gelu":
            g = g * gelu_derivative(kernels.gemm(x, weight, trans_b=True, bias=bias))
        elif ctx.activation == "relu":
            g = g * (y > 0)
        elif ctx.activation == "sigmoid":
            g = g * y * (1 - y)
        elif ctx.activation == "tanh":
            g = g * (1 - y * y)
        gx = kernels.gemm(g, weight) if ctx.needs_input_grad[0] else None
        gw = kernels.gemm(g, x, trans_a=True) if ctx.needs_input_grad[1] else None
        gb = g.sum(axis=0) if ctx.has_bias and ctx.needs_input_grad[2] else None
        return gx, gw, gb, None


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None,
           activation: str | None = None) -> Tensor:
    """``activation(x @ weight.T + bias)`` in one fused GEMM.

    ``x`` is (..., in_features), ``weight`` (out_features, in_features),
    ``bias`` (out_features,). ``activation`` (a rosenblatt extension of
    torch's ``F.linear``) is None, 'relu', 'sigmoid', 'tanh' or 'gelu' (the
    exact erf form, torch's default), applied in the GEMM's store.
    """
    if activation not in FUSED_ACTIVATIONS:
        raise ValueError(f"linear: activation must be one of {FUSED_ACTIVATIONS}, got {activation!r}")
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got {weight.shape}")
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input of shape {x.shape} does not match weight of shape "
                         f"{weight.shape} (expected last dimension {weight.shape[1]})")
    if x.dtype != weight.dtype or (bias is not None and bias.dtype != weight.dtype):
        raise TypeError(f"linear: input dtype {x.dtype} and weight dtype {weight.dtype}"
                        + (f" and bias dtype {bias.dtype}" if bias is not None else "")
                        + " must match")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"linear: bias has shape {bias.shape}, expected ({weight.shape[0]},)")
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(f"linear: needs float32 or float64, got {x.dtype}")
    lead = x.shape[:-1]
    x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
    y = Linear.apply(x2, weight, bias, activation)
    return y if x.ndim == 2 else y.reshape(*lead, weight.shape[0])
