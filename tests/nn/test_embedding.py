"""Embedding and F.embedding: lookup, scattered gradients, padding_idx, id checks, torch parity."""

import numpy as np
import pytest

import rosenblatt as rb
import rosenblatt.functional as F
import rosenblatt.nn as nn
from rosenblatt.autograd import gradcheck


def test_lookup_and_gradient_sum_repeated_ids():
    weight = rb.Tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    ids = np.array([[1, 3], [1, 1]])
    out = F.embedding(ids, weight)
    assert out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.data, weight.data[ids])
    g = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(g)
    expected = np.zeros((4, 3))
    for (i, j), row in np.ndenumerate(ids):
        expected[row] += g[i, j]
    np.testing.assert_allclose(weight.grad.data, expected)
    assert not weight.grad.data[[0, 2]].any()


def test_padding_row_is_zero_and_gets_no_gradient():
    rb.manual_seed(0)
    emb = nn.Embedding(5, 3, padding_idx=-1)
    assert emb.padding_idx == 4
    assert not emb.weight.data[4].any() and emb.weight.data[:4].all()
    out = emb(np.array([4, 0, 4, 2]))
    assert not out.data[[0, 2]].any()
    out.sum().backward()
    assert not emb.weight.grad.data[4].any()
    np.testing.assert_array_equal(emb.weight.grad.data[[0, 2]], 1.0)


def test_gradcheck():
    weight = rb.Tensor(np.random.default_rng(1).standard_normal((6, 2)), requires_grad=True)
    ids = np.array([0, 5, 5, 2, 0])
    assert gradcheck(lambda w: F.embedding(ids, w), [weight])  # padding_idx departs on purpose


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_torch_with_its_weights(dtype):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Embedding(7, 4, padding_idx=1, dtype=torch.from_numpy(np.zeros(1, dtype)).dtype)
    ours = nn.Embedding(7, 4, padding_idx=1, dtype=dtype)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    ids = np.array([[1, 2, 6], [0, 1, 2]])
    yo, yt = ours(rb.Tensor(ids)), theirs(torch.from_numpy(ids))
    np.testing.assert_array_equal(yo.data, yt.detach().numpy())
    g = np.random.default_rng(2).standard_normal(yo.shape).astype(dtype)
    yo.backward(g)
    yt.backward(torch.from_numpy(g))
    np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), rtol=1e-6)
    assert repr(ours) == repr(theirs)


def test_from_pretrained_copies_and_freezes():
    table = np.eye(3, dtype=np.float32)
    emb = nn.Embedding.from_pretrained(table)
    assert not emb.weight.requires_grad and emb.weight.dtype == np.float32
    table[0, 0] = 5.0
    assert emb.weight.data[0, 0] == 1.0
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
    with pytest.raises(ValueError, match="must be 2-D"):
        nn.Embedding.from_pretrained(np.zeros(3))


def test_bad_ids_and_arguments():
    emb = nn.Embedding(4, 2)
    with pytest.raises(IndexError, match="token id 4 is out of range .* 4 rows"):
        emb(np.array([0, 4]))
    with pytest.raises(IndexError, match="token id -1"):
        emb(np.array([-1]))
    with pytest.raises(TypeError, match="integer token ids, got dtype float"):
        emb(np.array([0.0, 1.0]))
    with pytest.raises(TypeError, match="integer token ids, got dtype bool"):
        emb(np.array([True]))
    with pytest.raises(ValueError, match="padding_idx 4"):
        nn.Embedding(4, 2, padding_idx=4)
    with pytest.raises(ValueError, match="must be >= 1"):
        nn.Embedding(0, 2)
