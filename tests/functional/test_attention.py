"""F.scaled_dot_product_attention against a float64 NumPy reference, PyTorch and gradcheck.

The reference materializes S = scale Q K^T + bias, P = softmax(S) (rows with
every key masked -> 0) and O = P V, with the gradients
dV = P^T dO, dP = dO V^T, dS = P (dP - rowsum(dP P)), dQ = scale dS K,
dK = scale dS^T Q.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import rosenblatt as rb
import rosenblatt.functional as F
from rosenblatt.autograd import gradcheck
from rosenblatt.functional.attention import composed_attention

ATOL = {np.float32: 1e-5, np.float64: 1e-11}


def reference(q, k, v, do, bias=None, causal=False, scale=None):
    """(O, dQ, dK, dV) in float64; bias additive, broadcast to (..., Tq, Tk)."""
    q, k, v, do = (np.asarray(a, np.float64) for a in (q, k, v, do))
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    tq, tk = q.shape[-2], k.shape[-2]
    s = scale * q @ np.swapaxes(k, -1, -2)
    if bias is not None:
        s = s + bias
    if causal:
        s = np.where(np.tri(tq, tk, dtype=bool), s, -np.inf)
    dead = np.isneginf(s).all(-1, keepdims=True)
    s = np.where(dead, 0, s)
    p = np.exp(s - s.max(-1, keepdims=True))
    p = np.where(dead, 0, p / p.sum(-1, keepdims=True))
    o = p @ v
    dv = np.swapaxes(p, -1, -2) @ do
    dp = do @ np.swapaxes(v, -1, -2)
    ds = p * (dp - (dp * p).sum(-1, keepdims=True))
    return o, scale * ds @ k, scale * np.swapaxes(ds, -1, -2) @ q, dv


def run(q, k, v, do, **kw):
    tensors = [rb.Tensor(a.copy(), requires_grad=True) for a in (q, k, v)]
    out = F.scaled_dot_product_attention(*tensors, **kw)
    out.backward(do)
    return (out.data,) + tuple(t.grad.data for t in tensors)


def inputs(shape_q, shape_k, dv, dtype, seed=0):
    rng = np.random.default_rng(seed)
    q = rng.standard_normal(shape_q).astype(dtype)
    k = rng.standard_normal(shape_k).astype(dtype)
    v = rng.standard_normal(shape_k[:-1] + (dv,)).astype(dtype)
    do = rng.standard_normal(shape_q[:-1] + (dv,)).astype(dtype)
    return q, k, v, do


def assert_close(got, expected, dtype, what=""):
    for name, a, b in zip(("output", "dQ", "dK", "dV"), got, expected):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=1e-4 if dtype == np.float32 else 1e-9,
                                   atol=ATOL[dtype], err_msg=f"{name} {what}")


@pytest.mark.parametrize("t", [1, 7, 64, 300])
@pytest.mark.parametrize("d", [8, 64])
@pytest.mark.parametrize("causal", [False, True])
def test_matches_reference(t, d, causal):
    q, k, v, do = inputs((2, 2, t, d), (2, 2, t, d), d, np.float32, seed=t + d)
    got = run(q, k, v, do, is_causal=causal)
    assert_close(got, reference(q, k, v, do, causal=causal), np.float32, f"T={t} D={d}")


@pytest.mark.parametrize("tq,tk", [(5, 9), (9, 5), (1, 70), (70, 1), (65, 130)])
@pytest.mark.parametrize("causal", [False, True])
def test_tq_differs_from_tk(tq, tk, causal):
    q, k, v, do = inputs((1, 3, tq, 8), (1, 3, tk, 8), 12, np.float32, seed=tq * tk)
    assert_close(run(q, k, v, do, is_causal=causal),
                 reference(q, k, v, do, causal=causal), np.float32, f"{tq}x{tk}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mask_shape", [(70, 90), (2, 1, 70, 90), (2, 3, 70, 90), (1, 3, 1, 90),
                                        (2, 1, 1, 90)])
def test_boolean_masks(dtype, mask_shape):
    q, k, v, do = inputs((2, 3, 70, 16), (2, 3, 90, 16), 16, dtype, seed=1)
    mask = np.random.default_rng(2).random(mask_shape) > 0.3
    mask[..., 0] = True  # every row keeps a key (fully masked rows are tested below)
    bias = np.where(mask, 0.0, -np.inf)
    assert_close(run(q, k, v, do, attn_mask=mask), reference(q, k, v, do, bias), dtype,
                 str(mask_shape))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_additive_mask_and_scale(dtype):
    q, k, v, do = inputs((2, 2, 33, 8), (2, 2, 47, 8), 8, dtype, seed=3)
    bias = np.random.default_rng(4).standard_normal((2, 1, 33, 47)).astype(dtype)
    bias[0, 0, :, 5:9] = -np.inf
    assert_close(run(q, k, v, do, attn_mask=bias, scale=0.3),
                 reference(q, k, v, do, bias, scale=0.3), dtype)


def test_fully_masked_rows_give_zeros():
    """A row whose keys are all masked: output 0 and no gradient (torch's math path: NaN)."""
    q, k, v, do = inputs((1, 2, 6, 8), (1, 2, 5, 8), 8, np.float32, seed=5)
    mask = np.ones((6, 5), bool)
    mask[2] = False
    got = run(q, k, v, do, attn_mask=mask)
    assert np.isfinite(np.concatenate([a.ravel() for a in got])).all()
    np.testing.assert_array_equal(got[0][:, :, 2], 0)
    np.testing.assert_array_equal(got[1][:, :, 2], 0)
    assert_close(got, reference(q, k, v, do, np.where(mask, 0.0, -np.inf)), np.float32)
    # a query against zero keys: every row is empty
    q, k, v, do = inputs((1, 1, 3, 4), (1, 1, 0, 4), 4, np.float32)
    np.testing.assert_array_equal(run(q, k, v, do)[0], np.zeros((1, 1, 3, 4)))


def test_matches_torch():
    torch = pytest.importorskip("torch")
    q, k, v, do = inputs((2, 4, 20, 16), (2, 4, 30, 16), 16, np.float32, seed=6)
    mask = np.random.default_rng(7).random((2, 1, 20, 30)) > 0.5
    for kw, tkw in [({"is_causal": True}, {"is_causal": True}),
                    ({"attn_mask": mask}, {"attn_mask": torch.tensor(mask)})]:
        got = run(q, k, v, do, **kw)
        tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
        out = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, **tkw)
        out.backward(torch.tensor(do))
        expected = [out.detach().numpy(), tq.grad.numpy(), tk.grad.numpy(), tv.grad.numpy()]
        assert_close(got, expected, np.float32, str(kw))


