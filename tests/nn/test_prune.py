"""Magnitude pruning: which entries go, per layer and globally, and masks kept through fine-tuning."""

import numpy as np
import pytest
from compression_helpers import accuracy, digits_mlp, digits_split, train

import rosenblatt as rb
from rosenblatt import nn
from rosenblatt.nn import prune


def test_per_layer_pruning_zeroes_the_smallest_magnitudes_of_each_weight():
    rb.manual_seed(0)
    model = digits_mlp(16)
    weights = {n: m.weight.data.copy() for n, m in model.named_modules() if isinstance(m, nn.Linear)}
    assert prune.magnitude_prune(model, 0.3, scope="layer") == ["0", "2", "4"]
    for name, original in weights.items():
        module = model.get_submodule(name)
        assert type(module).__name__ == "PrunedLinear" and isinstance(module, nn.Linear)
        k = int(round(0.3 * original.size))
        # reference: the k smallest |w| of this layer are exactly the masked ones
        threshold = np.sort(np.abs(original).ravel())[k - 1]
        mask = module.weight_mask.data
        assert int((mask == 0).sum()) == k
        assert np.abs(original[mask == 0]).max() <= threshold <= np.abs(original[mask == 1]).min()
        np.testing.assert_array_equal(module.weight.data, original * mask)
    assert prune.sparsity(model) == pytest.approx(
        sum(round(0.3 * w.size) for w in weights.values()) / sum(w.size for w in weights.values()))


def test_global_pruning_uses_one_threshold_across_layers():
    rb.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 20), nn.Linear(20, 20))
    model[1].weight.data *= 10  # the second layer's weights are much larger
    pairs = [(model[0], "weight"), (model[1], "weight")]
    originals = [np.abs(m.weight.data) for m, _ in pairs]
    prune.global_unstructured(pairs, amount=0.5)
    masks = [m.weight_mask.data for m, _ in pairs]
    assert sum(int((mask == 0).sum()) for mask in masks) == 400
    kept = min(w[mask == 1].min() for w, mask in zip(originals, masks))
    dropped = max(w[mask == 0].max() if (mask == 0).any() else 0
                  for w, mask in zip(originals, masks))
    values = np.concatenate([w.ravel() for w in originals])
    assert dropped <= kept and dropped == np.sort(values)[399]
    assert (masks[0] == 0).mean() > 0.9 and (masks[1] == 0).mean() < 0.1


def test_iterative_pruning_takes_the_amount_of_what_remains_and_counts_work():
    rb.manual_seed(0)
    layer = nn.Linear(10, 10)
    prune.l1_unstructured(layer, amount=0.5)
    prune.l1_unstructured(layer, amount=0.5)
    assert int((layer.weight_mask.data == 0).sum()) == 75
    prune.l1_unstructured(layer, amount=5)
    assert int((layer.weight.data == 0).sum()) == 80


def test_masks_survive_fine_tuning_and_remove_makes_them_permanent():
    X_train, X_test, y_train, y_test = digits_split()
    rb.manual_seed(0)
    model = train(digits_mlp(), X_train, y_train, epochs=8)
    dense = accuracy(model, X_test, y_test)
    prune.magnitude_prune(model, 0.8, scope="global")
    masks = {n: m.weight_mask.data.copy() for n, m in model.named_modules()
             if isinstance(m, nn.Linear)}
    assert prune.sparsity(model) == pytest.approx(0.8, abs=1e-3)
    # Adam with an L2 penalty would move every weight; the masked ones must stay at zero
    train(model, X_train, y_train, epochs=3, lr=1e-3, weight_decay=1e-3)
    for name, mask in masks.items():
        module = model.get_submodule(name)
        np.testing.assert_array_equal(module.weight_mask.data, mask)
        assert not module.weight.data[mask == 0].any()
    assert prune.sparsity(model) == pytest.approx(0.8, abs=1e-3)
    pruned = accuracy(model, X_test, y_test)
    print(f"dense {dense:.4f}, 80% pruned and fine-tuned {pruned:.4f}")
    assert pruned > dense - 0.03
    for name in masks:
        prune.remove(model.get_submodule(name))
    assert not prune.is_pruned(model)
    assert type(model[0]) is nn.Linear and isinstance(model[0].weight, nn.Parameter)
    assert sorted(model.state_dict()) == ["0.bias", "0.weight", "2.bias", "2.weight", "4.bias",
                                          "4.weight"]
    assert prune.sparsity(model) == pytest.approx(0.8, abs=1e-3)
    assert accuracy(model, X_test, y_test) == pruned


def test_pruned_state_dict_round_trips():
    rb.manual_seed(0)
    a, b = nn.Linear(6, 4), nn.Linear(6, 4)
    prune.l1_unstructured(a, amount=0.5)
    prune.l1_unstructured(b, amount=0.25)
    b.load_state_dict(a.state_dict())
    x = rb.randn(3, 6)
    np.testing.assert_array_equal(a(x).data, b(x).data)


def test_bad_arguments_raise_naming_them():
    layer = nn.Linear(4, 4)
    with pytest.raises(ValueError, match="amount must be a fraction"):
        prune.l1_unstructured(layer, amount=1.5)
    with pytest.raises(ValueError, match="amount=17"):
        prune.l1_unstructured(layer, amount=17)
    with pytest.raises(TypeError, match="amount"):
        prune.l1_unstructured(layer, amount="half")
    with pytest.raises(ValueError, match="no parameter named 'kernel'"):
        prune.l1_unstructured(layer, "kernel")
    with pytest.raises(ValueError, match="scope"):
        prune.magnitude_prune(nn.Sequential(layer), scope="row")
    with pytest.raises(ValueError, match="no Linear"):
        prune.magnitude_prune(nn.Sequential(nn.ReLU()))
    with pytest.raises(ValueError, match="is not pruned"):
        prune.remove(layer)
    with pytest.raises(ValueError, match="empty"):
        prune.global_unstructured([])
