"""rosenblatt.functional conv1d/conv2d/conv_transpose2d, pooling, interpolate and dropout2d:
values and gradients equal PyTorch's in both dtypes (check_op), float64 gradcheck, bad input."""

import numpy as np
import pytest

import rosenblatt as rb
import rosenblatt.functional as F
from helpers import check_op, torch

tF = torch.nn.functional if torch is not None else None


def _t(fn):
    """A torch_fn for check_op, or None without torch."""
    return fn if torch is not None else None


# ------------------------------------------------------------------ convolutions

CONV2D = [
    # x shape, weight shape, kwargs
    ((2, 3, 5, 6), (4, 3, 3, 3), dict(padding=1)),
    ((1, 4, 7, 5), (6, 2, 3, 2), dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)),
    ((2, 3, 5, 5), (3, 1, 3, 3), dict(stride=2, padding=1, groups=3)),
    ((1, 2, 5, 6), (3, 2, 2, 3), dict(padding="same", dilation=2)),
    ((1, 2, 4, 5), (3, 2, 3, 3), dict(padding="valid")),
    ((2, 3, 4, 4), (2, 3, 4, 4), dict()),
]


@pytest.mark.parametrize("x_shape, w_shape, kwargs", CONV2D)
def test_conv2d(x_shape, w_shape, kwargs):
    check_op(lambda x, w, b: F.conv2d(x, w, b, **kwargs),
             _t(lambda x, w, b: tF.conv2d(x, w, b, **kwargs)), [x_shape, w_shape, w_shape[:1]])


def test_conv2d_unbatched_and_without_bias():
    check_op(lambda x, w: F.conv2d(x, w, stride=2, padding=1),
             _t(lambda x, w: tF.conv2d(x, w, stride=2, padding=1)), [(2, 5, 5), (3, 2, 3, 3)])


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")  # torch's, not ours
@pytest.mark.parametrize("x_shape, w_shape, kwargs", [
    ((2, 3, 9), (4, 3, 3), dict(padding=1)),
    ((1, 4, 11), (6, 2, 3), dict(stride=2, padding=2, dilation=2, groups=2)),
    ((2, 2, 7), (3, 2, 4), dict(padding="same")),
    ((3, 5), (2, 3, 2), dict(stride=3)),
])
def test_conv1d(x_shape, w_shape, kwargs):
    check_op(lambda x, w, b: F.conv1d(x, w, b, **kwargs),
             _t(lambda x, w, b: tF.conv1d(x, w, b, **kwargs)), [x_shape, w_shape, w_shape[:1]])


@pytest.mark.parametrize("x_shape, w_shape, kwargs", [
    ((2, 3, 3, 4), (3, 2, 3, 3), dict()),
    ((1, 4, 3, 3), (4, 1, 3, 2), dict(stride=2, padding=1, output_padding=1, groups=2)),
    ((1, 2, 3, 2), (2, 3, 2, 3), dict(stride=(1, 2), padding=(0, 1), dilation=(2, 1))),
    ((1, 2, 2, 3), (2, 2, 3, 3), dict(stride=1, padding=1, output_padding=1, dilation=2)),
    ((2, 3, 3), (2, 2, 2, 2), dict(stride=2)),
])
def test_conv_transpose2d(x_shape, w_shape, kwargs):
    groups = kwargs.get("groups", 1)
    check_op(lambda x, w, b: F.conv_transpose2d(x, w, b, **kwargs),
             _t(lambda x, w, b: tF.conv_transpose2d(x, w, b, **kwargs)),
             [x_shape, w_shape, (w_shape[1] * groups,)])


def test_conv_transpose2d_is_the_adjoint_of_conv2d():
    rng = np.random.default_rng(0)
    x = rb.Tensor(rng.standard_normal((2, 4, 9, 8)))
    w = rb.Tensor(rng.standard_normal((6, 2, 3, 3)))
    y = F.conv2d(x, w, stride=2, padding=1, dilation=1, groups=2)
    u = rb.Tensor(rng.standard_normal(y.shape))
    back = F.conv_transpose2d(u, w, stride=2, padding=1, output_padding=(0, 1), groups=2)
    assert back.shape == x.shape
    np.testing.assert_allclose((y.data * u.data).sum(), (x.data * back.data).sum(), rtol=1e-12)


@pytest.mark.parametrize("call, error, match", [
    (lambda x, w: F.conv2d(x, rb.Tensor(np.zeros((2, 3, 9, 9), np.float32))), ValueError,
     r"kernel size \(9, 9\).*padded input \(6, 6\)"),
    (lambda x, w: F.conv2d(x, w, stride=0), ValueError, "stride"),
    (lambda x, w: F.conv2d(x, w, dilation=(1, 0)), ValueError, "dilation"),
    (lambda x, w: F.conv2d(x, w, groups=2), ValueError, "divisible by groups"),
    (lambda x, w: F.conv2d(x.reshape(1, 1, 3, 6, 6), w), ValueError,
     r"input must be 4-D.*\(1, 1, 3, 6, 6\)"),
    (lambda x, w: F.conv2d(x, rb.Tensor(np.zeros((2, 4, 3, 3), np.float32))), ValueError,
     r"weight of shape \(2, 4, 3, 3\) expects 4 input channels.*\(1, 3, 6, 6\) has 3"),
    (lambda x, w: F.conv2d(x, w, padding="full"), ValueError, "padding"),
    (lambda x, w: F.conv2d(x, w, stride=2, padding="same"), ValueError, "strided"),
    (lambda x, w: F.conv2d(x, w.double()), TypeError, "dtype"),
    (lambda x, w: F.conv2d(x, w, rb.Tensor(np.zeros(3, np.float32))), ValueError, "bias"),
    (lambda x, w: F.conv1d(x, w), ValueError, "conv1d: input must be 3-D"),
    (lambda x, w: F.conv_transpose2d(x, rb.Tensor(np.zeros((3, 2, 3, 3), np.float32)),
                                     output_padding=1), ValueError, "output_padding"),
    (lambda x, w: F.conv_transpose2d(x, rb.Tensor(np.zeros((4, 2, 3, 3), np.float32))),
     ValueError, "expects 4 input channels"),
    (lambda x, w: F.conv_transpose2d(x, rb.Tensor(np.zeros((3, 2, 3, 3), np.float32)),
                                     groups=2), ValueError, "divisible by groups"),
])
def test_conv_bad_input(call, error, match):
    x = rb.Tensor(np.zeros((1, 3, 6, 6), np.float32))
    w = rb.Tensor(np.zeros((2, 3, 3, 3), np.float32))
    with pytest.raises(error, match=match):
        call(x, w)


