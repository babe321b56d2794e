"""rb.nn.init: statistics on big tensors, gains and fans as torch, orthogonality, repeatability."""

import math

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.nn import init


def big(*shape, dtype="float32"):
    return rb.zeros(*shape, dtype=dtype)


def test_constant_fills():
    t = big(3, 4)
    assert init.ones_(t) is t and (t.data == 1).all()
    assert (init.zeros_(t).data == 0).all()
    assert (init.constant_(t, 2.5).data == 2.5).all()


def test_uniform_and_normal_statistics():
    rb.manual_seed(0)
    u = init.uniform_(big(500, 400), -2.0, 3.0)
    assert u.data.min() >= -2.0 and u.data.max() < 3.0
    assert u.data.mean() == pytest.approx(0.5, abs=0.01)
    assert u.data.std() == pytest.approx(5 / math.sqrt(12), rel=0.01)
    n = init.normal_(big(500, 400, dtype="float64"), 1.0, 2.0)
    assert n.dtype == np.float64
    assert n.data.mean() == pytest.approx(1.0, abs=0.01)
    assert n.data.std() == pytest.approx(2.0, rel=0.01)


def test_fans_as_torch():
    assert init._calculate_fan_in_and_fan_out(big(5, 3)) == (3, 5)
    assert init._calculate_fan_in_and_fan_out(big(8, 4, 3, 3)) == (36, 72)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(big(5))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(big(2, 2), mode="fan_avg")


def test_calculate_gain_as_torch():
    torch = pytest.importorskip("torch")
    for name, param in [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None),
                        ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None)]:
        assert init.calculate_gain(name, param) == pytest.approx(
            torch.nn.init.calculate_gain(name, param))
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("shape", [(400, 300), (64, 32, 3, 3)])
def test_xavier_and_kaiming_bounds_and_std(shape):
    rb.manual_seed(1)
    fan_in = shape[1] * int(np.prod(shape[2:]))
    fan_out = shape[0] * int(np.prod(shape[2:]))
    xavier_std = math.sqrt(2 / (fan_in + fan_out))
    t = init.xavier_uniform_(big(*shape), gain=2.0)
    assert np.abs(t.data).max() <= 2.0 * math.sqrt(3) * xavier_std
    assert t.data.std() == pytest.approx(2.0 * xavier_std, rel=0.02)
    assert init.xavier_normal_(big(*shape)).data.std() == pytest.approx(xavier_std, rel=0.02)
    he_std = math.sqrt(2) / math.sqrt(fan_in)
    t = init.kaiming_uniform_(big(*shape), nonlinearity="relu")
    assert np.abs(t.data).max() <= math.sqrt(3) * he_std
    assert t.data.std() == pytest.approx(he_std, rel=0.02)
    t = init.kaiming_normal_(big(*shape), mode="fan_out", nonlinearity="relu")
    assert t.data.std() == pytest.approx(math.sqrt(2 / fan_out), rel=0.02)
    assert abs(t.data.mean()) < 0.01 * math.sqrt(2 / fan_out) * 10


def test_kaiming_uniform_with_sqrt5_is_the_fan_in_uniform_bound():
    rb.manual_seed(2)
    w = init.kaiming_uniform_(big(300, 200), a=math.sqrt(5))
    bound = 1 / math.sqrt(200)
    assert np.abs(w.data).max() <= bound and np.abs(w.data).max() > 0.99 * bound
    b = init.fan_in_uniform_(big(300), fan_in=200)
    assert np.abs(b.data).max() <= bound and np.abs(b.data).max() > 0.99 * bound
    assert np.abs(init.fan_in_uniform_(big(300, 200)).data).max() <= bound


@pytest.mark.parametrize("shape", [(6, 10), (10, 6), (4, 3, 2)])
def test_orthogonal(shape):
    rb.manual_seed(3)
    t = init.orthogonal_(big(*shape, dtype="float64"), gain=2.0)
    w = t.data.reshape(shape[0], -1) / 2.0
    if w.shape[0] <= w.shape[1]:
        np.testing.assert_allclose(w @ w.T, np.eye(w.shape[0]), atol=1e-12)
    else:
        np.testing.assert_allclose(w.T @ w, np.eye(w.shape[1]), atol=1e-12)
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(big(3))


def test_in_place_under_no_grad_and_repeatable():
    p = rb.nn.Parameter(np.zeros((3, 3), np.float32))
    array = p.data
    rb.manual_seed(5)
    init.normal_(p)  # a Parameter that requires grad can be initialized
    assert p.data is array and p.requires_grad and p.grad is None
    first = p.data.copy()
    rb.manual_seed(5)
    np.testing.assert_array_equal(init.normal_(p).data, first)
    with pytest.raises(TypeError, match="take a Tensor"):
        init.zeros_(np.zeros(3))
