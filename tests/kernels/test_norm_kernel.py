"""rb.kernels batch/layer norm forward and backward against float64 NumPy references."""

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt import kernels

TOL = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-11, atol=1e-11)}
DTYPES = [np.float32, np.float64]


def reference_normalize(x, axes, eps, weight, bias, g):
    """(y, mean, invstd, dx, dweight, dbias) of x normalized over ``axes``, in float64."""
    x, g = x.astype(np.float64), g.astype(np.float64)
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    invstd = 1 / np.sqrt(var + eps)
    xhat = (x - mean) * invstd
    y = xhat * weight + bias
    dxhat = g * weight
    dx = invstd * (dxhat - dxhat.mean(axis=axes, keepdims=True)
                   - xhat * (dxhat * xhat).mean(axis=axes, keepdims=True))
    return y, mean, invstd, dx, g * xhat, g


def dx_tolerance(dtype, invstd, g, weight):
    """dx is a difference of terms of size invstd * |g * weight|: float32 keeps ~1e-7 of them.

    With one or two values per statistic (var ~ 0, invstd ~ 1/sqrt(eps)) that
    is far above the fixed tolerance, in any float32 implementation.
    """
    tol = dict(TOL[dtype])
    if dtype == np.float32:
        scale = float(np.max(invstd, initial=0)) * float(np.abs(g).max(initial=0)) * \
            float(np.abs(weight).max(initial=0))
        tol["atol"] = max(tol["atol"], 2e-6 * scale)
    return tol


def _data(shape, dtype, seed=0, offset=0.0):
    rng = np.random.default_rng(seed)
    return (rng.normal(offset, 2.0, shape)).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(2, 1), (7, 3), (2, 5, 1), (3, 4, 13), (5, 3, 7, 11),
                                   (1, 2, 3, 3), (4, 64, 8, 8)])
def test_batch_norm_training_matches_reference(shape, dtype):
    c = shape[1]
    x, g = _data(shape, dtype, 1, 3.0), _data(shape, dtype, 2)
    w, b = _data((c,), dtype, 3), _data((c,), dtype, 4)
    bshape = (1, c) + (1,) * (len(shape) - 2)
    axes = (0,) + tuple(range(2, len(shape)))
    y_ref, mean_ref, invstd_ref, dx_ref, gw, gb = reference_normalize(
        x, axes, 1e-5, w.reshape(bshape).astype(np.float64), b.reshape(bshape), g)
    rm, rv = np.full(c, 0.5, dtype), np.full(c, 2.0, dtype)
    y, mean, invstd = kernels.batch_norm_forward(x, w, b, rm, rv, True, 0.25, 1e-5)
    tol = TOL[dtype]
    assert y.dtype == mean.dtype == invstd.dtype == dtype
    np.testing.assert_allclose(y, y_ref, **tol)
    np.testing.assert_allclose(mean, mean_ref.reshape(c), **tol)
    np.testing.assert_allclose(invstd, invstd_ref.reshape(c), **tol)
    m = x.size // c
    np.testing.assert_allclose(rm, 0.75 * 0.5 + 0.25 * mean_ref.reshape(c), **tol)
    unbiased = x.astype(np.float64).var(axis=axes, ddof=1)
    np.testing.assert_allclose(rv, 0.75 * 2.0 + 0.25 * unbiased, **tol)
    assert m > 1
    dx, dw, db = kernels.batch_norm_backward(g, x, w, mean, invstd, True)
    np.testing.assert_allclose(dx, dx_ref, **dx_tolerance(dtype, invstd_ref, g, w))
    np.testing.assert_allclose(dw, gw.sum(axis=axes), **tol)
    np.testing.assert_allclose(db, gb.sum(axis=axes), **tol)


