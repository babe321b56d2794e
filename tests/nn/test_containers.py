"""Sequential, ModuleList and ModuleDict."""

from collections import OrderedDict

import numpy as np
import pytest

import rosenblatt as rb
import rosenblatt.nn as nn


def test_sequential_indexing_slicing_and_forward():
    layers = [nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)]
    seq = nn.Sequential(*layers)
    assert len(seq) == 3 and list(seq) == layers
    assert seq[0] is layers[0] and seq[-1] is layers[2]
    head = seq[1:]
    assert isinstance(head, nn.Sequential) and list(head) == layers[1:]
    assert [n for n, _ in head.named_children()] == ["1", "2"]  # slices keep keys, as torch
    x = rb.randn(5, 3)
    np.testing.assert_allclose(seq(x).data, layers[2](layers[1](layers[0](x))).data)
    seq.append(nn.Tanh())
    assert len(seq) == 4 and isinstance(seq[3], nn.Tanh)
    seq[1] = nn.Sigmoid()
    assert isinstance(seq[1], nn.Sigmoid)
    del seq[1]
    assert [n for n, _ in seq.named_children()] == ["0", "1", "2"]
    with pytest.raises(IndexError, match="out of range"):
        seq[7]


def test_sequential_from_ordered_dict():
    seq = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 3)), ("act", nn.ReLU())]))
    assert list(seq.state_dict()) == ["fc.weight", "fc.bias"]
    assert seq.fc is seq[0]
    assert repr(seq) == ("Sequential(\n  (fc): Linear(in_features=2, out_features=3, bias=True)\n"
                         "  (act): ReLU()\n)")


def test_module_list():
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(ml) == 3
    assert [n for n, _ in ml.named_parameters()][:2] == ["0.weight", "0.bias"]
    ml.append(nn.ReLU())
    ml.insert(0, nn.Tanh())
    assert isinstance(ml[0], nn.Tanh) and isinstance(ml[-1], nn.ReLU)
    del ml[0]
    assert [n for n, _ in ml.named_children()] == ["0", "1", "2", "3"]
    assert isinstance(ml[1:3], nn.ModuleList) and len(ml[1:3]) == 2
    ml += [nn.Sigmoid()]
    assert len(ml) == 5
    with pytest.raises(NotImplementedError):
        ml(rb.ones(2))


def test_module_dict():
    md = nn.ModuleDict({"enc": nn.Linear(2, 3), "act": nn.ReLU()})
    assert list(md) == ["enc", "act"] and "enc" in md and len(md) == 2
    md["dec"] = nn.Linear(3, 2)
    assert list(md.keys()) == ["enc", "act", "dec"]
    assert [n for n, _ in md.named_parameters()] == ["enc.weight", "enc.bias", "dec.weight",
                                                     "dec.bias"]
    assert isinstance(md.pop("act"), nn.ReLU) and "act" not in md
    md.update([("extra", nn.Tanh())])
    assert list(md.values())[-1] is md["extra"]
    md.clear()
    assert len(md) == 0
