"""l1_penalty and l2_penalty: values, gradients (sign(w), 2w), gradcheck, bad input."""

import numpy as np
import pytest

import rosenblatt as rb
import rosenblatt.functional as F
from rosenblatt.autograd import gradcheck


def test_values_and_gradients():
    w1 = rb.tensor([[1.0, -2.0], [0.5, -0.25]], requires_grad=True)
    w2 = rb.tensor([3.0, -1.0], requires_grad=True)
    l1 = F.l1_penalty([w1, w2])
    assert l1.item() == pytest.approx(1 + 2 + 0.5 + 0.25 + 3 + 1)
    l1.backward()
    np.testing.assert_array_equal(w1.grad.data, np.sign(w1.data))
    w1.grad = w2.grad = None
    l2 = F.l2_penalty(iter([w1, w2]))  # any iterable, e.g. model.parameters()
    assert l2.item() == pytest.approx(1 + 4 + 0.25 + 0.0625 + 9 + 1)
    l2.backward()
    np.testing.assert_allclose(w2.grad.data, 2 * w2.data)


def test_single_tensor_and_gradcheck():
    rng = np.random.default_rng(1)
    a = rb.Tensor(rng.normal(size=(3, 2)), requires_grad=True)
    b = rb.Tensor(rng.normal(size=4), requires_grad=True)
    assert F.l2_penalty(a).item() == pytest.approx((a.data ** 2).sum())
    assert gradcheck(lambda a, b: F.l1_penalty([a, b]), [a, b])
    assert gradcheck(lambda a, b: F.l2_penalty([a, b]), [a, b])


def test_bad_input():
    with pytest.raises(ValueError, match="no parameters"):
        F.l2_penalty([])
    with pytest.raises(TypeError, match="expected Tensors"):
        F.l1_penalty([np.ones(3)])