# ------------------------------------------------------------------ pooling


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=(2, 3), stride=(1, 2), dilation=(2, 1)),
])
def test_max_pool2d(kwargs):
    # distinct values: a tie would make the argmax (and the gradient) ill-defined
    check_op(lambda x: F.max_pool2d(x, **kwargs), _t(lambda x: tF.max_pool2d(x, **kwargs)),
             [(2, 2, 5, 6)], low=-1, high=1)


def test_max_pool_return_indices_and_1d():
    x = rb.Tensor(np.random.default_rng(0).standard_normal((2, 3, 9)))
    y, idx = F.max_pool1d(x, 3, 2, 1, return_indices=True)
    assert y.shape == idx.shape == (2, 3, 5) and idx.dtype == np.int64
    np.testing.assert_array_equal(np.take_along_axis(x.data, idx.data, 2), y.data)
    check_op(lambda x: F.max_pool1d(x, 3, 2, 1, ceil_mode=True),
             _t(lambda x: tF.max_pool1d(x, 3, 2, 1, ceil_mode=True)), [(2, 2, 8)])


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), divisor_override=3),
])
def test_avg_pool2d(kwargs):
    check_op(lambda x: F.avg_pool2d(x, **kwargs), _t(lambda x: tF.avg_pool2d(x, **kwargs)),
             [(2, 2, 5, 6)])


def test_avg_pool1d():
    check_op(lambda x: F.avg_pool1d(x, 3, 2, 1, count_include_pad=False),
             _t(lambda x: tF.avg_pool1d(x, 3, 2, 1, count_include_pad=False)), [(2, 3, 8)])


@pytest.mark.parametrize("size", [1, (2, 3), (None, 2), 5])
def test_adaptive_avg_pool2d(size):
    check_op(lambda x: F.adaptive_avg_pool2d(x, size),
             _t(lambda x: tF.adaptive_avg_pool2d(x, size)), [(1, 2, 4, 5)])


def test_pooling_unbatched():
    check_op(lambda x: F.max_pool2d(x, 2), _t(lambda x: tF.max_pool2d(x, 2)), [(2, 4, 4)])


@pytest.mark.parametrize("call, match", [
    (lambda x: F.max_pool2d(x, 7), r"kernel_size \(7, 7\)"),
    (lambda x: F.max_pool2d(x, 2, stride=0), "stride"),
    (lambda x: F.max_pool2d(x, 3, dilation=0), "dilation"),
    (lambda x: F.avg_pool2d(x, 2, padding=2), "padding"),
    (lambda x: F.max_pool1d(x, 2), "max_pool1d: input must be 3-D"),
    (lambda x: F.adaptive_avg_pool2d(x, (1, 2, 3)), "output_size"),
])
def test_pooling_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call(rb.Tensor(np.zeros((1, 2, 3, 4, 5), np.float32)[0]))


# ------------------------------------------------------------------ interpolate, dropout2d


@pytest.mark.parametrize("kwargs", [
    dict(scale_factor=2, mode="nearest"),
    dict(size=(5, 7), mode="nearest"),
    dict(size=(2, 3), mode="nearest"),
    dict(scale_factor=2, mode="bilinear", align_corners=False),
    dict(size=(5, 7), mode="bilinear", align_corners=True),
    dict(scale_factor=(1.5, 0.5), mode="bilinear"),
    dict(size=(2, 2), mode="bilinear", align_corners=False),
])
def test_interpolate(kwargs):
    check_op(lambda x: F.interpolate(x, **kwargs), _t(lambda x: tF.interpolate(x, **kwargs)),
             [(1, 2, 3, 4)])


def test_interpolate_bad_input():
    x = rb.Tensor(np.zeros((1, 1, 3, 3), np.float32))
    with pytest.raises(ValueError, match="mode"):
        F.interpolate(x, scale_factor=2, mode="bicubic")
    with pytest.raises(ValueError, match="exactly one"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="4-D"):
        F.interpolate(rb.Tensor(np.zeros((3, 3), np.float32)), size=4)


def test_dropout2d_zeroes_whole_channels():
    rb.manual_seed(0)
    x = rb.Tensor(np.ones((8, 16, 3, 3), np.float32), requires_grad=True)
    y = F.dropout2d(x, 0.5)
    planes = y.data.reshape(8, 16, 9)
    assert np.all((planes == 0).all(axis=2) | (planes == 2).all(axis=2))
    kept = (planes[:, :, 0] != 0).mean()
    assert 0.3 < kept < 0.7
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, y.data)
    assert F.dropout2d(x, 0.5, training=False) is x
    with pytest.raises(ValueError, match="dropout2d"):
        F.dropout2d(rb.Tensor(np.ones((2, 3), np.float32)))
