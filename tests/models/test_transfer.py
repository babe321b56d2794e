"""Transfer learning: freezing, a new head, per-group learning rates; a frozen backbone
does not change while the head trains."""

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt import nn
from rosenblatt.models import MLPClassifier
from rosenblatt.models.transfer import (
    freeze,
    param_groups,
    replace_head,
    trainable_parameters,
    unfreeze,
)


def snapshot(module):
    return {name: p.data.copy() for name, p in module.named_parameters()}


def digits_batches(batches=20, seed=0):
    from rosenblatt.models.commands import prepared_split

    X_train, _, y_train, _ = prepared_split("digits")
    rng = np.random.default_rng(seed)
    for _ in range(batches):
        rows = rng.integers(0, len(X_train), 32)
        yield rb.Tensor(X_train[rows]), y_train[rows]


def train(model, optimizer, batches):
    for x, y in batches:
        optimizer.zero_grad()
        model.loss(model(x), y).backward()
        optimizer.step()


@pytest.mark.parametrize("optimizer_params", ["all", "trainable"])
def test_frozen_backbone_does_not_change_while_the_head_trains(optimizer_params):
    rb.manual_seed(0)
    model = MLPClassifier(64, (32, 16), 10)
    old_head = replace_head(model, num_classes=4)
    assert isinstance(old_head, nn.Linear) and old_head.out_features == 10
    assert model.layers[-1].out_features == 4 and model.num_classes == 4
    freeze(model)
    unfreeze(model.layers[-1])
    head_params = list(model.layers[-1].parameters())
    assert trainable_parameters(model) == head_params
    params = model.parameters() if optimizer_params == "all" else trainable_parameters(model)
    # weight decay and momentum must not move a frozen parameter either
    optimizer = rb.optim.AdamW(params, lr=1e-2, weight_decay=0.1)
    before = snapshot(model)
    train(model, optimizer, ((x, y % 4) for x, y in digits_batches()))
    after = snapshot(model)
    for name in before:
        if name.startswith("layers.4."):
            assert not np.array_equal(before[name], after[name]), f"{name} did not train"
        else:
            np.testing.assert_array_equal(before[name], after[name], err_msg=name)
    assert all(p.grad is None for p in model.parameters() if not p.requires_grad)


def test_per_group_learning_rates():
    rb.manual_seed(0)
    model = MLPClassifier(64, (32,), 10)
    groups = param_groups(model, {"layers.2": 1e-2, "layers.0.bias": 0.0}, default_lr=1e-3)
    assert [g["lr"] for g in groups] == [1e-2, 0.0, 1e-3]
    assert groups[0]["params"] == list(model.layers[2].parameters())
    assert groups[1]["params"] == [model.layers[0].bias]
    assert groups[2]["params"] == [model.layers[0].weight]
    optimizer = rb.optim.SGD(groups, lr=0.5)
    assert [g["lr"] for g in optimizer.param_groups] == [1e-2, 0.0, 1e-3]
    bias = model.layers[0].bias.data.copy()
    weight = model.layers[0].weight.data.copy()
    # one SGD step moves each group by its own rate times the gradient
    x, y = next(digits_batches(1))
    optimizer.zero_grad()
    model.loss(model(x), y).backward()
    grad = model.layers[0].weight.grad.data.copy()
    optimizer.step()
    np.testing.assert_array_equal(model.layers[0].bias.data, bias)
    np.testing.assert_allclose(model.layers[0].weight.data, weight - 1e-3 * grad, rtol=1e-6)
    # without default_lr the rest takes the optimizer's default; frozen parameters are left out
    freeze(model.layers[0])
    groups = param_groups(model, {"layers.2": 1e-2})
    assert len(groups) == 1
    assert len(param_groups(model, {"layers.2": 1e-2}, trainable_only=False)) == 2


def test_replace_head_with_a_module_and_by_name():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 2)))
    freeze(model)
    old = replace_head(model, nn.Linear(3, 5), name="2.0")
    assert old.out_features == 2 and model[2][0].out_features == 5
    assert trainable_parameters(model) == list(model[2][0].parameters())
    assert model(rb.Tensor(np.ones((1, 4), np.float32))).shape == (1, 5)
    replace_head(model, num_classes=7)  # the last Linear
    assert model[2][0].out_features == 7


@pytest.mark.parametrize("call, error, message", [
    (lambda m: replace_head(m), ValueError, "exactly one of head= and num_classes="),
    (lambda m: replace_head(m, nn.ReLU(), num_classes=3), ValueError, "exactly one"),
    (lambda m: replace_head(m, "fc"), TypeError, "head must be a Module"),
    (lambda m: replace_head(m, num_classes=0), ValueError, "num_classes must be an int >= 1"),
    (lambda m: replace_head(m, num_classes=3, name="layers.9"), ValueError, "no submodule 'layers.9'"),
    (lambda m: replace_head(m, num_classes=3, name="layers.1"), ValueError, "is a ReLU; pass head="),
    (lambda m: replace_head(nn.ReLU(), num_classes=3), ValueError, "has no Linear submodule"),
    (lambda m: param_groups(m, {"layer": 1e-2}), ValueError, r"no trainable parameters under \['layer'\]"),
    (lambda m: param_groups(m, {"layers.0": -1.0}), ValueError, "must be a finite number >= 0"),
    (lambda m: param_groups(m, {}, default_lr=float("nan")), ValueError, "'default_lr'"),
    (lambda m: param_groups(m, [1e-2]), TypeError, "must be a mapping"),
    (lambda m: freeze(3), TypeError, "expected a Module, a Parameter"),
    (lambda m: freeze([m, "x"]), TypeError, "expected Modules or Parameters"),
])
def test_bad_arguments(call, error, message):
    model = MLPClassifier(8, (4,), 3)
    with pytest.raises(error, match=message):
        call(model)
