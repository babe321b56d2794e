"""rb.nn convolution, pooling, Dropout2d and Upsample layers: PyTorch's arguments, parameter
names, layouts and initialization; a torch state_dict loads and gives equal outputs and gradients."""

import math

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt import nn

torch = pytest.importorskip("torch")


def _load_from_torch(ours, theirs):
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


@pytest.mark.parametrize("make", [
    lambda m, **kw: m.Conv2d(4, 6, 3, stride=2, padding=1, **kw),
    lambda m, **kw: m.Conv2d(4, 8, (3, 2), dilation=(2, 1), groups=2, bias=False, **kw),
    lambda m, **kw: m.Conv2d(4, 4, 3, padding="same", groups=4, **kw),
    lambda m, **kw: m.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, **kw),
    lambda m, **kw: m.ConvTranspose2d(4, 2, (2, 3), groups=2, dilation=2, **kw),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv2d_layers_load_a_torch_state_dict(make, dtype):
    torch_dtype = torch.float32 if dtype == np.float32 else torch.float64
    theirs = make(torch.nn, dtype=torch_dtype)
    ours = make(nn, dtype=dtype)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert ours.weight.shape == tuple(theirs.weight.shape)
    _load_from_torch(ours, theirs)
    x = np.random.default_rng(0).standard_normal((2, 4, 7, 6)).astype(dtype)
    tx = torch.tensor(x, requires_grad=True)
    rx = rb.Tensor(x, requires_grad=True)
    y, ty = ours(rx), theirs(tx)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(y.data, ty.detach().numpy(), **tol)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(rx.grad.data, tx.grad.numpy(), **tol)
    np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), **tol)


def test_conv1d_layer_matches_torch():
    theirs = torch.nn.Conv1d(3, 4, 5, stride=2, padding=2, dilation=1)
    ours = nn.Conv1d(3, 4, 5, stride=2, padding=2)
    _load_from_torch(ours, theirs)
    x = np.random.default_rng(1).standard_normal((2, 3, 11)).astype(np.float32)
    np.testing.assert_allclose(ours(rb.Tensor(x)).data, theirs(torch.from_numpy(x)).detach(),
                               rtol=1e-5, atol=1e-5)


def test_conv_transpose_output_size_argument():
    layer = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    x = rb.Tensor(np.zeros((1, 2, 4, 4), np.float32))
    assert layer(x).shape == (1, 3, 7, 7)
    assert layer(x, output_size=(8, 8)).shape == (1, 3, 8, 8)
    with pytest.raises(ValueError, match="output_size"):
        layer(x, output_size=(10, 10))


def test_default_init_follows_torch_bounds():
    rb.manual_seed(0)
    layer = nn.Conv2d(8, 16, 3, groups=2)
    fan_in = 4 * 9
    bound = 1 / math.sqrt(fan_in)
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.bias.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.9 * bound
    transposed = nn.ConvTranspose2d(8, 4, 2)
    assert transposed.weight.shape == (8, 4, 2, 2)
    assert np.abs(transposed.bias.data).max() <= 1 / math.sqrt(4 * 4)


def test_conv_layer_bad_arguments():
    with pytest.raises(ValueError, match="groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="stride"):
        nn.Conv2d(3, 4, 3, stride=0)
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(3, 4, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="strided"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")
    layer = nn.Conv2d(3, 4, 3)
    with pytest.raises(ValueError, match=r"expects 3 input channels.*has 2"):
        layer(rb.Tensor(np.zeros((1, 2, 5, 5), np.float32)))
    assert "Conv2d(3, 4, kernel_size=(3, 3)" in repr(layer)


@pytest.mark.parametrize("ours, theirs, shape", [
    (nn.MaxPool2d(2), torch.nn.MaxPool2d(2), (2, 3, 8, 8)),
    (nn.MaxPool2d(3, 2, 1, ceil_mode=True), torch.nn.MaxPool2d(3, 2, 1, ceil_mode=True),
     (1, 2, 9, 7)),
    (nn.MaxPool1d(3, 2), torch.nn.MaxPool1d(3, 2), (2, 3, 9)),
    (nn.AvgPool2d(3, 2, 1, count_include_pad=False),
     torch.nn.AvgPool2d(3, 2, 1, count_include_pad=False), (2, 2, 7, 6)),
    (nn.AvgPool1d(2), torch.nn.AvgPool1d(2), (2, 2, 7)),
    (nn.AdaptiveAvgPool2d(1), torch.nn.AdaptiveAvgPool2d(1), (2, 3, 5, 5)),
    (nn.AdaptiveAvgPool2d((3, 2)), torch.nn.AdaptiveAvgPool2d((3, 2)), (2, 3, 7, 5)),
    (nn.Upsample(scale_factor=2), torch.nn.Upsample(scale_factor=2), (1, 2, 3, 4)),
    (nn.Upsample(size=(5, 6), mode="bilinear", align_corners=False),
     torch.nn.Upsample(size=(5, 6), mode="bilinear", align_corners=False), (1, 2, 3, 4)),
])
def test_parameter_free_layers_match_torch(ours, theirs, shape):
    x = np.random.default_rng(2).standard_normal(shape)
    rx, tx = rb.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = ours(rx), theirs(tx)
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    g = np.random.default_rng(3).standard_normal(y.shape)
    y.backward(g)
    ty.backward(torch.from_numpy(g))
    np.testing.assert_allclose(rx.grad.data, tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert list(ours.parameters()) == []


def test_max_pool_layer_return_indices():
    y, idx = nn.MaxPool2d(2, return_indices=True)(rb.Tensor(np.arange(16.0).reshape(1, 1, 4, 4)))
    np.testing.assert_array_equal(idx.data[0, 0], [[5, 7], [13, 15]])


def test_dropout2d_layer_train_and_eval():
    rb.manual_seed(3)
    layer = nn.Dropout2d(0.25)
    x = rb.Tensor(np.ones((4, 32, 2, 2), np.float32))
    y = layer(x).data
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.75)}
    assert (y == 0).any()
    layer.eval()
    assert layer(x) is x
    assert repr(layer) == "Dropout2d(p=0.25)"


def test_small_cnn_trains():
    rb.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(8, 2))
    rng = np.random.default_rng(0)
    # class 1 has a bright vertical bar, class 0 a horizontal one
    images = rng.normal(0, 0.1, (64, 1, 8, 8)).astype(np.float32)
    labels = rng.integers(0, 2, 64)
    images[labels == 1, 0, :, 3] += 1.0
    images[labels == 0, 0, 3, :] += 1.0
    optimizer = rb.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(60):
        optimizer.zero_grad()
        loss = rb.functional.cross_entropy(model(rb.Tensor(images)), rb.Tensor(labels))
        loss.backward()
        optimizer.step()
    accuracy = (model(rb.Tensor(images)).data.argmax(1) == labels).mean()
    assert accuracy == 1.0, accuracy
