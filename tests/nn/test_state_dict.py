"""state_dict / load_state_dict: PyTorch names, NumPy-only PyTorch-layout dicts, errors, in place."""

import numpy as np
import pytest

import rosenblatt as rb
import rosenblatt.nn as nn


def mlp(dtype=None):
    return nn.Sequential(nn.Linear(4, 8, dtype=dtype), nn.ReLU(), nn.Linear(8, 3, dtype=dtype))


def torch_layout_mlp_state(seed=0):
    """What ``{k: v.numpy() for k, v in torch_mlp.state_dict().items()}`` holds, built from NumPy."""
    rng = np.random.default_rng(seed)
    return {
        "0.weight": rng.normal(size=(8, 4)).astype(np.float32),
        "0.bias": rng.normal(size=8).astype(np.float32),
        "2.weight": rng.normal(size=(3, 8)).astype(np.float32),
        "2.bias": rng.normal(size=3).astype(np.float32),
    }


def test_pytorch_layout_state_dict_from_numpy_loads_strictly():
    state = torch_layout_mlp_state()
    model = mlp()
    result = model.load_state_dict(state, strict=True)
    assert result.missing_keys == [] and result.unexpected_keys == []
    x = np.random.default_rng(1).normal(size=(5, 4)).astype(np.float32)
    hidden = np.maximum(x @ state["0.weight"].T + state["0.bias"], 0)
    expected = hidden @ state["2.weight"].T + state["2.bias"]
    np.testing.assert_allclose(model(rb.Tensor(x)).data, expected, rtol=1e-5, atol=1e-6)


def test_torch_state_dict_as_numpy_gives_the_same_outputs():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(),
                                 torch.nn.Dropout(0.5), torch.nn.Linear(8, 6),
                                 torch.nn.LayerNorm(6), torch.nn.PReLU())
    theirs.train()
    theirs(torch.randn(16, 4))  # move the running statistics away from their defaults
    theirs.eval()
    ours = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(8, 6), nn.LayerNorm(6), nn.PReLU()).eval()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()}, strict=True)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert int(ours[1].num_batches_tracked.item()) == 1
    x = np.random.default_rng(2).normal(size=(7, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(rb.Tensor(x)).data,
                               theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    # and back: our state_dict loads into torch
    theirs2 = torch.nn.Sequential(*[type(m)(*args) for m, args in zip(
        theirs, [(4, 8), (8,), (), (0.5,), (8, 6), (6,), ()])]).eval()
    theirs2.load_state_dict({k: torch.from_numpy(np.array(v.data))
                             for k, v in ours.state_dict().items()})
    np.testing.assert_allclose(theirs2(torch.from_numpy(x)).detach().numpy(),
                               ours(rb.Tensor(x)).data, rtol=1e-5, atol=1e-6)


def test_load_copies_in_place_and_casts():
    model = mlp()
    weight = model[0].weight
    array = weight.data
    state = {k: v.astype(np.float64) for k, v in torch_layout_mlp_state().items()}
    model.load_state_dict(state)
    assert model[0].weight is weight and weight.data is array  # an optimizer's arrays stay valid
    assert weight.dtype == np.float32
    np.testing.assert_allclose(weight.data, state["0.weight"], rtol=1e-6)
    other = mlp()
    other.load_state_dict(model.state_dict())  # Tensors load too
    np.testing.assert_array_equal(other[2].bias.data, model[2].bias.data)


def test_state_dict_is_detached_but_shares_memory():
    model = mlp()
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert not state["0.weight"].requires_grad and not isinstance(state["0.weight"], nn.Parameter)
    assert state["0.weight"].data is model[0].weight.data
    assert model.state_dict(keep_vars=True)["0.weight"] is model[0].weight
    assert list(model.state_dict(prefix="net.")) [0] == "net.0.weight"


def _snapshot(model):
    return {k: v.data.copy() for k, v in model.state_dict().items()}


def test_errors_name_every_bad_key_and_change_nothing():
    model = mlp()
    before = _snapshot(model)
    state = torch_layout_mlp_state()
    del state["2.bias"]
    state["0.weight"] = np.zeros((4, 8), np.float32)
    state["3.weight"] = np.zeros(3, np.float32)
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    assert 'Missing key(s) in state_dict: "2.bias"' in message
    assert 'Unexpected key(s) in state_dict: "3.weight"' in message
    assert "size mismatch for 0.weight" in message and "(4, 8)" in message and "(8, 4)" in message
    for key, value in _snapshot(model).items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)


def test_non_strict_reports_keys_but_still_refuses_bad_shapes():
    model = mlp()
    state = torch_layout_mlp_state()
    del state["2.bias"]
    state["extra"] = np.ones(2)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["2.bias"] and result.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(model[0].bias.data, state["0.bias"])
    state["0.bias"] = np.ones(9)
    with pytest.raises(RuntimeError, match="size mismatch for 0.bias"):
        model.load_state_dict(state, strict=False)


def test_bad_values_and_types():
    model = mlp()
    with pytest.raises(TypeError, match="mapping"):
        model.load_state_dict([("0.weight", np.zeros((8, 4)))])
    state = torch_layout_mlp_state()
    state["0.bias"] = np.array(["a"] * 8)
    with pytest.raises(RuntimeError, match="0.bias has non-numeric dtype"):
        model.load_state_dict(state)


def test_buffers_persistent_and_not():
    class WithBuffers(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("kept", rb.zeros(2))
            self.register_buffer("scratch", rb.zeros(2), persistent=False)

    module = WithBuffers()
    assert list(module.state_dict()) == ["kept"]
    assert [n for n, _ in module.named_buffers()] == ["kept", "scratch"]
    module.load_state_dict({"kept": np.ones(2)})
    np.testing.assert_array_equal(module.kept.data, [1.0, 1.0])
    with pytest.raises(RuntimeError, match='Unexpected key.*"scratch"'):
        module.load_state_dict({"kept": np.ones(2), "scratch": np.ones(2)})
