"""Int8 per-channel weight quantization of Linear layers."""

import numpy as np
import pytest
from compression_helpers import accuracy, digits_mlp, digits_split, train

import rosenblatt as rb
from rosenblatt import nn
from rosenblatt.nn.quantized import dequantize_per_channel, quantize_per_channel


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_per_channel_quantization_matches_the_reference_and_its_error_bound(dtype):
    rng = np.random.default_rng(0)
    w = (rng.standard_normal((5, 13)) * np.array([[1e-3], [1], [10], [0], [0.5]])).astype(dtype)
    w[4, 3] = -3.0  # a row whose peak is negative
    q, scale = quantize_per_channel(w)
    assert q.dtype == np.int8 and scale.dtype == dtype and scale.shape == (5,)
    peak = np.abs(w.astype(np.float64)).max(1)
    expected_scale = np.where(peak > 0, peak / 127, 1.0)
    np.testing.assert_allclose(scale, expected_scale, rtol=1e-6)
    np.testing.assert_array_equal(q, np.clip(np.rint(w / scale[:, None]), -127, 127))
    assert np.abs(q).max() == 127 and not q[3].any()
    error = np.abs(dequantize_per_channel(q, scale) - w)
    assert (error <= scale[:, None] / 2 * (1 + 1e-5)).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_quantized_linear_computes_with_the_dequantized_weight(dtype):
    rb.manual_seed(0)
    linear = nn.Linear(9, 4, dtype=dtype)
    layer = nn.QuantizedLinear.from_float(linear)
    x = np.random.default_rng(1).standard_normal((2, 3, 9)).astype(dtype)
    w = layer.weight_int8.data.astype(np.float64) * layer.weight_scale.data[:, None]
    np.testing.assert_allclose(layer.weight.data, w, rtol=1e-6)
    assert layer.weight.dtype == dtype and not layer.weight.requires_grad
    expected = x @ w.T + linear.bias.data
    out = layer(rb.Tensor(x))
    assert out.dtype == dtype and out.shape == (2, 3, 4)
    np.testing.assert_allclose(out.data, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out.data, linear(rb.Tensor(x)).data, atol=0.02)
    assert layer.num_parameters() == 0
    no_bias = nn.QuantizedLinear.from_float(nn.Linear(9, 4, bias=False, dtype=dtype))
    np.testing.assert_allclose(no_bias(rb.Tensor(x)).data,
                               x @ no_bias.weight.data.T, rtol=1e-5, atol=1e-6)


def test_input_gradient_flows_through():
    rb.manual_seed(0)
    layer = nn.QuantizedLinear.from_float(nn.Linear(5, 3, dtype=np.float64))
    x = rb.randn(4, 5, dtype=np.float64, requires_grad=True)
    assert rb.autograd.gradcheck(lambda t: layer(t), [x])


def test_state_dict_holds_int8_and_scales_and_round_trips_through_a_checkpoint(tmp_path):
    rb.manual_seed(0)
    model = digits_mlp(32)
    nn.quantize_linear_layers(model)
    state = model.state_dict()
    assert state["0.weight_int8"].dtype == np.int8 and state["0.weight_scale"].dtype == np.float32
    assert sorted(state) == sorted(f"{i}.{k}" for i in (0, 2, 4)
                                   for k in ("weight_int8", "weight_scale", "bias"))
    int8_bytes = sum(v.data.nbytes for k, v in state.items() if k.endswith("weight_int8"))
    assert int8_bytes == (64 * 32 + 32 * 32 + 32 * 10)
    path = tmp_path / "int8.safetensors"
    rb.train.save_checkpoint(path, model)
    fresh = digits_mlp(32)
    nn.quantize_linear_layers(fresh)
    rb.train.load_checkpoint(path, fresh)
    assert fresh[0].weight_int8.dtype == np.int8
    x = rb.randn(3, 64)
    np.testing.assert_array_equal(fresh(x).data, model(x).data)


def test_quantizing_a_trained_mlp_changes_accuracy_by_less_than_a_point():
    X_train, X_test, y_train, y_test = digits_split()
    rb.manual_seed(0)
    model = train(digits_mlp(), X_train, y_train, epochs=8)
    before = accuracy(model, X_test, y_test)
    replaced = nn.quantize_linear_layers(model)
    assert replaced == ["0", "2", "4"] and all(isinstance(model[i], nn.QuantizedLinear)
                                               for i in (0, 2, 4))
    after = accuracy(model, X_test, y_test)
    print(f"digits MLP accuracy: float32 {before:.4f}, int8 {after:.4f}")
    assert abs(after - before) < 0.01


def test_bad_input_raises_naming_it():
    with pytest.raises(ValueError, match="NaN"):
        quantize_per_channel(np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match="2-D float"):
        quantize_per_channel(np.ones(3))
    with pytest.raises(TypeError, match="rb.nn.Linear"):
        nn.QuantizedLinear.from_float(nn.ReLU())
    layer = nn.QuantizedLinear.from_float(nn.Linear(3, 2))
    with pytest.raises(TypeError, match="input dtype"):
        layer(rb.randn(2, 3, dtype=np.float64))
    with pytest.raises(ValueError, match="no Linear"):
        nn.quantize_linear_layers(nn.Sequential(nn.ReLU()))
    with pytest.raises(TypeError, match="itself a Linear"):
        nn.quantize_linear_layers(nn.Linear(3, 2))
