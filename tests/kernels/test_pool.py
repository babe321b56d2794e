"""rosenblatt.kernels max_pool2d / avg_pool2d / adaptive_avg_pool2d and their backwards against
direct-loop float64 references (written here, with PyTorch's window and divisor rules) and PyTorch.
"""

import math

import numpy as np
import pytest

from rosenblatt import kernels as K

DTYPES = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=2e-6, atol=2e-6), np.float64: dict(rtol=1e-13, atol=1e-13)}


def out_size(size, k, s, p, d, ceil_mode):
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:   # the last window may not start in the padding
        out -= 1
    return out


def max_pool_loops(x, dy, kernel, stride, padding, dilation, ceil_mode):
    """(y, indices, dx): the max of each window's in-bounds pixels, scanned row by row; a later
    value replaces the running maximum when it is larger or NaN (PyTorch's rule)."""
    n, c, h, w = x.shape
    ho = out_size(h, kernel[0], stride[0], padding[0], dilation[0], ceil_mode)
    wo = out_size(w, kernel[1], stride[1], padding[1], dilation[1], ceil_mode)
    y = np.zeros((n, c, ho, wo))
    idx = np.zeros((n, c, ho, wo), np.int64)
    dx = np.zeros((n, c, h, w))
    for a in range(n):
        for b in range(c):
            for oh in range(ho):
                for ow in range(wo):
                    best, where = -math.inf, None
                    for i in range(kernel[0]):
                        for j in range(kernel[1]):
                            r = oh * stride[0] - padding[0] + i * dilation[0]
                            q = ow * stride[1] - padding[1] + j * dilation[1]
                            if 0 <= r < h and 0 <= q < w:
                                v = x[a, b, r, q]
                                if where is None or v > best or math.isnan(v):
                                    best, where = v, r * w + q
                    y[a, b, oh, ow], idx[a, b, oh, ow] = best, where
                    dx[a, b, where // w, where % w] += dy[a, b, oh, ow]
    return y, idx, dx


def avg_pool_loops(x, dy, kernel, stride, padding, ceil_mode, count_include_pad, divisor):
    """(y, dx): window sums over in-bounds pixels divided by the clipped-to-padded-input window
    size (count_include_pad), the in-bounds count, or ``divisor``."""
    n, c, h, w = x.shape
    ho = out_size(h, kernel[0], stride[0], padding[0], 1, ceil_mode)
    wo = out_size(w, kernel[1], stride[1], padding[1], 1, ceil_mode)
    y = np.zeros((n, c, ho, wo))
    dx = np.zeros((n, c, h, w))
    for oh in range(ho):
        for ow in range(wo):
            r0, q0 = oh * stride[0] - padding[0], ow * stride[1] - padding[1]
            r1, q1 = min(r0 + kernel[0], h + padding[0]), min(q0 + kernel[1], w + padding[1])
            padded_count = (r1 - r0) * (q1 - q0)
            r0, q0, r1, q1 = max(r0, 0), max(q0, 0), min(r1, h), min(q1, w)
            if divisor is not None:
                div = divisor
            else:
                div = padded_count if count_include_pad else (r1 - r0) * (q1 - q0)
            y[:, :, oh, ow] = x[:, :, r0:r1, q0:q1].sum(axis=(2, 3)) / div
            dx[:, :, r0:r1, q0:q1] += (dy[:, :, oh, ow] / div)[:, :, None, None]
    return y, dx


def adaptive_loops(x, dy, out):
    n, c, h, w = x.shape
    y = np.zeros((n, c) + out)
    dx = np.zeros_like(x, dtype=np.float64)
    for oh in range(out[0]):
        r0, r1 = math.floor(oh * h / out[0]), math.ceil((oh + 1) * h / out[0])
        for ow in range(out[1]):
            q0, q1 = math.floor(ow * w / out[1]), math.ceil((ow + 1) * w / out[1])
            count = (r1 - r0) * (q1 - q0)
            y[:, :, oh, ow] = x[:, :, r0:r1, q0:q1].sum(axis=(2, 3)) / count
            dx[:, :, r0:r1, q0:q1] += (dy[:, :, oh, ow] / count)[:, :, None, None]
    return y, dx


# (N, C, H, W), kernel, stride, padding, dilation, ceil_mode
MAX_CASES = [
    ((2, 3, 8, 8), (2, 2), (2, 2), (0, 0), (1, 1), False),
    ((1, 2, 7, 9), (3, 3), (2, 2), (1, 1), (1, 1), True),
    ((2, 2, 11, 6), (3, 2), (2, 1), (1, 0), (2, 2), False),
    ((1, 3, 5, 7), (2, 3), (3, 2), (1, 1), (1, 1), True),
    ((1, 1, 1, 1), (1, 1), (1, 1), (0, 0), (1, 1), False),
    ((2, 1, 9, 9), (3, 3), (3, 3), (0, 0), (1, 1), True),
]


def _x(shape, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", MAX_CASES)
def test_max_pool_equals_loops(case, dtype, isa):
    shape, kernel, stride, padding, dilation, ceil_mode = case
    x = _x(shape, dtype)
    y, idx = K.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode)
    dy = _x(y.shape, dtype, 1)
    y_ref, idx_ref, dx_ref = max_pool_loops(x.astype(np.float64), dy.astype(np.float64), kernel,
                                            stride, padding, dilation, ceil_mode)
    assert y.dtype == dtype and idx.dtype == np.int64
    np.testing.assert_array_equal(idx, idx_ref)
    np.testing.assert_allclose(y, y_ref, **TOL[dtype])
    dx = K.max_pool2d_backward(dy, idx, shape[2:])
    np.testing.assert_allclose(dx, dx_ref, **TOL[dtype])


def test_max_pool_stride_defaults_to_kernel_and_nan_wins():
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    x[0, 0, 0, 1] = np.nan
    y, idx = K.max_pool2d(x, 2)
    assert y.shape == (1, 1, 2, 2)
    assert np.isnan(y[0, 0, 0, 0]) and idx[0, 0, 0, 0] == 1
    np.testing.assert_array_equal(y[0, 0, 1], [13, 15])


def test_max_pool_nan_rule_equals_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(5).standard_normal((2, 3, 6, 6))
    x[0, 0, 0, 0] = x[0, 0, 1, 1] = x[1, 2, 4, 5] = np.nan
    y, idx = K.max_pool2d(x, 3, 2, 1)
    ty, tidx = torch.nn.functional.max_pool2d(torch.from_numpy(x), 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(idx, tidx.numpy())
    np.testing.assert_array_equal(np.isnan(y), np.isnan(ty.numpy()))


def test_max_pool_all_minus_inf_picks_an_input_pixel():
    x = np.full((1, 1, 3, 3), -np.inf, np.float64)
    y, idx = K.max_pool2d(x, 3, 2, 1)
    assert np.all(y == -np.inf)
    assert np.all((idx >= 0) & (idx < 9))


AVG_CASES = [
    ((2, 3, 8, 8), (2, 2), (2, 2), (0, 0), False, True, None),
    ((1, 2, 7, 9), (3, 3), (2, 2), (1, 1), True, True, None),
    ((1, 2, 7, 9), (3, 3), (2, 2), (1, 1), True, False, None),
    ((2, 2, 6, 11), (2, 4), (1, 3), (1, 2), False, False, None),
    ((1, 1, 5, 5), (3, 3), (2, 2), (1, 1), False, True, 4),
    ((1, 2, 4, 5), (4, 5), (1, 1), (0, 0), True, True, None),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", AVG_CASES)
def test_avg_pool_equals_loops(case, dtype, isa):
    shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor = case
    x = _x(shape, dtype)
    y = K.avg_pool2d(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor)
    dy = _x(y.shape, dtype, 1)
    y_ref, dx_ref = avg_pool_loops(x.astype(np.float64), dy.astype(np.float64), kernel, stride,
                                   padding, ceil_mode, count_include_pad, divisor)
    np.testing.assert_allclose(y, y_ref, **TOL[dtype])
    dx = K.avg_pool2d_backward(dy, shape[2:], kernel, stride, padding, ceil_mode,
                               count_include_pad, divisor)
    np.testing.assert_allclose(dx, dx_ref, **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, out", [((2, 3, 7, 9), (3, 4)), ((1, 2, 5, 5), (1, 1)),
                                        ((1, 1, 4, 6), (4, 6)), ((2, 2, 3, 5), (5, 7))])
def test_adaptive_avg_pool_equals_loops(shape, out, dtype):
    x = _x(shape, dtype)
    y = K.adaptive_avg_pool2d(x, out)
    dy = _x(y.shape, dtype, 1)
    y_ref, dx_ref = adaptive_loops(x.astype(np.float64), dy.astype(np.float64), out)
    np.testing.assert_allclose(y, y_ref, **TOL[dtype])
    np.testing.assert_allclose(K.adaptive_avg_pool2d_backward(dy, shape[2:]), dx_ref,
                               **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_pooling_equals_torch(dtype):
    torch = pytest.importorskip("torch")
    x = _x((3, 4, 13, 10), dtype)
    t = torch.from_numpy(x)
    y, idx = K.max_pool2d(x, 3, 2, 1, 2, True)
    ty, tidx = torch.nn.functional.max_pool2d(t, 3, 2, 1, 2, True, return_indices=True)
    np.testing.assert_array_equal(idx, tidx.numpy())
    np.testing.assert_allclose(y, ty.numpy(), **TOL[dtype])
    y = K.avg_pool2d(x, (3, 2), (2, 3), (1, 1), True, False)
    ty = torch.nn.functional.avg_pool2d(t, (3, 2), (2, 3), (1, 1), True, False)
    np.testing.assert_allclose(y, ty.numpy(), **TOL[dtype])
    y = K.adaptive_avg_pool2d(x, (4, 3))
    ty = torch.nn.functional.adaptive_avg_pool2d(t, (4, 3))
    np.testing.assert_allclose(y, ty.numpy(), **TOL[dtype])


@pytest.mark.parametrize("call, match", [
    (lambda x: K.max_pool2d(x, 0), "kernel_size"),
    (lambda x: K.max_pool2d(x, 2, 0), "stride"),
    (lambda x: K.max_pool2d(x, 2, 2, 0, 0), "dilation"),
    (lambda x: K.max_pool2d(x, 2, 2, 2), "padding"),
    (lambda x: K.max_pool2d(x, 9), r"kernel_size \(9, 9\).*\(1, 2, 5, 5\)"),
    (lambda x: K.max_pool2d(x[0], 2), "4-D"),
    (lambda x: K.avg_pool2d(x, 2, divisor_override=0), "divisor_override"),
    (lambda x: K.adaptive_avg_pool2d(x, 0), "output_size"),
    (lambda x: K.max_pool2d_backward(x, np.zeros((1, 2, 5, 5), np.int64) + 99, (5, 5)),
     "indices"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call(np.zeros((1, 2, 5, 5), np.float32))


def test_native_bindings_validate_their_arguments():
    from rosenblatt import _C

    x = np.zeros((1, 2, 5, 5), np.float32)
    with pytest.raises(ValueError, match="windows outside the input"):
        _C.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0), (1, 1), (4, 2))
    with pytest.raises(ValueError, match="at most half"):
        _C.avg_pool2d_forward(x, (2, 2), (2, 2), (2, 0), (2, 2), True, None)
    with pytest.raises(TypeError, match="int64"):
        _C.max_pool2d_backward(np.zeros((1, 2, 2, 2), np.float32),
                               np.zeros((1, 2, 2, 2), np.int32), (5, 5))
    with pytest.raises(ValueError, match="C-contiguous"):
        _C.adaptive_avg_pool2d_forward(np.asfortranarray(np.zeros((2, 2, 5, 5))), (2, 2))
