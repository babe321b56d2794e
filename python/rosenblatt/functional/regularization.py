"""L1 and L2 weight penalties, to add to a loss.

    l1_penalty(params) = sum_w sum_i |w_i|        d/dw = sign(w)
    l2_penalty(params) = sum_w sum_i w_i^2        d/dw = 2 w

Both are plain (unscaled) sums; multiply by the regularization strength and
add to the loss::

    loss = F.cross_entropy(model(x), y) + 1e-4 * F.l2_penalty(model.parameters())

Note the L2 penalty has no factor 1/2: lambda * l2_penalty adds 2 lambda w to
each gradient, i.e. it equals SGD's ``weight_decay = 2 lambda``.
"""

from __future__ import annotations

from rosenblatt.functional import elementwise as ew
from rosenblatt.functional import reduce
from rosenblatt.tensor import Tensor


def _collect(parameters, op: str) -> list:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    tensors = list(parameters)
    if not tensors:
        raise ValueError(f"{op}: got no parameters")
    for t in tensors:
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: expected Tensors, got {type(t).__name__}")
    return tensors


def _total(terms: list) -> Tensor:
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def l1_penalty(parameters) -> Tensor:
    """sum of |w| over every element of every given tensor (a Tensor or an iterable of them)."""
    return _total([reduce.sum(ew.abs(t)) for t in _collect(parameters, "l1_penalty")])


def l2_penalty(parameters) -> Tensor:
    """sum of w^2 over every element of every given tensor (a Tensor or an iterable of them)."""
    return _total([reduce.sum(t * t) for t in _collect(parameters, "l2_penalty")])
