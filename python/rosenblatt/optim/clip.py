"""Gradient clipping, in place: by the total norm of all gradients, or by value.

Same semantics as torch.nn.utils.clip_grad_norm_ / clip_grad_value_.
Parameters whose ``grad`` is None are skipped.
"""

from __future__ import annotations

import math

import numpy as np

from rosenblatt.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _check_non_negative(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not value >= 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return float(value)


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    r"""Scale all gradients together so that their total norm is at most ``max_norm``.

    The total norm is the ``norm_type``-norm of all gradients concatenated
    (``inf`` for the largest absolute value). When it exceeds ``max_norm``,
    every gradient is multiplied in place by ``max_norm / (total + 1e-6)``.
    Returns the total norm before clipping, as a 0-d Tensor (0 when no
    parameter has a gradient). A non-finite total norm raises RuntimeError if
    ``error_if_nonfinite``; otherwise the gradients are scaled by it (to NaN).
    """
    max_norm = _check_non_negative("max_norm", max_norm)
    norm_type = float(norm_type)
    if not norm_type > 0:
        raise ValueError(f"norm_type must be > 0 (or inf), got {norm_type!r}")
    grads = _grads(parameters)
    if not grads:
        return Tensor(np.zeros((), np.float32))
    dtype = np.result_type(*(g.data.dtype for g in grads))
    norms = np.array([np.linalg.norm(g.data.ravel(), norm_type) for g in grads], np.float64)
    total = float(np.linalg.norm(norms, norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"the total norm of order {norm_type} of the gradients is non-finite ({total}), so "
            "it cannot be clipped; pass error_if_nonfinite=False to scale by it anyway")
    clip_coef = max_norm / (total + 1e-6)
    if not clip_coef >= 1.0:  # also true for NaN: torch scales by it too
        for g in grads:
            g.data *= g.data.dtype.type(clip_coef)
            g._version += 1
    return Tensor(np.asarray(total, dtype=dtype))


def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clamp every gradient in place to ``[-clip_value, clip_value]``."""
    clip_value = _check_non_negative("clip_value", clip_value)
    for g in _grads(parameters):
        np.clip(g.data, -clip_value, clip_value, out=g.data)
        g._version += 1
