"""check_op: one line per op test, comparing values and gradients with a reference.

``check_op(rb_fn, torch_fn, shapes)`` draws inputs of ``shapes`` and checks,
in float32 and float64, that ``rb_fn`` on rosenblatt tensors equals
``torch_fn`` on torch tensors (values and the gradient of a random projection
of the output with respect to every input), and runs a float64 gradcheck of
``rb_fn``. Without torch the comparison is skipped and only gradcheck runs.
"""

from __future__ import annotations

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.autograd import gradcheck

try:
    import torch
except ImportError:  # the comparisons with torch are optional
    torch = None

TOLERANCES = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}


def make_inputs(shapes, dtype, seed=0, low=-2.0, high=2.0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(low, high, size=s).astype(dtype) for s in shapes]


def check_op(rb_fn, torch_fn, shapes, *, low=-2.0, high=2.0, seed=0, grad=True,
             gradcheck_inputs=True, tolerances=None):
    tolerances = tolerances or TOLERANCES
    for dtype in (np.float32, np.float64):
        arrays = make_inputs(shapes, dtype, seed, low, high)
        ours = [rb.Tensor(a.copy(), requires_grad=grad) for a in arrays]
        out = rb_fn(*ours)
        if torch is not None and torch_fn is not None:
            theirs = [torch.tensor(a.copy(), requires_grad=grad) for a in arrays]
            expected = torch_fn(*theirs)
            tol = tolerances[dtype]
            np.testing.assert_allclose(out.data, expected.detach().numpy(), **tol,
                                       err_msg=f"forward, {np.dtype(dtype).name}")
            assert out.dtype == dtype, f"output dtype {out.dtype}, expected {np.dtype(dtype).name}"
            if grad:
                projection = np.random.default_rng(seed + 1).standard_normal(out.shape).astype(dtype)
                out.backward(projection)
                expected.backward(torch.tensor(projection))
                for i, (a, b) in enumerate(zip(ours, theirs)):
                    if b.grad is None:
                        assert a.grad is None or not a.grad.data.any()
                        continue
                    np.testing.assert_allclose(a.grad.data, b.grad.numpy(), **tol,
                                               err_msg=f"gradient of input {i}, "
                                                       f"{np.dtype(dtype).name}")
    if grad and gradcheck_inputs:
        small = make_inputs(shapes, np.float64, seed, low, high)
        assert gradcheck(rb_fn, [rb.Tensor(a, requires_grad=True) for a in small])


needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")
