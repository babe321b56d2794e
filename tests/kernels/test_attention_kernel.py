"""The flash attention kernel (rb.kernels.attention_forward / attention_backward).

The oracle is the materialized softmax(scale Q K^T + bias) V of
rosenblatt.functional.attention.composed_attention run in float64, with its
gradients from autograd; lse is checked against a NumPy logsumexp. Every
compiled SIMD path this CPU supports runs (their tile widths differ).
"""

from __future__ import annotations

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt import _C, kernels
from rosenblatt.functional.attention import causal_bias, composed_attention

TOL = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-10, atol=1e-11)}


@pytest.fixture(params=_C.supported_isas())
def isa(request):
    previous = _C.get_isa()
    _C.set_isa(request.param)
    yield request.param
    _C.set_isa(previous)


def oracle(q, k, v, do, bias=None, key_bias=None, causal=False, scale=None):
    """(out, lse, dq, dk, dv) in float64 from the composed (materialized) attention."""
    t = [rb.Tensor(a.astype(np.float64), requires_grad=True) for a in (q, k, v)]
    b64 = None if bias is None else bias.astype(np.float64)
    kb64 = None if key_bias is None else key_bias.astype(np.float64)
    out, _ = composed_attention(*t, b64, kb64, causal, scale)
    out.backward(do.astype(np.float64))
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    s = scale * q.astype(np.float64) @ np.swapaxes(k.astype(np.float64), -1, -2)
    s = s + (0 if b64 is None else b64) + (0 if kb64 is None else kb64[:, None, None, :])
    if causal:
        s = s + causal_bias(q.shape[-2], k.shape[-2], np.dtype(np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        m = s.max(-1, keepdims=True) if s.shape[-1] else np.full(s.shape[:-1] + (1,), -np.inf)
        lse = (m + np.log(np.exp(s - np.where(np.isneginf(m), 0, m)).sum(-1, keepdims=True)))[..., 0]
    lse = np.where(np.isneginf(lse), np.inf, lse)
    return (out.data, lse) + tuple(x.grad.data for x in t)


def check(q, k, v, dtype, *, bias=None, key_bias=None, causal=False, scale=None, seed=0):
    do = np.random.default_rng(seed).standard_normal(q.shape[:-1] + (v.shape[-1],)).astype(dtype)
    kw = dict(attn_bias=bias, key_bias=key_bias, is_causal=causal, scale=scale)
    out, lse = kernels.attention_forward(q, k, v, **kw)
    grads = kernels.attention_backward(q, k, v, out, lse, do, **kw)
    expected = oracle(q, k, v, do, bias, key_bias, causal, scale)
    for name, got, want in zip(("out", "lse", "dq", "dk", "dv"), (out, lse) + grads, expected):
        assert got.dtype == dtype and got.shape == want.shape, name
        # absolute tolerance relative to the array's scale: a gradient entry is a sum of
        # Tk terms of that scale, and float32 (torch's SDPA too) rounds them alike
        finite = want[np.isfinite(want)]
        magnitude = max(1.0, float(np.abs(finite).max())) if finite.size else 1.0
        tol = dict(TOL[dtype], atol=TOL[dtype]["atol"] * magnitude)
        np.testing.assert_allclose(got, want, **tol, err_msg=name)


def qkv(b, h, tq, tk, d, dv, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((b, h, tq, d)).astype(dtype),
            rng.standard_normal((b, h, tk, d)).astype(dtype),
            rng.standard_normal((b, h, tk, dv)).astype(dtype))


@pytest.mark.parametrize("t", [1, 7, 64, 300])
@pytest.mark.parametrize("d", [8, 64])
@pytest.mark.parametrize("causal", [False, True])
def test_matches_materialized_attention(isa, t, d, causal):
    check(*qkv(1, 2, t, t, d, d, np.float32, seed=t), np.float32, causal=causal)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("tq,tk,d,dv", [(5, 9, 3, 5), (9, 5, 17, 2), (1, 129, 8, 8),
                                        (129, 1, 8, 8), (100, 260, 33, 65)])
@pytest.mark.parametrize("causal", [False, True])
def test_shapes_tq_tk_d_dv(isa, dtype, tq, tk, d, dv, causal):
    check(*qkv(2, 1, tq, tk, d, dv, dtype, seed=tq + tk), dtype, causal=causal, scale=0.7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_broadcast_bias_key_bias_and_strided_inputs(dtype):
    rng = np.random.default_rng(1)
    # (B, T, H, D) projections viewed as (B, H, T, D): strided, not copied
    q = rng.standard_normal((2, 40, 3, 16)).astype(dtype).transpose(0, 2, 1, 3)
    k = rng.standard_normal((2, 50, 3, 16)).astype(dtype).transpose(0, 2, 1, 3)
    v = rng.standard_normal((2, 50, 3, 8)).astype(dtype).transpose(0, 2, 1, 3)
    for shape in [(1, 1, 40, 50), (2, 1, 1, 50), (1, 3, 40, 1), (2, 3, 40, 50)]:
        bias = rng.standard_normal(shape).astype(dtype)
        check(q, k, v, dtype, bias=bias)
    key_bias = np.where(rng.random((2, 50)) < 0.3, -np.inf, 0).astype(dtype)
    key_bias[:, 0] = 0
    check(q, k, v, dtype, key_bias=key_bias, causal=True)
    transposed_bias = rng.standard_normal((1, 1, 50, 40)).astype(dtype).swapaxes(-1, -2)
    check(q, k, v, dtype, bias=transposed_bias, key_bias=key_bias)


def test_fully_masked_rows_and_empty_sizes():
    q, k, v = qkv(1, 2, 6, 5, 4, 3, np.float32)
    bias = np.zeros((1, 1, 6, 5), np.float32)
    bias[..., 2, :] = -np.inf
    out, lse = kernels.attention_forward(q, k, v, attn_bias=bias)
    assert (out[:, :, 2] == 0).all() and np.isposinf(lse[:, :, 2]).all()
    dq, dk, dv = kernels.attention_backward(q, k, v, out, lse, np.ones_like(out), attn_bias=bias)
    assert (dq[:, :, 2] == 0).all() and np.isfinite(dk).all() and np.isfinite(dv).all()
    check(q, k, v, np.float32, bias=bias)
    out, lse = kernels.attention_forward(*qkv(1, 1, 3, 0, 4, 2, np.float32))  # no keys
    assert out.shape == (1, 1, 3, 2) and (out == 0).all() and np.isposinf(lse).all()
    for shape in [(0, 2, 3, 0, 4, 2), (1, 1, 0, 5, 4, 2), (2, 0, 3, 3, 4, 4)]:
        out, lse = kernels.attention_forward(*qkv(*shape, np.float32))
        assert out.shape == shape[:3] + shape[5:]


def test_threads_give_identical_results():
    q, k, v = qkv(2, 3, 70, 90, 16, 16, np.float32)
    do = np.ones((2, 3, 70, 16), np.float32)
    previous = rb.get_num_threads()
    results = []
    for n in (1, 2):
        rb.set_num_threads(n)
        out, lse = kernels.attention_forward(q, k, v, is_causal=True)
        results.append((out, lse) + kernels.attention_backward(q, k, v, out, lse, do,
                                                               is_causal=True))
    rb.set_num_threads(previous)
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_bad_input():
    q, k, v = qkv(2, 2, 4, 5, 8, 8, np.float32)
    f = kernels.attention_forward
    with pytest.raises(ValueError, match="query must be 4-D"):
        f(q[0], k, v)
    with pytest.raises(TypeError, match="key must have the dtype of query"):
        f(q, k.astype(np.float64), v)
    with pytest.raises(TypeError, match="value must have dtype float32 or float64"):
        f(q, k, v.astype(np.int32))
    with pytest.raises(ValueError, match="batch dims"):
        f(q, k[:1], v[:1])
    with pytest.raises(ValueError, match="head dim"):
        f(q, k[..., :4], v)
    with pytest.raises(ValueError, match="sequence length"):
        f(q, k, v[:, :, :3])
    with pytest.raises(ValueError, match="attn_bias of shape"):
        f(q, k, v, attn_bias=np.zeros((1, 1, 4, 4), np.float32))
    with pytest.raises(ValueError, match="key_bias must have shape"):
        f(q, k, v, key_bias=np.zeros((2, 4), np.float32))
    with pytest.raises(TypeError, match="attn_bias must have the dtype of query"):
        f(q, k, v, attn_bias=np.zeros((1, 1, 4, 5)))
    with pytest.raises(ValueError, match="scale must be finite"):
        f(q, k, v, scale=float("inf"))
    with pytest.raises(TypeError, match="is_causal must be a bool"):
        f(q, k, v, is_causal=1)
    out, lse = f(q, k, v)
    with pytest.raises(ValueError, match="lse must have shape"):
        kernels.attention_backward(q, k, v, out, lse[:, :, :2], out)
    with pytest.raises(ValueError, match="grad_out must have shape"):
        kernels.attention_backward(q, k, v, out, lse, out[..., :4])


def test_scratch_memory_is_linear_in_the_sequence_length():
    """The kernels' scratch (per thread: tiles, packed K/V, dK/dV accumulators) is O(T D),
    never O(T^2): T grown 8x grows it at most 8x (T^2 would be 64x), and at T = 4096 it is
    below a single head's T x T float32 score matrix."""
    for backward in (False, True):
        small, large = (_C.attention_scratch_bytes(backward, t, 64, 64, 4, 2) for t in (512, 4096))
        assert large <= 8 * small
        assert large < 4096 * 4096 * 4