@pytest.mark.parametrize("dtype", DTYPES)
def test_batch_norm_eval_uses_running_statistics_as_constants(dtype):
    x, g = _data((4, 3, 5), dtype, 5), _data((4, 3, 5), dtype, 6)
    rm, rv = np.array([1.0, -2.0, 0.5], dtype), np.array([0.5, 2.0, 1.5], dtype)
    before = rm.copy(), rv.copy()
    y, mean, invstd = kernels.batch_norm_forward(x, None, None, rm, rv, False, 0.1, 1e-3)
    expected = (x.astype(np.float64) - rm[:, None]) / np.sqrt(rv[:, None] + 1e-3)
    np.testing.assert_allclose(y, expected, **TOL[dtype])
    np.testing.assert_array_equal(rm, before[0])
    np.testing.assert_array_equal(rv, before[1])
    dx, dw, db = kernels.batch_norm_backward(g, x, None, mean, invstd, False)
    np.testing.assert_allclose(dx, g / np.sqrt(rv[:, None].astype(np.float64) + 1e-3),
                               **TOL[dtype])
    np.testing.assert_allclose(db, g.astype(np.float64).sum(axis=(0, 2)), **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,normalized", [((5, 1), (1,)), ((3, 7), (7,)), ((2, 3, 64), (64,)),
                                              ((4, 5, 6), (5, 6)), ((130, 33), (33,)),
                                              ((0, 8), (8,)), ((257,), (257,))])
def test_layer_norm_matches_reference(shape, normalized, dtype):
    x, g = _data(shape, dtype, 7, -4.0), _data(shape, dtype, 8)
    w, b = _data(normalized, dtype, 9), _data(normalized, dtype, 10)
    axes = tuple(range(len(shape) - len(normalized), len(shape)))
    lead = shape[:len(shape) - len(normalized)]
    y_ref, mean_ref, invstd_ref, dx_ref, gw, gb = reference_normalize(x, axes, 1e-5, w, b, g)
    y, mean, rstd = kernels.layer_norm_forward(x, normalized, w, b, 1e-5)
    tol = TOL[dtype]
    assert mean.shape == rstd.shape == lead and y.dtype == dtype
    np.testing.assert_allclose(y, y_ref, **tol)
    np.testing.assert_allclose(mean, mean_ref.reshape(lead), **tol)
    np.testing.assert_allclose(rstd, invstd_ref.reshape(lead), **tol)
    dx, dw, db = kernels.layer_norm_backward(g, x, normalized, mean, rstd, w)
    param_axes = tuple(range(len(lead)))
    np.testing.assert_allclose(dx, dx_ref, **dx_tolerance(dtype, invstd_ref, g, w))
    np.testing.assert_allclose(dw, gw.sum(axis=param_axes), **tol)
    np.testing.assert_allclose(db, gb.sum(axis=param_axes), **tol)


def test_layer_norm_without_affine_parameters_and_on_strided_input():
    x = _data((6, 10), np.float32, 11)[:, ::2]       # a strided view is read from a copy
    assert not x.flags.c_contiguous
    y, mean, rstd = kernels.layer_norm_forward(x, (5,), None, None, 0.0)
    x64 = x.astype(np.float64)
    expected = (x64 - x64.mean(1, keepdims=True)) / x64.std(1, keepdims=True)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
    y2, _, _ = kernels.layer_norm_forward(x, (5,), None, np.ones(5, np.float32), 0.0)
    np.testing.assert_allclose(y2, expected + 1, rtol=1e-5, atol=1e-5)


def test_large_offsets_keep_full_precision():
    # a mean 1e4 times the spread: naive float32 sums of squares would cancel
    x = (1e4 + _data((64, 4, 32), np.float32, 12).astype(np.float64)).astype(np.float32)
    y, mean, invstd = kernels.batch_norm_forward(x, None, None, None, None, True, 0.1, 0.0)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(invstd, 1 / x64.std(axis=(0, 2)), rtol=1e-4)
    yl, _, rstd = kernels.layer_norm_forward(x.reshape(256, 32), (32,), None, None, 0.0)
    np.testing.assert_allclose(rstd, 1 / x64.reshape(256, 32).std(axis=1), rtol=1e-4)


