"""Each layer against its torch twin: weights copied both ways, outputs and gradients compared."""

import numpy as np
import pytest

import rosenblatt as rb
import rosenblatt.nn as nn

torch = pytest.importorskip("torch")
TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}
TORCH_DTYPE = {np.float32: torch.float32, np.float64: torch.float64}


def copy_to_torch(ours, theirs):
    """rosenblatt -> torch, through the state_dict."""
    theirs.load_state_dict({k: torch.from_numpy(np.array(v.data))
                            for k, v in ours.state_dict().items()})


def compare(ours, theirs, x, dtype, *, train=True):
    """Forward, then backward of a random projection; compares outputs, input and param grads."""
    ours.train(train)
    theirs.train(train)
    tol = TOL[dtype]
    xo = rb.Tensor(x.astype(dtype), requires_grad=True)
    xt = torch.tensor(x.astype(dtype), requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    np.testing.assert_allclose(yo.data, yt.detach().numpy(), **tol, err_msg="forward")
    assert yo.dtype == dtype
    g = np.random.default_rng(9).standard_normal(yo.shape).astype(dtype)
    yo.backward(g)
    yt.backward(torch.from_numpy(g))
    np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), **tol, err_msg="input grad")
    torch_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.data, torch_params[name].grad.numpy(), **tol,
                                   err_msg=f"grad of {name}")
    assert [n for n, _ in ours.named_parameters()] == list(torch_params)


LAYERS = [
    ("linear", lambda d: nn.Linear(5, 3, dtype=d), lambda d: torch.nn.Linear(5, 3, dtype=d), (4, 5)),
    ("linear_3d_no_bias", lambda d: nn.Linear(5, 3, bias=False, dtype=d),
     lambda d: torch.nn.Linear(5, 3, bias=False, dtype=d), (2, 4, 5)),
    ("prelu_shared", lambda d: nn.PReLU(dtype=d), lambda d: torch.nn.PReLU(dtype=d), (4, 6)),
    ("prelu_channels", lambda d: nn.PReLU(3, init=0.1, dtype=d),
     lambda d: torch.nn.PReLU(3, init=0.1, dtype=d), (4, 3, 5)),
    ("layer_norm", lambda d: nn.LayerNorm(6, dtype=d), lambda d: torch.nn.LayerNorm(6, dtype=d),
     (4, 6)),
    ("layer_norm_2d_no_bias", lambda d: nn.LayerNorm((3, 4), bias=False, dtype=d),
     lambda d: torch.nn.LayerNorm((3, 4), bias=False, dtype=d), (2, 3, 4)),
    ("batch_norm_2d", lambda d: nn.BatchNorm1d(4, dtype=d),
     lambda d: torch.nn.BatchNorm1d(4, dtype=d), (8, 4)),
    ("batch_norm_3d", lambda d: nn.BatchNorm1d(3, momentum=0.2, dtype=d),
     lambda d: torch.nn.BatchNorm1d(3, momentum=0.2, dtype=d), (4, 3, 5)),
    ("batch_norm_no_bias", lambda d: nn.BatchNorm1d(3, dtype=d, bias=False),
     lambda d: torch.nn.BatchNorm1d(3, dtype=d, bias=False), (4, 3, 5)),
    ("batch_norm_4d", lambda d: nn.BatchNorm2d(3, momentum=0.3, dtype=d),
     lambda d: torch.nn.BatchNorm2d(3, momentum=0.3, dtype=d), (4, 3, 5, 6)),
    ("batch_norm_4d_no_affine", lambda d: nn.BatchNorm2d(2, affine=False, dtype=d),
     lambda d: torch.nn.BatchNorm2d(2, affine=False, dtype=d), (3, 2, 1, 7)),
]


def _perturb(module, seed):
    """Random values in every parameter (so non-default weights are compared)."""
    rng = np.random.default_rng(seed)
    with rb.no_grad():
        for p in module.parameters():
            p.data[...] = rng.uniform(0.2, 1.5, p.shape)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,make_ours,make_theirs,shape", LAYERS, ids=[c[0] for c in LAYERS])
def test_layer_matches_torch(name, make_ours, make_theirs, shape, dtype):
    ours, theirs = make_ours(dtype), make_theirs(TORCH_DTYPE[dtype])
    _perturb(ours, 1)
    copy_to_torch(ours, theirs)
    x = np.random.default_rng(2).normal(0.5, 2.0, shape)
    compare(ours, theirs, x, dtype, train=True)
    # torch -> rosenblatt: fresh torch weights loaded into ours
    ours2 = make_ours(dtype)
    theirs2 = make_theirs(TORCH_DTYPE[dtype])
    ours2.load_state_dict({k: v.numpy() for k, v in theirs2.state_dict().items()})
    compare(ours2, theirs2, x, dtype, train=True)


@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_running_stats_and_eval_match_torch(dtype, momentum):
    ours = nn.BatchNorm1d(3, momentum=momentum, dtype=dtype)
    theirs = torch.nn.BatchNorm1d(3, momentum=momentum, dtype=TORCH_DTYPE[dtype])
    rng = np.random.default_rng(5)
    for step in range(3):
        x = rng.normal(2.0, 3.0, (6, 3, 4)).astype(dtype)
        compare(ours, theirs, x, dtype, train=True)
        ours.zero_grad()
        theirs.zero_grad()
    for name, t in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name].data, t.numpy(), **TOL[dtype],
                                   err_msg=name)
    assert int(ours.num_batches_tracked.item()) == 3
    before = ours.running_mean.data.copy()
    compare(ours, theirs, rng.normal(size=(5, 3)), dtype, train=False)  # eval: running stats
    np.testing.assert_array_equal(ours.running_mean.data, before)


