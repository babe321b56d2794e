"""Activations, softmax and log-softmax against torch; float64 gradcheck."""

import numpy as np
import pytest
from helpers import check_op, torch

import rosenblatt as rb
import rosenblatt.functional as F

T = torch
TF = T and T.nn.functional

CASES = [
    ("sigmoid", F.sigmoid, T and T.sigmoid),
    ("tanh", F.tanh, T and T.tanh),
    ("relu", F.relu, T and T.relu),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.1), lambda x: TF.leaky_relu(x, 0.1)),
    ("elu", lambda x: F.elu(x, 0.7), lambda x: TF.elu(x, 0.7)),
    ("selu", F.selu, TF and TF.selu),
    ("softplus", F.softplus, TF and TF.softplus),
    ("softplus_beta", lambda x: F.softplus(x, beta=2.0, threshold=3.0),
     lambda x: TF.softplus(x, beta=2.0, threshold=3.0)),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), lambda x: TF.gelu(x, approximate="tanh")),
    ("softmax", lambda x: F.softmax(x, dim=1), lambda x: TF.softmax(x, dim=1)),
    ("softmax_dim0", lambda x: F.softmax(x, dim=0), lambda x: TF.softmax(x, dim=0)),
    ("log_softmax", lambda x: F.log_softmax(x, dim=-1), lambda x: TF.log_softmax(x, dim=-1)),
    ("maxout", lambda x: F.maxout(x, 3), lambda x: x.reshape(4, 2, 3).amax(-1)),
]


@pytest.mark.parametrize("name,ours,theirs", CASES, ids=lambda v: v if isinstance(v, str) else "")
def test_activation(name, ours, theirs):
    check_op(ours, theirs, [(4, 6)], low=-4, high=4)


def test_gelu_exact_form():
    # our erf has a relative error below 1.2e-7, so float64 agrees with torch to ~1e-7
    tolerances = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-6, atol=1e-7)}
    check_op(F.gelu, TF and TF.gelu, [(5, 7)], low=-6, high=6, tolerances=tolerances)


@pytest.mark.parametrize("weight_shape", [(1,), (3,)])
def test_prelu(weight_shape):
    check_op(lambda x, w: F.prelu(x, w), TF and TF.prelu, [(4, 3, 5), weight_shape])


def test_activations_do_not_overflow_on_extreme_inputs():
    x = rb.tensor([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    np.testing.assert_allclose(F.sigmoid(x).data, [0, 0, 0.5, 1, 1], atol=1e-7)
    np.testing.assert_allclose(F.softplus(x).data, [0, np.exp(-50.0), np.log(2), 50, 1000], rtol=1e-6)
    np.testing.assert_allclose(F.elu(x).data, [-1, -1, 0, 50, 1000])
    assert np.isfinite(F.log_softmax(x, 0).data).all()


def test_bad_arguments():
    with pytest.raises(ValueError, match="pool_size"):
        F.maxout(rb.ones(2, 5), 2)
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(rb.ones(2), approximate="erf")
    with pytest.raises(ValueError, match="weight"):
        F.prelu(rb.ones(2, 3), rb.ones(2))
    with pytest.raises(IndexError):
        F.softmax(rb.ones(2, 3), dim=2)
