r"""Scaled dot-product attention.

For queries Q (..., Tq, D), keys K (..., Tk, D) and values V (..., Tk, Dv)::

    S = scale * Q K^T + bias          (bias: the masks, additive; -inf = masked)
    P = softmax(S) along the keys
    O = P V                           (..., Tq, Dv)

``scale`` defaults to 1 / sqrt(D). Masks follow torch: a boolean
``attn_mask`` is True where a query may attend to a key (False -> -inf), a
float one is added to S; ``is_causal`` is torch's top-left aligned causal mask
(query i sees keys j <= i; ``tril(ones(Tq, Tk))``).

A query row whose keys are all masked has no softmax (0 / 0). Here it
deliberately gives an output row of **zeros** and zero gradients (torch's math
path gives NaN); both paths below agree on that.

Two implementations:

- the native flash kernel (:mod:`rosenblatt.kernels.attention`), tiled with an
  online softmax so that no Tq x Tk matrix is ever allocated, used whenever
  there is no dropout and the mask needs no gradient;
- :func:`composed_attention`, written from matmul / softmax / dropout, which
  materializes P: the fallback for dropout, the path that can return the
  attention weights (``nn.MultiheadAttention(need_weights=True)``), the path
  of a few queries (Tq <= FEW_QUERIES, a decoding step against a KV cache:
  P is then only Tq x Tk, and the kernel's per-head packing of K and V would
  cost three times the products themselves), and the oracle the native
  kernel is tested against.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from rosenblatt import kernels
from rosenblatt.autograd import Function
from rosenblatt.functional.activation import softmax
from rosenblatt.functional.dropout import check_probability, dropout
from rosenblatt.functional.elementwise import where
from rosenblatt.functional.linalg import matmul
from rosenblatt.tensor import Tensor


# Up to this many query rows, attention runs composed (see the module docstring).
FEW_QUERIES = 4


def _check_qkv(query, key, value, op: str) -> None:
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
        if t.dtype not in (np.float32, np.float64):
            raise TypeError(f"{op}: {name} must be float32 or float64, got {t.dtype}")
        if t.ndim < 2:
            raise ValueError(f"{op}: {name} must have shape (..., T, D) with at least 2 "
                             f"dimensions, got shape {t.shape}")
    if not query.dtype == key.dtype == value.dtype:
        raise TypeError(f"{op}: query, key and value must have one dtype, got {query.dtype}, "
                        f"{key.dtype} and {value.dtype}")
    if not query.ndim == key.ndim == value.ndim:
        raise ValueError(f"{op}: query, key and value must have the same number of dimensions, "
                         f"got shapes {query.shape}, {key.shape} and {value.shape}")
    if not query.shape[:-2] == key.shape[:-2] == value.shape[:-2]:
        raise ValueError(f"{op}: the batch dims of query {query.shape[:-2]}, key "
                         f"{key.shape[:-2]} and value {value.shape[:-2]} must be equal")
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(f"{op}: query and key must have the same head dim (last dimension), "
                         f"got query {query.shape} and key {key.shape}")
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(f"{op}: key and value must have the same sequence length (dimension "
                         f"-2), got key {key.shape} and value {value.shape}")


def _check_scale(scale, head_dim: int, op: str) -> float:
    if scale is None:
        return 1.0 / math.sqrt(head_dim) if head_dim > 0 else 1.0
    if isinstance(scale, bool) or not isinstance(scale, numbers.Real) or not math.isfinite(scale):
        raise ValueError(f"{op}: scale must be a finite number or None, got {scale!r}")
    return float(scale)


def mask_to_bias(mask, shape: tuple, dtype, name: str, op: str):
    """An attention mask as an additive bias broadcastable to ``shape`` (..., Tq, Tk).

    A boolean mask (True = take part) becomes 0 / -inf in ``dtype``; a float
    mask must already have ``dtype`` and is returned as an array (or as the
    Tensor itself when it requires grad, so that it receives one). Raises TypeError for
    another dtype and ValueError for a shape that does not broadcast to
    ``shape``, naming the argument ``name``.
    """
    array = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if array.dtype != np.bool_ and array.dtype != dtype:
        raise TypeError(f"{op}: {name} must be boolean or of the query's dtype {np.dtype(dtype)},"
                        f" got {array.dtype}")
    try:
        broadcast = np.broadcast_shapes(array.shape, shape)
    except ValueError:
        broadcast = None
    if broadcast != tuple(shape):
        raise ValueError(f"{op}: {name} of shape {array.shape} does not broadcast to the "
                         f"attention shape {tuple(shape)} (batch dims, Tq, Tk)")
    if array.dtype == np.bool_:
        return np.where(array, dtype.type(0), dtype.type(-np.inf))
    return mask if isinstance(mask, Tensor) and mask.requires_grad else array


def causal_bias(tq: int, tk: int, dtype) -> np.ndarray:
    """(Tq, Tk) additive causal mask, top-left aligned: 0 where j <= i, -inf above."""
    return np.where(np.tri(tq, tk, dtype=bool), dtype.type(0), dtype.type(-np.inf))


def composed_attention(query: Tensor, key: Tensor, value: Tensor, attn_bias=None,
                       key_bias=None, is_causal: bool = False, scale: float | None = None,
                       dropout_p: float = 0.0) -> tuple[Tensor, Tensor]:
    """softmax(scale Q K^T + bias) V with the probabilities materialized; returns (O, P).

    ``attn_bias`` is an additive bias (array or Tensor) broadcastable to
    (..., Tq, Tk); ``key_bias`` an additive (lead[0], Tk) bias per key (a key
    padding mask) applied to every other batch dim; ``is_causal`` adds the
    causal mask. Fully masked rows give zeros (see the module docstring).
    P is returned after dropout, as torch's MultiheadAttention does.
    """
    dtype = query.dtype
    lead, tq, tk = query.shape[:-2], query.shape[-2], key.shape[-2]
    scale = _check_scale(scale, query.shape[-1], "composed_attention")
    scores = matmul(query, key.transpose(-2, -1)) * scale
    constant = np.zeros((1,) * (len(lead) + 2), dtype)  # the bias that needs no gradient
    if attn_bias is not None and not isinstance(attn_bias, Tensor):
        constant = constant + attn_bias
    if key_bias is not None:
        kb = key_bias.data if isinstance(key_bias, Tensor) else key_bias
        constant = constant + kb.reshape((kb.shape[0],) + (1,) * (len(lead) - 1) + (1, tk))
    if is_causal:
        constant = constant + causal_bias(tq, tk, dtype)
    if constant.any():
        scores = scores + constant
    if isinstance(attn_bias, Tensor):  # a float mask that may receive a gradient
        scores = scores + attn_bias
        constant = constant + attn_bias.data
    dead = np.isneginf(np.broadcast_to(constant, scores.shape)).all(axis=-1)
    if dead.any():  # no key may be attended: zeros, not 0 / 0
        scores = where(np.broadcast_to(dead[..., None], scores.shape), 0.0, scores)
    weights = softmax(scores, -1)
    if dead.any():
        weights = weights * (~dead[..., None]).astype(dtype)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    return matmul(weights, value), weights


class FlashAttention(Function):
    """The native kernel on (B, H, T, D) arrays; backward from the saved row statistics."""

    @staticmethod
    def forward(ctx, q, k, v, bias, key_bias, causal, scale):
        out, lse = kernels.attention_forward(q, k, v, attn_bias=bias, key_bias=key_bias,
                                             is_causal=causal, scale=scale)
        ctx.save_for_backward(q, k, v, out, lse)
        ctx.options = dict(attn_bias=bias, key_bias=key_bias, is_causal=causal, scale=scale)
        return out

    @staticmethod
    def backward(ctx, g):
        q, k, v, out, lse = ctx.saved_tensors
        return kernels.attention_backward(q, k, v, out, lse, g, **ctx.options)


def _flash_attention(query: Tensor, key: Tensor, value: Tensor, bias, key_bias, is_causal: bool,
                     scale: float) -> Tensor:
    """The native path: batch dims folded into (B, H); masks reach the kernel unexpanded
    (size-1 dims are read with stride 0), except for inputs of more than 4 dimensions."""
    lead, tq, tk = query.shape[:-2], query.shape[-2], key.shape[-2]
    if len(lead) <= 2:
        bh = tuple(lead) + (1,) * (2 - len(lead))
        if bias is not None:  # (..., Tq?, Tk?) -> (B?, H?, Tq?, Tk?)
            bias = bias.reshape((1,) * (len(lead) + 2 - bias.ndim) + bias.shape)
            bias = bias.reshape(bias.shape[:len(lead)] + (1,) * (2 - len(lead)) + bias.shape[-2:])
    else:  # (B1, B2, ..., H): the leading dims merge into B
        bh = (int(np.prod(lead[:-1])), lead[-1])
        if bias is not None:
            bias = bias.reshape((1,) * (len(lead) + 2 - bias.ndim) + bias.shape)
            bias = np.broadcast_to(bias, lead + bias.shape[-2:]).reshape(bh + bias.shape[-2:])
        if key_bias is not None:
            key_bias = np.repeat(key_bias, bh[0] // lead[0], axis=0)
    q = query.reshape(bh + (tq, query.shape[-1]))
    k = key.reshape(bh + (tk, key.shape[-1]))
    v = value.reshape(bh + (tk, value.shape[-1]))
    out = FlashAttention.apply(q, k, v, bias, key_bias, bool(is_causal), scale)
    return out.reshape(lead + (tq, value.shape[-1]))


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask=None,
                                 dropout_p: float = 0.0, is_causal: bool = False,
                                 scale: float | None = None) -> Tensor:
    r"""softmax(Q K^T * scale + mask) V, with torch's signature and mask conventions.

    Parameters
    ----------
    query, key, value : Tensor
        (..., Tq, D), (..., Tk, D), (..., Tk, Dv): the same batch dims (e.g.
        (B, H)) and dtype (float32 or float64); Tq and Tk may differ.
    attn_mask : Tensor or ndarray, optional
        Broadcastable to (..., Tq, Tk): boolean (True = the query may attend
        to the key, as torch) or float of the query's dtype (added to the
        scores). A key padding mask is a (B, 1, 1, Tk) boolean one.
    dropout_p : float
        Dropout on the attention probabilities (always applied when > 0, as
        torch's functional; pass 0 in evaluation).
    is_causal : bool
        torch's top-left aligned causal mask; may not be combined with
        ``attn_mask`` (as torch).
    scale : float, optional
        Defaults to 1 / sqrt(D).

    Returns
    -------
    Tensor
        (..., Tq, Dv). Rows with every key masked are zeros.
    """
    return attention(query, key, value, attn_mask=attn_mask, dropout_p=dropout_p,
                     is_causal=is_causal, scale=scale)[0]


def attention(query: Tensor, key: Tensor, value: Tensor, *, attn_mask=None,
              key_padding_bias=None, dropout_p: float = 0.0, is_causal: bool = False,
              scale: float | None = None, need_weights: bool = False,
              op: str = "scaled_dot_product_attention") -> tuple[Tensor, Tensor | None]:
    """Attention with a separate per-key bias; returns (output, weights or None).

    The engine behind :func:`scaled_dot_product_attention` and
    ``nn.MultiheadAttention``. ``key_padding_bias`` is an additive
    (lead[0], Tk) float array (0 or -inf for a padding mask) applied to every
    other batch dim and every query, so that a key padding mask combines with
    ``attn_mask`` or ``is_causal`` without building a (B, Tq, Tk) mask.
    ``need_weights`` returns the attention probabilities (..., Tq, Tk), which
    requires the materialized path.
    """
    _check_qkv(query, key, value, op)
    p = check_probability(dropout_p)
    scale = _check_scale(scale, query.shape[-1], op)
    dtype = query.dtype
    lead, tq, tk = query.shape[:-2], query.shape[-2], key.shape[-2]
    if is_causal and attn_mask is not None:
        raise ValueError(f"{op}: attn_mask must be None when is_causal is True (as torch); "
                         "combine the masks into attn_mask instead")
    bias = None if attn_mask is None else mask_to_bias(attn_mask, lead + (tq, tk), dtype,
                                                       "attn_mask", op)
    if key_padding_bias is not None:
        kb = np.asarray(key_padding_bias.data if isinstance(key_padding_bias, Tensor)
                        else key_padding_bias)
        if not lead or kb.dtype != dtype or kb.shape != (lead[0], tk):
            raise ValueError(f"{op}: key_padding_bias must be a {np.dtype(dtype)} array of shape "
                             f"(batch, Tk) = ({lead[0] if lead else '?'}, {tk}), got "
                             f"{kb.dtype} {kb.shape}")
        key_padding_bias = kb
    if need_weights or p > 0.0 or isinstance(bias, Tensor) or tq <= FEW_QUERIES:
        out, weights = composed_attention(query, key, value, bias, key_padding_bias, is_causal,
                                          scale, p)
        return out, (weights if need_weights else None)
    return _flash_attention(query, key, value, bias, key_padding_bias, is_causal, scale), None
