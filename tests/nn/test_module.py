"""Module API: registration, traversal order, modes, zero_grad, apply, to, repr."""

import numpy as np
import pytest

import rosenblatt as rb
import rosenblatt.nn as nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.bn = nn.BatchNorm1d(4)
        self.scale = nn.Parameter(np.ones(1, np.float32))
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        return self.drop(self.bn(self.fc(x))) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(4, 2))
        self.tied = self.head[1]  # the same module under two names

    def forward(self, x):
        return self.head(self.block(x))


def test_named_parameters_order_prefixes_and_no_duplicates():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    # a module's own parameters come before its children's, as in torch
    assert names == ["block.scale", "block.fc.weight", "block.fc.bias", "block.bn.weight",
                     "block.bn.bias", "head.1.weight", "head.1.bias"]
    assert len(list(net.parameters())) == 7
    assert [n for n, _ in net.named_parameters(prefix="m")][1] == "m.block.fc.weight"
    assert [n for n, _ in net.block.named_parameters(recurse=False)] == ["scale"]
    assert net.num_parameters() == 3 * 4 + 4 + 4 + 4 + 1 + 4 * 2 + 2
    assert [n for n, _ in net.named_buffers()] == [
        "block.bn.running_mean", "block.bn.running_var", "block.bn.num_batches_tracked"]
    # state_dict keeps a shared module under every name, as torch
    assert "tied.weight" in net.state_dict() and "head.1.weight" in net.state_dict()


def test_modules_and_children():
    net = Net()
    assert [n for n, _ in net.named_children()] == ["block", "head", "tied"]
    # tied is head.1 again: named_modules lists each module once
    assert [n for n, _ in net.named_modules()] == [
        "", "block", "block.fc", "block.bn", "block.drop", "head", "head.0", "head.1"]
    assert list(net.modules())[0] is net
    assert net.get_submodule("head.1") is net.tied
    with pytest.raises(AttributeError, match="no submodule 'x'"):
        net.get_submodule("head.x")


def test_train_eval_propagate():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.block.train()
    assert net.block.bn.training and not net.training and not net.head.training
    with pytest.raises(ValueError, match="bool"):
        net.train("no")


def test_forward_backward_zero_grad_and_requires_grad():
    net = Net()
    net(rb.randn(5, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.data.any() for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    assert not net(rb.randn(5, 3)).requires_grad


def test_apply_visits_children_first():
    seen = []
    net = Net()
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "BatchNorm1d", "Dropout", "Block", "ReLU", "Linear", "Sequential",
                    "Linear", "Net"]

    def init_linear(m):
        if isinstance(m, nn.Linear):
            nn.init.zeros_(m.weight)

    net.apply(init_linear)
    assert not net.block.fc.weight.data.any() and not net.head[1].weight.data.any()


def test_setattr_registration_rules():
    m = nn.Module()
    m.w = nn.Parameter(np.zeros(2))
    m.sub = nn.Linear(2, 2)
    m.plain = 3
    assert [n for n, _ in m.named_parameters()] == ["w", "sub.weight", "sub.bias"]
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'w'"):
        m.w = rb.zeros(2)
    with pytest.raises(TypeError, match="child module 'sub'"):
        m.sub = 5
    m.w = None
    assert [n for n, _ in m.named_parameters()] == ["sub.weight", "sub.bias"]
    del m.sub
    assert list(m.parameters()) == [] and not hasattr(m, "sub")
    m.register_buffer("stat", rb.zeros(1))
    with pytest.raises(TypeError, match="buffer 'stat'"):
        m.stat = np.zeros(1)
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("plain", rb.zeros(1))
    with pytest.raises(KeyError, match="contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(AttributeError, match="has no attribute 'missing'"):
        m.missing  # noqa: B018

    class Forgot(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Forgot()
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)


def test_to_dtype_keeps_parameter_objects():
    net = Net()
    weight = net.block.fc.weight
    net(rb.randn(4, 3)).sum().backward()
    assert net.to(rb.float64) is net
    assert net.block.fc.weight is weight and weight.dtype == np.float64
    assert weight.grad.dtype == np.float64
    assert net.block.bn.running_var.dtype == np.float64
    assert net.block.bn.num_batches_tracked.dtype == np.int64
    assert net(rb.randn(4, 3, dtype="float64")).dtype == np.float64
    net.float()
    assert weight.dtype == np.float32 and weight.data.flags.c_contiguous
    assert net.to("cpu") is net
    with pytest.raises(ValueError, match="unknown device"):
        net.to("tpu:0")
    with pytest.raises(TypeError, match="floating-point"):
        net.to(dtype=np.int32)


def test_repr_snapshot():
    net = Net()
    assert repr(net) == """Net(
  (block): Block(
    (fc): Linear(in_features=3, out_features=4, bias=True)
    (bn): BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    (drop): Dropout(p=0.1)
  )
  (head): Sequential(
    (0): ReLU()
    (1): Linear(in_features=4, out_features=2, bias=True)
  )
  (tied): Linear(in_features=4, out_features=2, bias=True)
)"""
    assert repr(nn.LayerNorm((2, 3), bias=False)) == (
        "LayerNorm((2, 3), eps=1e-05, elementwise_affine=True, bias=False)")
    assert repr(nn.PReLU(3)) == "PReLU(num_parameters=3)"


def test_repr_matches_torch():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.GELU(), nn.LayerNorm(4),
                         nn.Flatten(), nn.Sequential(nn.Identity(), nn.Softmax(dim=1)))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.GELU(),
                                 torch.nn.LayerNorm(4), torch.nn.Flatten(),
                                 torch.nn.Sequential(torch.nn.Identity(), torch.nn.Softmax(dim=1)))
    assert repr(ours) == repr(theirs)


def test_init_is_repeatable_under_manual_seed():
    rb.manual_seed(42)
    a = Net().state_dict()
    rb.manual_seed(42)
    b = Net().state_dict()
    for key in a:
        np.testing.assert_array_equal(a[key].data, b[key].data)
    assert not np.array_equal(a["block.fc.weight"].data, Net().block.fc.weight.data)


def test_nn_utils_reexports_gradient_clipping():
    from rosenblatt.optim import clip

    assert nn.utils.clip_grad_norm_ is clip.clip_grad_norm_
    assert nn.utils.clip_grad_value_ is clip.clip_grad_value_
    net = Net()
    net(rb.randn(4, 3)).sum().backward()
    nn.utils.clip_grad_value_(net.parameters(), 1e-3)
    assert max(np.abs(p.grad.data).max() for p in net.parameters()) <= 1e-3
    with pytest.raises(AttributeError, match="no attribute 'clip_grad'"):
        nn.utils.clip_grad  # noqa: B018


def test_deepcopy_is_independent():
    import copy

    net = Net()
    twin = copy.deepcopy(net)
    assert [n for n, _ in twin.named_parameters()] == [n for n, _ in net.named_parameters()]
    assert twin.block.fc.weight.data is not net.block.fc.weight.data
    np.testing.assert_array_equal(twin.block.fc.weight.data, net.block.fc.weight.data)
    assert twin.tied is twin.head[1]  # sharing survives the copy
