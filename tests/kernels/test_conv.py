"""rosenblatt.kernels.conv2d / conv2d_input_grad / conv2d_weight_grad against a direct-loop
float64 reference (written here), the NumPy im2col oracle and PyTorch, over strides,
asymmetric paddings, dilations, groups (depthwise included) and odd sizes, in both dtypes.
"""

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt import _C
from rosenblatt import kernels as K
from rosenblatt.kernels import conv_reference

DTYPES = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-12, atol=1e-12)}


def conv2d_loops(x, weight, bias, dy, stride, padding, dilation, groups):
    """(y, dx, dW) of y[n, o, oh, ow] = b[o] + sum_{c, i, j} W[o, c, i, j] x[n, c, hi, wj]
    with hi = oh sh + i dh - top, wj = ow sw + j dw - left (zero outside), in float64 loops.
    ``padding`` is (top, bottom, left, right); ``dy`` None gives (y, None, None)."""
    x, weight = x.astype(np.float64), weight.astype(np.float64)
    n, c, h, w = x.shape
    o, cg, kh, kw = weight.shape
    (sh, sw), (top, bottom, left, right), (dh, dw) = stride, padding, dilation
    ho = (h + top + bottom - dh * (kh - 1) - 1) // sh + 1
    wo = (w + left + right - dw * (kw - 1) - 1) // sw + 1
    og = o // groups
    y = np.zeros((n, o, ho, wo))
    dx, dweight = np.zeros_like(x), np.zeros_like(weight)
    for g in range(groups):
        outs, ins = slice(g * og, (g + 1) * og), slice(g * cg, (g + 1) * cg)
        for oh in range(ho):
            for ow in range(wo):
                for i in range(kh):
                    hi = oh * sh + i * dh - top
                    for j in range(kw):
                        wj = ow * sw + j * dw - left
                        if not (0 <= hi < h and 0 <= wj < w):
                            continue
                        y[:, outs, oh, ow] += x[:, ins, hi, wj] @ weight[outs, :, i, j].T
                        if dy is not None:
                            dx[:, ins, hi, wj] += dy[:, outs, oh, ow] @ weight[outs, :, i, j]
                            dweight[outs, :, i, j] += dy[:, outs, oh, ow].T @ x[:, ins, hi, wj]
    if bias is not None:
        y += bias.reshape(1, -1, 1, 1)
    return y, (dx if dy is not None else None), (dweight if dy is not None else None)