def test_results_do_not_depend_on_the_thread_count():
    x, g = _data((64, 16, 24, 24), np.float32, 13), _data((64, 16, 24, 24), np.float32, 14)
    xl, gl = x.reshape(-1, 576), g.reshape(-1, 576)
    w = np.ones(576, np.float32)
    before = rb.get_num_threads()
    results = []
    try:
        for threads in (1, 2):
            rb.set_num_threads(threads)
            y, mean, invstd = kernels.batch_norm_forward(x, None, None, None, None, True, 0.1, 1e-5)
            bn = kernels.batch_norm_backward(g, x, None, mean, invstd, True)
            ly, lm, lr = kernels.layer_norm_forward(xl, (576,), w, None, 1e-5)
            ln = kernels.layer_norm_backward(gl, xl, (576,), lm, lr, w)
            results.append((y, *bn, ly, *ln))
    finally:
        rb.set_num_threads(before)
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_bad_input_is_refused_with_the_argument_named():
    x = np.ones((4, 3, 2), np.float32)
    rm, rv = np.zeros(3, np.float32), np.ones(3, np.float32)
    bn = kernels.batch_norm_forward
    with pytest.raises(ValueError, match="x must have at least 2 dimensions"):
        bn(np.ones(3, np.float32), None, None, None, None, True, 0.1, 1e-5)
    with pytest.raises(TypeError, match="x must have dtype float32 or float64"):
        bn(np.ones((2, 3), np.int64), None, None, None, None, True, 0.1, 1e-5)
    with pytest.raises(TypeError, match="weight must have the dtype of x"):
        bn(x, np.ones(3), None, None, None, True, 0.1, 1e-5)
    with pytest.raises(ValueError, match=r"bias must have shape \(3,\)"):
        bn(x, None, np.ones(4, np.float32), None, None, True, 0.1, 1e-5)
    with pytest.raises(ValueError, match="running_mean must be C-contiguous"):
        bn(x, None, None, np.zeros(6, np.float32)[::2], rv, True, 0.1, 1e-5)
    readonly = rm.copy()
    readonly.flags.writeable = False
    with pytest.raises(ValueError, match="running_mean must be writeable"):
        bn(x, None, None, readonly, rv, True, 0.1, 1e-5)
    with pytest.raises(ValueError, match="running_mean must not share memory with running_var"):
        bn(x, None, None, rm, rm, True, 0.1, 1e-5)
    with pytest.raises(ValueError, match="running_mean and running_var are required"):
        bn(x, None, None, None, None, False, 0.1, 1e-5)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(np.ones((1, 3), np.float32), None, None, None, None, True, 0.1, 1e-5)
    with pytest.raises(ValueError, match="eps must be >= 0"):
        bn(x, None, None, rm, rv, True, 0.1, -1e-5)
    with pytest.raises(ValueError, match="momentum must be finite"):
        bn(x, None, None, rm, rv, True, float("nan"), 1e-5)
    with pytest.raises(TypeError, match="training must be a bool"):
        bn(x, None, None, rm, rv, 1, 0.1, 1e-5)
    with pytest.raises(ValueError, match="grad_output must have the shape of x"):
        kernels.batch_norm_backward(np.ones((4, 3), np.float32), x, None, rm, rv, True)
    ln = kernels.layer_norm_forward
    with pytest.raises(ValueError, match=r"normalized_shape \(3,\) does not match .* \(4, 3, 2\)"):
        ln(x, (3,), None, None, 1e-5)
    with pytest.raises(ValueError, match="weight must have the normalized shape"):
        ln(x, (3, 2), np.ones(6, np.float32), None, 1e-5)
    with pytest.raises(ValueError, match="mean must have the leading shape of x"):
        kernels.layer_norm_backward(x, x, (2,), np.zeros(4, np.float32),
                                    np.zeros((4, 3), np.float32), None)
