"""F.dropout: inverted scaling, eval identity, the mask formula, repeatability, gradcheck."""

import numpy as np
import pytest

import rosenblatt as rb
import rosenblatt.functional as F
from rosenblatt.autograd import gradcheck


def test_mask_formula_and_scaling():
    x = rb.Tensor(np.linspace(1.0, 2.0, 60).reshape(6, 10), requires_grad=True)
    rb.manual_seed(7)
    y = F.dropout(x, p=0.3)
    u = np.random.default_rng(7).random(x.shape)
    expected = np.where(u >= 0.3, x.data / 0.7, 0.0)
    np.testing.assert_allclose(y.data, expected, rtol=1e-15)
    y.backward(np.ones(x.shape))
    np.testing.assert_allclose(x.grad.data, np.where(u >= 0.3, 1 / 0.7, 0.0), rtol=1e-15)


def test_repeatable_under_manual_seed_and_dtype_kept():
    x = rb.ones(100, 50)
    rb.manual_seed(3)
    a = F.dropout(x, 0.5)
    rb.manual_seed(3)
    b = F.dropout(x, 0.5)
    c = F.dropout(x, 0.5)
    np.testing.assert_array_equal(a.data, b.data)
    assert not np.array_equal(b.data, c.data)
    assert a.dtype == np.float32
    assert set(np.unique(a.data)) == {0.0, 2.0}
    assert abs(a.data.mean() - 1.0) < 0.03  # inverted dropout keeps the expectation


def test_eval_identity_p_zero_and_p_one():
    x = rb.randn(4, 5, requires_grad=True)
    assert F.dropout(x, 0.9, training=False) is x
    assert F.dropout(x, 0.0) is x
    y = F.dropout(x, 1.0)
    np.testing.assert_array_equal(y.data, np.zeros((4, 5)))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.zeros((4, 5)))


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan"), "0.5", True])
def test_bad_probability(p):
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(rb.ones(3), p)


def test_gradcheck_with_a_fixed_mask():
    x = rb.Tensor(np.random.default_rng(0).normal(size=(3, 4)), requires_grad=True)

    def fn(x):
        rb.manual_seed(11)  # the same mask on every call of gradcheck
        return F.dropout(x, 0.4)

    assert gradcheck(fn, [x])
