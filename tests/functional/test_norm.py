"""batch_norm and layer_norm against torch (values, gradients, running statistics); gradcheck."""

import numpy as np
import pytest
from helpers import check_op, torch

import rosenblatt as rb
import rosenblatt.functional as F
from rosenblatt.autograd import gradcheck

TF = torch and torch.nn.functional
BN_SHAPES = [(6, 3), (4, 3, 5), (2, 3, 4, 5)]


def _param(c, dtype, seed, offset=0.0):
    return np.random.default_rng(seed).uniform(0.5, 1.5, c).astype(dtype) + offset


@pytest.mark.parametrize("shape", BN_SHAPES)
def test_batch_norm_training_matches_torch(shape):
    c = shape[1]
    check_op(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
             lambda x, w, b: TF.batch_norm(x, None, None, w, b, training=True),
             [shape, (c,), (c,)])


@pytest.mark.parametrize("shape", BN_SHAPES)
def test_batch_norm_eval_matches_torch(shape):
    c = shape[1]
    mean, var = _param(c, np.float64, 1, -1.0), _param(c, np.float64, 2)

    def ours(x, w, b):
        return F.batch_norm(x, mean.astype(x.dtype), var.astype(x.dtype), w, b, training=False)

    def theirs(x, w, b):
        return TF.batch_norm(x, torch.tensor(mean, dtype=x.dtype), torch.tensor(var, dtype=x.dtype),
                             w, b, training=False)

    check_op(ours, theirs, [shape, (c,), (c,)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", BN_SHAPES)
def test_batch_norm_running_statistics_match_torch(shape, dtype):
    pytest.importorskip("torch")
    c = shape[1]
    x = np.random.default_rng(0).normal(3.0, 2.0, shape).astype(dtype)
    rm, rv = np.zeros(c, dtype), np.ones(c, dtype)
    tdtype = torch.from_numpy(x).dtype
    trm, trv = torch.zeros(c, dtype=tdtype), torch.ones(c, dtype=tdtype)
    ours = F.batch_norm(rb.Tensor(x), rm, rv, training=True, momentum=0.3)
    theirs = TF.batch_norm(torch.from_numpy(x), trm, trv, training=True, momentum=0.3)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(rm, trm.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(rv, trv.numpy(), rtol=tol, atol=tol)  # unbiased variance
    assert rm.dtype == dtype and ours.dtype == dtype


def test_batch_norm_updates_tensor_statistics_in_place_and_not_in_eval():
    x = rb.Tensor(np.arange(12.0).reshape(4, 3))
    rm, rv = rb.zeros(3, dtype="float64"), rb.ones(3, dtype="float64")
    mean_array = rm.data
    F.batch_norm(x, rm, rv, training=True, momentum=0.5)
    assert rm.data is mean_array
    np.testing.assert_allclose(rm.data, 0.5 * np.array([4.5, 5.5, 6.5]))
    np.testing.assert_allclose(rv.data, 0.5 + 0.5 * np.var(x.data, axis=0, ddof=1))
    before = rm.data.copy(), rv.data.copy()
    F.batch_norm(x, rm, rv, training=False)
    np.testing.assert_array_equal(rm.data, before[0])
    np.testing.assert_array_equal(rv.data, before[1])


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(5, 2), (3, 2, 4)])
def test_batch_norm_gradcheck(shape, training):
    rng = np.random.default_rng(3)
    c = shape[1]
    x = rb.Tensor(rng.normal(size=shape), requires_grad=True)
    w = rb.Tensor(rng.uniform(0.5, 1.5, c), requires_grad=True)
    b = rb.Tensor(rng.normal(size=c), requires_grad=True)
    rm, rv = rng.normal(size=c), rng.uniform(0.5, 2.0, c)
    # running statistics are passed only in eval, so gradcheck's repeated calls change nothing
    assert gradcheck(lambda x, w, b: F.batch_norm(x, None if training else rm,
                                                  None if training else rv, w, b, training),
                     [x, w, b])
    assert gradcheck(lambda x: F.batch_norm(x, None, None, training=True), [x])


def test_batch_norm_bad_input():
    x = rb.randn(4, 3)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(rb.randn(1, 3), None, None, training=True)
    with pytest.raises(ValueError, match="running_mean is required"):
        F.batch_norm(x, None, None, training=False)
    with pytest.raises(ValueError, match=r"running_var must be an array of shape \(3,\)"):
        F.batch_norm(x, np.zeros(3, np.float32), np.ones(4, np.float32), training=True)
    with pytest.raises(ValueError, match=r"weight has shape \(2,\)"):
        F.batch_norm(x, None, None, rb.ones(2), training=True)
    with pytest.raises(TypeError, match="dtype float64"):
        F.batch_norm(x, None, None, rb.ones(3, dtype="float64"), training=True)


@pytest.mark.parametrize("shape,normalized", [((4, 6), (6,)), ((2, 3, 5), (5,)),
                                              ((2, 3, 4), (3, 4))])
def test_layer_norm_matches_torch(shape, normalized):
    check_op(lambda x, w, b: F.layer_norm(x, normalized, w, b, eps=1e-5),
             lambda x, w, b: TF.layer_norm(x, normalized, w, b, eps=1e-5),
             [shape, normalized, normalized])
    check_op(lambda x: F.layer_norm(x, normalized), lambda x: TF.layer_norm(x, normalized),
             [shape])


def test_layer_norm_gradcheck_and_errors():
    rng = np.random.default_rng(4)
    x = rb.Tensor(rng.normal(size=(3, 2, 4)), requires_grad=True)
    w = rb.Tensor(rng.normal(size=(2, 4)), requires_grad=True)
    b = rb.Tensor(rng.normal(size=(2, 4)), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.layer_norm(x, (2, 4), w, b), [x, w, b])
    assert gradcheck(lambda x, w: F.layer_norm(x, 4, w[0]), [x, w])
    with pytest.raises(ValueError, match="does not match the trailing"):
        F.layer_norm(x, (3,))
    with pytest.raises(ValueError, match="bias has shape"):
        F.layer_norm(x, (2, 4), w, b[0])
