"""LoRA: frozen base, zero-initialized B, merge/unmerge, and recovery of full fine-tuning's gain."""

import numpy as np
import pytest
from compression_helpers import accuracy, digits_mlp, digits_split, train

import rosenblatt as rb
from rosenblatt import functional as F
from rosenblatt import nn


def make_lora(dtype=np.float32, r=3, alpha=6.0, dropout=0.0, seed=0):
    rb.manual_seed(seed)
    base = nn.Linear(7, 5, dtype=dtype)
    return nn.LoRALinear(base, r=r, alpha=alpha, dropout=dropout)


def test_starts_as_the_base_layer_and_has_the_documented_shapes():
    layer = make_lora()
    assert layer.lora_A.shape == (3, 7) and layer.lora_B.shape == (5, 3)
    assert not layer.lora_B.data.any() and layer.lora_A.data.any()
    assert layer.scaling == pytest.approx(2.0)
    x = rb.randn(4, 7)
    np.testing.assert_array_equal(layer(x).data, layer.base(x).data)
    assert [n for n, p in layer.named_parameters() if p.requires_grad] == ["lora_A", "lora_B"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_matches_the_low_rank_formula(dtype):
    layer = make_lora(dtype)
    rng = np.random.default_rng(1)
    layer.lora_B.data[...] = rng.standard_normal(layer.lora_B.shape)
    x = rng.standard_normal((2, 3, 7)).astype(dtype)
    W, b = layer.base.weight.data.astype(np.float64), layer.base.bias.data.astype(np.float64)
    A, B = layer.lora_A.data.astype(np.float64), layer.lora_B.data.astype(np.float64)
    expected = x @ W.T + b + 2.0 * (x @ A.T @ B.T)
    out = layer(rb.Tensor(x))
    assert out.dtype == dtype and out.shape == (2, 3, 5)
    np.testing.assert_allclose(out.data, expected, rtol=1e-5, atol=1e-5)


def test_gradients_reach_only_A_and_B_and_match_float64_gradcheck():
    layer = make_lora(np.float64)
    layer.lora_B.data[...] = np.random.default_rng(2).standard_normal(layer.lora_B.shape)
    x = rb.randn(3, 7, dtype=np.float64)
    layer(x).sum().backward()
    assert layer.base.weight.grad is None and layer.base.bias.grad is None
    assert layer.lora_A.grad is not None and layer.lora_B.grad is not None
    assert rb.autograd.gradcheck(lambda a, b: F.linear(F.linear(x, a), b).sum() * 2.0,
                                 [rb.Tensor(layer.lora_A.data.copy(), requires_grad=True),
                                  rb.Tensor(layer.lora_B.data.copy(), requires_grad=True)])


def test_merge_keeps_outputs_and_unmerge_restores_the_base_weight():
    layer = make_lora()
    layer.lora_B.data[...] = np.random.default_rng(3).standard_normal(layer.lora_B.shape)
    x = rb.randn(6, 7)
    before, weight = layer(x).data.copy(), layer.base.weight.data.copy()
    layer.merge()
    assert layer.merged
    np.testing.assert_allclose(layer(x).data, before, rtol=1e-5, atol=1e-5)
    layer.merge()  # idempotent
    np.testing.assert_allclose(layer(x).data, before, rtol=1e-5, atol=1e-5)
    layer.unmerge()
    np.testing.assert_allclose(layer.base.weight.data, weight, atol=1e-6)
    np.testing.assert_allclose(layer(x).data, before, rtol=1e-5, atol=1e-5)


def test_dropout_acts_on_the_lora_path_only():
    layer = make_lora(dropout=0.5)
    x = rb.randn(8, 7)
    np.testing.assert_array_equal(layer(x).data, layer.base(x).data)  # B = 0: nothing to drop
    layer.lora_B.data[...] = 1.0
    train_out = layer(x).data
    assert not np.allclose(train_out, layer(x).data)  # a new mask each call
    layer.eval()
    expected = layer.base(x).data + 2.0 * (x.data @ layer.lora_A.data.T @ layer.lora_B.data.T)
    np.testing.assert_allclose(layer(x).data, expected, rtol=1e-5, atol=1e-5)


def test_apply_lora_wraps_named_layers_in_place_and_freezes_the_rest():
    rb.manual_seed(0)
    model = digits_mlp(32)
    x = rb.randn(4, 64)
    before = model(x).data.copy()
    wrapped = nn.apply_lora(model, ["0", "4"], r=2, trainable=["2"])
    assert wrapped == ["0", "4"]
    assert isinstance(model[0], nn.LoRALinear) and isinstance(model[2], nn.Linear)
    np.testing.assert_array_equal(model(x).data, before)  # order kept, B = 0
    trainable = sorted(n for n, p in model.named_parameters() if p.requires_grad)
    assert trainable == ["0.lora_A", "0.lora_B", "2.bias", "2.weight", "4.lora_A", "4.lora_B"]
    count = nn.count_parameters(model)
    assert count.total == 64 * 32 + 32 + 32 * 32 + 32 + 32 * 10 + 10 + 2 * (64 + 32) + 2 * (32 + 10)
    assert count.trainable == 2 * (64 + 32) + 32 * 32 + 32 + 2 * (32 + 10)
    assert "trainable%" in str(count)
    nn.merge_lora(model)
    np.testing.assert_allclose(model(x).data, before, atol=1e-6)
    nn.unmerge_lora(model)


def test_bad_arguments_raise_naming_them():
    base = nn.Linear(4, 3)
    with pytest.raises(ValueError, match="r must be"):
        nn.LoRALinear(base, r=0)
    with pytest.raises(ValueError, match="alpha"):
        nn.LoRALinear(base, alpha=float("nan"))
    with pytest.raises(TypeError, match="base must be"):
        nn.LoRALinear(nn.ReLU())
    model = digits_mlp(8)
    with pytest.raises(ValueError, match="matches no submodule"):
        nn.apply_lora(model, ["q_proj"])
    with pytest.raises(ValueError, match="not a Linear"):
        nn.apply_lora(model, ["1"])
    with pytest.raises(ValueError, match="no LoRALinear"):
        nn.merge_lora(model)


def test_lora_recovers_most_of_full_fine_tuning_on_a_shifted_task():
    """Pretrain on digits, fine-tune on mirrored digits: full vs LoRA (r=4, < 10% of parameters)."""
    X_train, X_test, y_train, y_test = digits_split()
    rb.manual_seed(0)
    pretrained = train(digits_mlp(), X_train, y_train, epochs=10)
    assert accuracy(pretrained, X_test, y_test) > 0.95
    mirror = lambda X: X.reshape(-1, 8, 8)[:, :, ::-1].reshape(-1, 64).copy()  # noqa: E731
    M_train, M_test = mirror(X_train), mirror(X_test)
    start = accuracy(pretrained, M_test, y_test)
    state = {k: v.data.copy() for k, v in pretrained.state_dict().items()}

    full = digits_mlp()
    full.load_state_dict(state)
    full_gain = accuracy(train(full, M_train, y_train, epochs=5), M_test, y_test) - start

    lora = digits_mlp()
    lora.load_state_dict(state)
    nn.apply_lora(lora, ["0", "2", "4"], r=4, alpha=8)
    count = nn.count_parameters(lora)
    train(lora, M_train, y_train, epochs=5, lr=5e-3)
    lora_accuracy = accuracy(lora, M_test, y_test)
    print(f"shifted task: before {start:.3f}, full +{full_gain:.3f}, LoRA "
          f"+{lora_accuracy - start:.3f} with {count}")
    assert full_gain > 0.3
    assert count.fraction < 0.10
    assert lora_accuracy - start >= 0.9 * full_gain
    # the base weights did not move, and merging keeps the predictions
    np.testing.assert_array_equal(lora[0].base.weight.data, state["0.weight"])
    with rb.no_grad():
        logits = lora(rb.Tensor(M_test)).data
        nn.merge_lora(lora)
        np.testing.assert_allclose(lora(rb.Tensor(M_test)).data, logits, rtol=1e-5, atol=1e-5)