@pytest.mark.parametrize("causal", [False, True])
def test_gradcheck(causal):
    q, k, v, _ = inputs((1, 2, 5, 3), (1, 2, 4, 3), 2, np.float64, seed=8)
    mask = np.array([[True, True, False, True]] * 5)
    kw = {"is_causal": True} if causal else {"attn_mask": mask}
    assert gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, **kw),
                     [rb.Tensor(a, requires_grad=True) for a in (q, k, v)])


def test_float_mask_gradient_and_dropout():
    """A float mask that requires grad gets one; dropout (composed path) is seeded."""
    q, k, v, _ = inputs((1, 1, 3, 2), (1, 1, 4, 2), 2, np.float64, seed=9)
    bias = rb.Tensor(np.random.default_rng(10).standard_normal((3, 4)), requires_grad=True)
    tensors = [rb.Tensor(a, requires_grad=True) for a in (q, k, v)]
    assert gradcheck(lambda a, b, c, m: F.scaled_dot_product_attention(a, b, c, attn_mask=m),
                     tensors + [bias])
    x = [rb.Tensor(a) for a in inputs((1, 2, 8, 4), (1, 2, 8, 4), 4, np.float32)[:3]]
    rb.manual_seed(0)
    first = F.scaled_dot_product_attention(*x, dropout_p=0.5).data
    rb.manual_seed(0)
    np.testing.assert_array_equal(first, F.scaled_dot_product_attention(*x, dropout_p=0.5).data)
    assert not np.allclose(first, F.scaled_dot_product_attention(*x).data)


def test_composed_oracle_returns_probabilities():
    q, k, v, do = inputs((2, 5, 4), (2, 6, 4), 3, np.float64, seed=11)
    out, p = composed_attention(rb.Tensor(q), rb.Tensor(k), rb.Tensor(v), is_causal=True)
    np.testing.assert_allclose(p.data.sum(-1), 1.0)
    assert (np.triu(p.data[0], 1) == 0).all()
    np.testing.assert_allclose(out.data, reference(q, k, v, do, causal=True)[0], atol=1e-12)


