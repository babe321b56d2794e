"""clip_grad_norm_ and clip_grad_value_ against torch.nn.utils."""

import numpy as np
import pytest

from rosenblatt import optim
from rosenblatt.nn.parameter import Parameter
from rosenblatt.tensor import Tensor

torch = pytest.importorskip("torch")

SHAPES = [(3, 4), (5,), (2, 2, 3), (1,)]


def pair(dtype, scale=1.0, seed=0):
    """Equal parameters and grads for us and torch; the third parameter has no grad."""
    rng = np.random.default_rng(seed)
    ours, theirs = [], []
    for i, shape in enumerate(SHAPES):
        p, t = Parameter(np.zeros(shape, dtype)), torch.zeros(shape, dtype=torch.float64
                                                               if dtype == np.float64
                                                               else torch.float32)
        if i != 2:
            g = (scale * rng.standard_normal(shape)).astype(dtype)
            p.grad, t.grad = Tensor(g.copy()), torch.from_numpy(g.copy())
        ours.append(p)
        theirs.append(t)
    return ours, theirs


def assert_grads_equal(ours, theirs, dtype):
    rtol = 1e-6 if dtype == np.float32 else 1e-13
    for p, t in zip(ours, theirs):
        assert (p.grad is None) == (t.grad is None)
        if p.grad is not None:
            np.testing.assert_allclose(p.grad.data, t.grad.numpy(), rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(dtype, norm_type, max_norm):
    ours, theirs = pair(dtype)
    total = optim.clip_grad_norm_(ours, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert isinstance(total, Tensor) and total.shape == () and total.dtype == dtype
    np.testing.assert_allclose(total.data, expected.numpy(), rtol=1e-6)
    assert_grads_equal(ours, theirs, dtype)
    if max_norm < total.item():
        clipped = optim.clip_grad_norm_(ours, 1e9, norm_type).item()
        np.testing.assert_allclose(clipped, max_norm, rtol=1e-5)


def test_clip_grad_norm_single_tensor_and_no_grads():
    p = Parameter(np.ones(4))
    p.grad = Tensor(np.full(4, 2.0))
    assert optim.clip_grad_norm_(p, 1.0).item() == pytest.approx(4.0)
    np.testing.assert_allclose(p.grad.data, np.full(4, 0.5 / (1 + 0.25e-6)))
    total = optim.clip_grad_norm_([Parameter(np.ones(2))], 1.0)
    assert total.item() == 0.0


def test_clip_grad_norm_nonfinite():
    ours, _ = pair(np.float64)
    ours[0].grad.data[0, 0] = np.nan
    with pytest.raises(RuntimeError, match="non-finite"):
        optim.clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    assert not np.isnan(ours[1].grad.data).any()  # nothing was scaled
    assert np.isnan(optim.clip_grad_norm_(ours, 1.0).item())
    assert np.isnan(ours[1].grad.data).all()  # as torch: scaled by NaN


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clip_grad_value_matches_torch(dtype):
    ours, theirs = pair(dtype, scale=2.0)
    assert optim.clip_grad_value_(ours, 0.7) is None
    torch.nn.utils.clip_grad_value_(theirs, 0.7)
    assert_grads_equal(ours, theirs, dtype)
    assert max(np.abs(p.grad.data).max() for p in ours if p.grad is not None) == pytest.approx(0.7)


def test_bad_arguments():
    ours, _ = pair(np.float64)
    with pytest.raises(ValueError, match="max_norm"):
        optim.clip_grad_norm_(ours, -1.0)
    with pytest.raises(ValueError, match="max_norm"):
        optim.clip_grad_norm_(ours, float("nan"))
    with pytest.raises(TypeError, match="max_norm"):
        optim.clip_grad_norm_(ours, "1")
    with pytest.raises(ValueError, match="norm_type"):
        optim.clip_grad_norm_(ours, 1.0, norm_type=0)
    with pytest.raises(ValueError, match="clip_value"):
        optim.clip_grad_value_(ours, -0.5)
