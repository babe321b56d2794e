"""SGD's Gaussian gradient noise: repeatable under rb.random.manual_seed, zero-mean, decaying."""

import numpy as np
import pytest

from rosenblatt import optim, random
from rosenblatt.nn.parameter import Parameter
from rosenblatt.tensor import Tensor


def run(seed, steps=3, **options):
    random.manual_seed(seed)
    params = [Parameter(np.ones((4, 3), np.float32)), Parameter(np.ones(5))]
    opt = optim.SGD(params, lr=0.1, **options)
    for _ in range(steps):
        for p in params:
            p.grad = Tensor(np.full(p.shape, 0.5, p.dtype))
        opt.step()
    return params, opt


@pytest.mark.parametrize("options", [{}, {"momentum": 0.9, "nesterov": True}])
def test_repeatable_under_manual_seed(options):
    first, _ = run(0, noise_std=0.3, noise_decay=0.55, **options)
    again, _ = run(0, noise_std=0.3, noise_decay=0.55, **options)
    other, _ = run(1, noise_std=0.3, noise_decay=0.55, **options)
    for p, q, r in zip(first, again, other):
        np.testing.assert_array_equal(p.data, q.data)
        assert not np.array_equal(p.data, r.data)
        assert p.dtype == q.dtype


def test_no_noise_is_plain_sgd_and_keeps_no_step():
    noisy_free, opt = run(0)
    for p in noisy_free:
        np.testing.assert_allclose(p.data, 1 - 3 * 0.1 * 0.5, rtol=1e-6)
    assert opt.state_dict()["state"] == {}


def test_zero_mean_with_the_scheduled_std():
    random.manual_seed(7)
    n = 200_000
    p = Parameter(np.zeros(n))
    opt = optim.SGD([p], lr=1.0, noise_std=0.5, noise_decay=0.55)
    for t in range(4):
        p.grad = Tensor(np.zeros(n))
        before = p.data.copy()
        opt.step()
        noise = before - p.data  # lr = 1: the update is the noise itself
        sigma = 0.5 / (1 + t) ** 0.275
        assert abs(noise.mean()) < 5 * sigma / np.sqrt(n)
        assert noise.std() == pytest.approx(sigma, rel=0.01)
        assert not p.grad.data.any()  # the gradient itself is left unchanged
    assert opt.state[p]["step"] == 4
    assert opt.state_dict()["state"][0]["step"] == 4