def test_bad_input():
    x = rb.Tensor(np.zeros((2, 2, 4, 8), np.float32))
    sdpa = F.scaled_dot_product_attention
    with pytest.raises(ValueError, match="head dim"):
        sdpa(x, rb.Tensor(np.zeros((2, 2, 4, 6), np.float32)), x)
    with pytest.raises(ValueError, match="batch dims"):
        sdpa(x, rb.Tensor(np.zeros((3, 2, 4, 8), np.float32)), rb.Tensor(np.zeros((3, 2, 4, 8),
                                                                                  np.float32)))
    with pytest.raises(ValueError, match="key and value .* sequence length"):
        sdpa(x, x, rb.Tensor(np.zeros((2, 2, 5, 8), np.float32)))
    with pytest.raises(TypeError, match="dtype"):
        sdpa(x, x, rb.Tensor(np.zeros((2, 2, 4, 8))))
    with pytest.raises(ValueError, match="attn_mask of shape"):
        sdpa(x, x, x, attn_mask=np.ones((3, 4), bool))
    with pytest.raises(TypeError, match="attn_mask must be boolean"):
        sdpa(x, x, x, attn_mask=np.ones((4, 4), np.int64))
    with pytest.raises(TypeError, match="attn_mask must be boolean"):
        sdpa(x, x, x, attn_mask=np.ones((4, 4), np.float64))
    with pytest.raises(ValueError, match="is_causal"):
        sdpa(x, x, x, attn_mask=np.ones((4, 4), bool), is_causal=True)
    with pytest.raises(ValueError, match="dropout probability"):
        sdpa(x, x, x, dropout_p=1.5)
    with pytest.raises(ValueError, match="scale"):
        sdpa(x, x, x, scale=float("nan"))
    with pytest.raises(TypeError, match="query must be a Tensor"):
        sdpa(np.zeros((2, 4, 8)), x, x)


@pytest.mark.parametrize("lead,mask_shape", [((), (6, 9)), ((3,), (1, 9)), ((3,), (3, 6, 9)),
                                             ((2, 2, 3), (2, 1, 1, 6, 9)), ((2, 2, 3), (9,))])
def test_any_number_of_batch_dims(lead, mask_shape):
    q, k, v, do = inputs(lead + (6, 4), lead + (9, 4), 5, np.float64, seed=12)
    mask = np.random.default_rng(13).random(mask_shape) > 0.4
    mask[..., 0] = True
    assert_close(run(q, k, v, do, attn_mask=mask),
                 reference(q, k, v, do, np.where(mask, 0.0, -np.inf)), np.float64)


def test_native_path_equals_composed_oracle():
    """The flash kernel and the materialized composition agree, outputs and gradients."""
    q, k, v, do = inputs((2, 3, 40, 16), (2, 3, 50, 16), 16, np.float32, seed=14)
    mask = np.random.default_rng(15).random((2, 1, 40, 50)) > 0.2
    native = run(q, k, v, do, attn_mask=mask)
    tensors = [rb.Tensor(a.copy(), requires_grad=True) for a in (q, k, v)]
    out, _ = composed_attention(*tensors, np.where(mask, 0, -np.inf).astype(np.float32))
    out.backward(do)
    assert_close(native, (out.data,) + tuple(t.grad.data for t in tensors), np.float32)


@pytest.mark.parametrize("tq", [1, 4, 5])
@pytest.mark.parametrize("is_causal", [False, True])
def test_few_queries_composed_path_equals_the_kernel(tq, is_causal):
    # Up to FEW_QUERIES query rows (a cached decoding step) attention runs
    # composed; it must give what the flash kernel gives.
    from rosenblatt import kernels

    rng = np.random.default_rng(5)
    q, k, v = (rng.standard_normal(s).astype(np.float32)
               for s in ((2, 3, tq, 16), (2, 3, 37, 16), (2, 3, 37, 8)))
    ours = F.scaled_dot_product_attention(rb.Tensor(q), rb.Tensor(k), rb.Tensor(v),
                                          is_causal=is_causal)
    kernel_out, _ = kernels.attention_forward(q, k, v, is_causal=is_causal)
    np.testing.assert_allclose(ours.data, kernel_out, rtol=1e-5, atol=1e-6)