def test_batch_norm_without_running_stats_or_affine_matches_torch():
    ours = nn.BatchNorm1d(4, affine=False, track_running_stats=False)
    theirs = torch.nn.BatchNorm1d(4, affine=False, track_running_stats=False)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == []
    x = np.random.default_rng(0).normal(size=(6, 4))
    compare(ours, theirs, x, np.float32, train=False)  # eval still uses the batch statistics


@pytest.mark.parametrize("make_ours,make_theirs", [
    (nn.ReLU, torch.nn.ReLU), (nn.Sigmoid, torch.nn.Sigmoid), (nn.Tanh, torch.nn.Tanh),
    (lambda: nn.LeakyReLU(0.2), lambda: torch.nn.LeakyReLU(0.2)),
    (lambda: nn.ELU(0.5), lambda: torch.nn.ELU(0.5)), (nn.SELU, torch.nn.SELU),
    (lambda: nn.Softplus(2.0, 5.0), lambda: torch.nn.Softplus(2.0, 5.0)),
    (nn.GELU, torch.nn.GELU), (lambda: nn.GELU("tanh"), lambda: torch.nn.GELU("tanh")),
    (lambda: nn.Softmax(1), lambda: torch.nn.Softmax(1)),
    (lambda: nn.LogSoftmax(-1), lambda: torch.nn.LogSoftmax(-1)),
    (nn.Identity, torch.nn.Identity), (nn.Flatten, torch.nn.Flatten),
    (lambda: nn.Flatten(0, 1), lambda: torch.nn.Flatten(0, 1)),
], ids=["relu", "sigmoid", "tanh", "leaky_relu", "elu", "selu", "softplus", "gelu", "gelu_tanh",
        "softmax", "log_softmax", "identity", "flatten", "flatten_01"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_parameter_free_layers_match_torch(make_ours, make_theirs, dtype):
    x = np.random.default_rng(3).normal(0.0, 2.0, (4, 3, 5))
    ours, theirs = make_ours(), make_theirs()
    tol = TOL[dtype] if not isinstance(ours, nn.GELU) or ours.approximate == "tanh" else \
        dict(rtol=1e-6, atol=3e-7)  # exact GELU uses a 1.2e-7 erfc approximation
    xo = rb.Tensor(x.astype(dtype), requires_grad=True)
    xt = torch.tensor(x.astype(dtype), requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    np.testing.assert_allclose(yo.data, yt.detach().numpy(), **tol)
    g = np.random.default_rng(4).standard_normal(yo.shape).astype(dtype)
    yo.backward(g)
    yt.backward(torch.from_numpy(g))
    np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), **tol)
    assert repr(ours) == repr(theirs).replace("inplace=False", "").replace("(, ", "(")


def test_maxout_module():
    x = rb.Tensor(np.arange(12.0).reshape(2, 6) * np.array([1, -1, 1, -1, 1, -1]))
    y = nn.Maxout(3)(x)
    np.testing.assert_array_equal(y.data, x.data.reshape(2, 2, 3).max(axis=-1))
    assert repr(nn.Maxout(2)) == "Maxout(pool_size=2, dim=-1)"


def test_dropout_module_train_and_eval():
    layer = nn.Dropout(0.25)
    x = rb.ones(200, 100)
    rb.manual_seed(0)
    y = layer(x)
    assert abs((y.data == 0).mean() - 0.25) < 0.01
    np.testing.assert_allclose(np.unique(y.data), [0.0, 1 / 0.75], rtol=1e-6)
    assert layer.eval()(x) is x
    assert repr(layer) == "Dropout(p=0.25)"
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_linear_default_init_matches_torch_statistics():
    rb.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / np.sqrt(400)
    for p in (layer.weight, layer.bias):
        assert np.abs(p.data).max() <= bound
        assert np.abs(p.data).max() > 0.95 * bound
    assert layer.weight.data.std() == pytest.approx(bound / np.sqrt(3), rel=0.02)
    assert layer.weight.dtype == np.float32 and layer.weight.data.flags.c_contiguous
    assert nn.Linear(2, 3, dtype="float64").weight.dtype == np.float64


def test_batch_norm_module_bad_input():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        bn(rb.randn(2, 3, 4, 5))
    with pytest.raises(ValueError, match="expected 3"):
        bn(rb.randn(2, 4))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(rb.randn(1, 3))
    assert repr(nn.BatchNorm1d(2, affine=False)) == repr(torch.nn.BatchNorm1d(2, affine=False))
    with pytest.raises(ValueError, match="BatchNorm2d: expected 4D input"):
        nn.BatchNorm2d(3)(rb.randn(2, 3, 4))
    with pytest.raises(ValueError, match="BatchNorm2d: input of shape"):
        nn.BatchNorm2d(3)(rb.randn(2, 4, 2, 2))
    assert repr(nn.BatchNorm2d(5)) == repr(torch.nn.BatchNorm2d(5))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_2d_running_stats_and_eval_match_torch(dtype):
    ours = nn.BatchNorm2d(4, dtype=dtype)
    theirs = torch.nn.BatchNorm2d(4, dtype=TORCH_DTYPE[dtype])
    rng = np.random.default_rng(6)
    for _ in range(3):
        compare(ours, theirs, rng.normal(-1.0, 2.0, (5, 4, 3, 3)), dtype, train=True)
        ours.zero_grad()
        theirs.zero_grad()
    for name, t in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name].data, t.numpy(), **TOL[dtype],
                                   err_msg=name)
    compare(ours, theirs, rng.normal(size=(2, 4, 3, 3)), dtype, train=False)