# (N, C, H, W), (O, kh, kw), stride, (top, bottom, left, right), dilation, groups
CASES = [
    ((2, 3, 7, 9), (4, 3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1),
    ((1, 4, 8, 5), (6, 3, 2), (2, 1), (1, 1, 0, 0), (1, 2), 2),
    ((2, 4, 6, 6), (4, 3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 4),        # depthwise
    ((3, 5, 4, 4), (7, 1, 1), (1, 1), (0, 0, 0, 0), (1, 1), 1),        # 1x1
    ((2, 6, 11, 13), (9, 3, 2), (3, 2), (1, 2, 0, 1), (2, 3), 3),      # odd, asymmetric
    ((1, 2, 3, 4), (3, 5, 6), (1, 1), (1, 1, 1, 1), (1, 1), 1),        # kernel = padded input
    ((2, 3, 9, 10), (2, 2, 2), (4, 5), (0, 0, 0, 0), (1, 1), 1),       # stride > kernel
    ((1, 1, 1, 1), (1, 1, 1), (1, 1), (0, 0, 0, 0), (1, 1), 1),
    ((2, 8, 5, 7), (8, 3, 3), (1, 1), (2, 2, 2, 2), (2, 2), 8),        # dilated depthwise
]


def _draw(case, dtype, seed=0):
    (n, c, h, w), (o, kh, kw), stride, padding, dilation, groups = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    weight = rng.standard_normal((o, c // groups, kh, kw)).astype(dtype)
    bias = rng.standard_normal(o).astype(dtype)
    return x, weight, bias


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES)
def test_forward_and_gradients_equal_direct_loops(case, dtype, isa):
    x, weight, bias = _draw(case, dtype)
    _, _, stride, padding, dilation, groups = case
    y = K.conv2d(x, weight, bias, stride=stride, padding=padding, dilation=dilation,
                 groups=groups)
    dy = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
    y_ref, dx_ref, dw_ref = conv2d_loops(x, weight, bias, dy.astype(np.float64), stride,
                                         padding, dilation, groups)
    assert y.dtype == dtype and y.flags.c_contiguous
    np.testing.assert_allclose(y, y_ref, **TOL[dtype])
    geometry = dict(stride=stride, padding=(padding[0], padding[2]), dilation=dilation,
                    groups=groups)
    dx = K.conv2d_input_grad(dy, weight, x.shape[2:], **geometry)
    dw, db = K.conv2d_weight_grad(dy, x, weight.shape[2:], with_bias=True, **geometry)
    assert dx.dtype == dtype and dw.dtype == dtype and db.dtype == dtype
    np.testing.assert_allclose(dx, dx_ref, **TOL[dtype])
    np.testing.assert_allclose(dw, dw_ref, **TOL[dtype])
    np.testing.assert_allclose(db, dy.astype(np.float64).sum(axis=(0, 2, 3)), **TOL[dtype])
    assert K.conv2d_weight_grad(dy, x, weight.shape[2:], **geometry)[1] is None


@pytest.mark.parametrize("needs", [(True, True, True), (True, False, False),
                                   (False, True, False), (False, False, True)])
def test_fused_backward_computes_what_is_asked(needs):
    x, weight, bias = _draw(CASES[4], np.float64)
    _, _, stride, padding, dilation, groups = CASES[4]
    geometry = dict(stride=stride, padding=(padding[0], padding[2]), dilation=dilation,
                    groups=groups)
    y = K.conv2d(x, weight, bias, stride=stride, padding=padding, dilation=dilation,
                 groups=groups)
    dy = np.random.default_rng(2).standard_normal(y.shape)
    _, dx_ref, dw_ref = conv2d_loops(x, weight, bias, dy, stride, padding, dilation, groups)
    grads = K.conv2d_backward(dy, x, weight, input_grad=needs[0], weight_grad=needs[1],
                              bias_grad=needs[2], **geometry)
    for wanted, got, ref in zip(needs, grads, (dx_ref, dw_ref, dy.sum(axis=(0, 2, 3)))):
        if wanted:
            np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)
        else:
            assert got is None


@pytest.mark.parametrize("case", CASES[:5])
def test_im2col_oracle_equals_direct_loops(case):
    x, weight, bias = _draw(case, np.float64)
    _, _, stride, padding, dilation, groups = case
    y_ref, _, _ = conv2d_loops(x, weight, bias, None, stride, padding, dilation, groups)
    y = conv_reference.conv2d(x, weight, bias, stride, (padding[0], padding[2]), dilation,
                              groups, y_ref.shape[2:])
    np.testing.assert_allclose(y, y_ref, rtol=1e-12, atol=1e-12)


def test_zero_batch_and_no_bias():
    x = np.zeros((0, 3, 5, 5), np.float32)
    weight = np.ones((2, 3, 3, 3), np.float32)
    assert K.conv2d(x, weight).shape == (0, 2, 3, 3)
    x = np.ones((1, 3, 5, 5), np.float32)
    np.testing.assert_allclose(K.conv2d(x, weight), np.full((1, 2, 3, 3), 27.0))


@pytest.mark.parametrize("dtype", DTYPES)
def test_equals_torch(dtype):
    torch = pytest.importorskip("torch")
    x, weight, bias = _draw(((4, 6, 12, 10), (8, 3, 3), None, None, None, 2), dtype)
    ours = K.conv2d(x, weight, bias, stride=2, padding=1, dilation=(1, 2), groups=2)
    theirs = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(weight),
                                        torch.from_numpy(bias), stride=2, padding=1,
                                        dilation=(1, 2), groups=2)
    np.testing.assert_allclose(ours, theirs.numpy(), **TOL[dtype])


def test_non_contiguous_inputs_are_read_correctly():
    x, weight, bias = _draw(CASES[0], np.float64)
    view = np.asfortranarray(x)
    np.testing.assert_allclose(K.conv2d(view, weight, bias, padding=1),
                               K.conv2d(x, weight, bias, padding=1), rtol=1e-13)


@pytest.mark.parametrize("kwargs, match", [
    (dict(stride=0), "stride"),
    (dict(stride=(1, -1)), "stride"),
    (dict(dilation=0), "dilation"),
    (dict(padding=-1), "padding"),
    (dict(groups=2), "groups"),
    (dict(groups=0), "groups"),
])
def test_bad_hyper_parameters(kwargs, match):
    x = np.zeros((1, 3, 5, 5), np.float32)
    weight = np.zeros((4, 3, 3, 3), np.float32)
    with pytest.raises(ValueError, match=match):
        K.conv2d(x, weight, **kwargs)


def test_bad_shapes_name_the_argument_and_shapes():
    x = np.zeros((1, 3, 5, 5), np.float32)
    with pytest.raises(ValueError, match=r"kernel size \(7, 7\).*padded input \(5, 5\)"):
        K.conv2d(x, np.zeros((2, 3, 7, 7), np.float32))
    with pytest.raises(ValueError, match=r"weight of shape \(2, 4, 3, 3\).*\(1, 3, 5, 5\)"):
        K.conv2d(x, np.zeros((2, 4, 3, 3), np.float32))
    with pytest.raises(ValueError, match="input must be 4-D"):
        K.conv2d(x[0], np.zeros((2, 3, 3, 3), np.float32))
    with pytest.raises(ValueError, match="weight must be 4-D"):
        K.conv2d(x, np.zeros((2, 3, 3), np.float32))
    with pytest.raises(TypeError, match="weight has dtype float64"):
        K.conv2d(x, np.zeros((2, 3, 3, 3)))
    with pytest.raises(ValueError, match="bias"):
        K.conv2d(x, np.zeros((2, 3, 3, 3), np.float32), np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="grad_output"):
        K.conv2d_input_grad(np.zeros((1, 5, 3, 3), np.float32),
                            np.zeros((2, 3, 3, 3), np.float32), (5, 5))
    with pytest.raises(ValueError, match="batch size"):
        K.conv2d_weight_grad(np.zeros((2, 2, 3, 3), np.float32), x, (3, 3))


@pytest.mark.parametrize("threads", [1, 3])
def test_thread_counts_agree(threads):
    """The per-image parallel path (jobs >= threads) and the serial one give the same sums."""
    x, weight, bias = _draw(((5, 4, 9, 8), (6, 3, 3), None, None, None, 2), np.float64)
    geometry = dict(stride=1, padding=1, dilation=1, groups=2)
    expected_y = conv_reference.conv2d(x, weight, bias, (1, 1), (1, 1), (1, 1), 2, (9, 8))
    dy = np.random.default_rng(4).standard_normal(expected_y.shape)
    previous = rb.get_num_threads()
    rb.set_num_threads(threads)
    try:
        y = K.conv2d(x, weight, bias, **geometry)
        dw, db = K.conv2d_weight_grad(dy, x, (3, 3), with_bias=True, **geometry)
        dx = K.conv2d_input_grad(dy, weight, (9, 8), **geometry)
    finally:
        rb.set_num_threads(previous)
    np.testing.assert_allclose(y, expected_y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        dw, conv_reference.conv2d_weight_grad(dy, x, (3, 3), (1, 1), (1, 1), (1, 1), 2),
        rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(db, dy.sum(axis=(0, 2, 3)), rtol=1e-12)
    np.testing.assert_allclose(
        dx, conv_reference.conv2d_input_grad(dy, weight, (9, 8), (1, 1), (1, 1), (1, 1), 2),
        rtol=1e-12, atol=1e-12)


def test_native_bindings_validate_their_arguments():
    x = np.zeros((1, 3, 5, 5), np.float32)
    w = np.zeros((2, 3, 3, 3), np.float32)
    with pytest.raises(ValueError, match="C-contiguous"):
        _C.conv2d_forward(np.asfortranarray(np.zeros((2, 3, 5, 5), np.float32)), w, None,
                          (1, 1), (0, 0, 0, 0), (1, 1), 1)
    with pytest.raises(ValueError, match="padding must have 4 values"):
        _C.conv2d_forward(x, w, None, (1, 1), (0, 0), (1, 1), 1)
    with pytest.raises(ValueError, match="stride must be >= 1"):
        _C.conv2d_forward(x, w, None, (0, 1), (0, 0, 0, 0), (1, 1), 1)
    with pytest.raises(ValueError, match="larger than the padded input"):
        _C.conv2d_forward(x, w, None, (1, 1), (0, 0, 0, 0), (3, 1), 1)
    dy = np.zeros((1, 2, 3, 3), np.float32)
    geometry = ((5, 5), (3, 3), (1, 1), (0, 0), (1, 1))
    with pytest.raises(TypeError, match="dtype"):
        _C.conv2d_backward(dy, None, w.astype(np.float64), *geometry, 1, True, False, False)
    with pytest.raises(ValueError, match="divisible by groups"):
        _C.conv2d_backward(dy, x, None, *geometry, 2, False, True, False)
    with pytest.raises(TypeError, match="need_bias must be a bool"):
        _C.conv2d_backward(dy, x, None, *geometry, 1, False, True, 1)
    with pytest.raises(ValueError, match="needs the weight"):
        _C.conv2d_backward(dy, x, None, *geometry, 1, True, False, False)
    with pytest.raises(ValueError, match=r"weight of shape \(2, 3, 3, 3\) does not match"):
        _C.conv2d_backward(dy, x, w, (5, 5), (2, 2), (1, 1), (0, 0), (1, 1), 1, True, True,
                           True)
    with pytest.raises(ValueError, match=r"input of shape \(1, 3, 5, 5\) does not match"):
        _C.conv2d_backward(dy, x, w, (6, 5), (3, 3), (1, 1), (0, 0), (1, 1), 1, True, True,
                           True)
