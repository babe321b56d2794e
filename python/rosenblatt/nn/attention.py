"""MultiheadAttention with PyTorch's arguments, parameter names and mask conventions.

For inputs query (L, N, E), key (S, N, kdim), value (S, N, vdim) (or batch
first, or unbatched without N)::

    Q = query W_q^T + b_q,  K = key W_k^T + b_k,  V = value W_v^T + b_v
    head h: O_h = softmax(Q_h K_h^T / sqrt(E / H) + mask) V_h
    output = concat_h(O_h) W_o^T + b_o

W_q, W_k, W_v are the three (E, E) blocks of ``in_proj_weight`` (3E, E) when
kdim == vdim == E, else ``q_proj_weight``, ``k_proj_weight``,
``v_proj_weight``; ``in_proj_bias`` is (3E,) and ``out_proj`` a Linear(E, E).

Masks as torch's MultiheadAttention (the opposite of scaled_dot_product_attention's
boolean convention): a boolean ``key_padding_mask`` (N, S) or ``attn_mask``
(L, S) / (N * H, L, S) is True where attention is NOT allowed; float masks are
added to the scores. With ``need_weights=False`` the heads run in the native
flash attention kernel; with ``need_weights=True`` the probabilities are
materialized and returned (averaged over heads by default).
"""

from __future__ import annotations

import numpy as np

from rosenblatt import functional as F
from rosenblatt.functional.attention import attention
from rosenblatt.functional.dropout import check_probability
from rosenblatt.nn import init
from rosenblatt.nn.linear import Linear
from rosenblatt.nn.module import Module
from rosenblatt.nn.parameter import Parameter
from rosenblatt.tensor import DEFAULT_DTYPE, Tensor


def _mask_array(mask, name: str, dtype) -> np.ndarray:
    """A torch-convention mask (bool True = masked, or additive float) as an additive bias."""
    array = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if array.dtype == np.bool_:
        return np.where(array, dtype.type(-np.inf), dtype.type(0))
    if array.dtype.kind != "f":
        raise TypeError(f"MultiheadAttention: {name} must be boolean or floating point, got "
                        f"{array.dtype}")
    return array.astype(dtype, copy=False)


class MultiheadAttention(Module):
    """Multi-head attention (Vaswani et al.), a drop-in for ``torch.nn.MultiheadAttention``."""

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device=None,
                 dtype=None) -> None:
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"MultiheadAttention: embed_dim and num_heads must be > 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads}")
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim ({embed_dim}) must be divisible by "
                             f"num_heads ({num_heads})")
        self.embed_dim, self.num_heads = int(embed_dim), int(num_heads)
        self.kdim = self.embed_dim if kdim is None else int(kdim)
        self.vdim = self.embed_dim if vdim is None else int(vdim)
        self._qkv_same_embed_dim = self.kdim == self.embed_dim and self.vdim == self.embed_dim
        self.head_dim = self.embed_dim // self.num_heads
        self.dropout = check_probability(dropout)
        self.batch_first, self.add_zero_attn = batch_first, add_zero_attn
        dtype = DEFAULT_DTYPE if dtype is None else np.dtype(dtype)
        e = self.embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.empty((3 * e, e), dtype))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = Parameter(np.empty((e, e), dtype))
            self.k_proj_weight = Parameter(np.empty((e, self.kdim), dtype))
            self.v_proj_weight = Parameter(np.empty((e, self.vdim), dtype))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(np.empty(3 * e, dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(e, e, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = Parameter(np.empty((1, 1, e), dtype))
            self.bias_v = Parameter(np.empty((1, 1, e), dtype))
        else:
            self.register_parameter("bias_k", None)
            self.register_parameter("bias_v", None)
        self._reset_parameters()
        if device is not None:
            self.to(device)

    def _reset_parameters(self) -> None:
        """As torch: Xavier-uniform projections, zero biases, Xavier-normal bias_k / bias_v."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def _projections(self, query: Tensor, key: Tensor, value: Tensor):
        e, b = self.embed_dim, self.in_proj_bias
        bq, bk, bv = (None, None, None) if b is None else (b[:e], b[e:2 * e], b[2 * e:])
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            if query is key and key is value:  # self-attention: one GEMM for all three
                return F.split(F.linear(query, w, b), e, dim=-1)
            if key is value:
                q = F.linear(query, w[:e], bq)
                k, v = F.split(F.linear(key, w[e:], None if b is None else b[e:]), e, dim=-1)
                return q, k, v
            return (F.linear(query, w[:e], bq), F.linear(key, w[e:2 * e], bk),
                    F.linear(value, w[2 * e:], bv))
        return (F.linear(query, self.q_proj_weight, bq), F.linear(key, self.k_proj_weight, bk),
                F.linear(value, self.v_proj_weight, bv))

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask=None,
                need_weights: bool = True, attn_mask=None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        """Returns (output, weights): output like ``query``; weights (N, L, S) averaged over
        heads (or (N, H, L, S) when ``average_attn_weights`` is False) when ``need_weights``,
        else None. ``is_causal`` asks for the causal mask (``attn_mask``, if given, is taken
        to be that mask, as torch's hint)."""
        op = "MultiheadAttention"
        for name, t in (("query", query), ("key", key), ("value", value)):
            if not isinstance(t, Tensor):
                raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
        batched = query.ndim == 3
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(f"{op}: query, key and value must all be 3-D (batched) or 2-D "
                             f"(unbatched), got shapes {query.shape}, {key.shape}, {value.shape}")
        same_kv, same_qkv = key is value, query is key and key is value
        if not batched:
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
        elif not self.batch_first:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        if same_kv:
            value = key
        if same_qkv:
            key = value = query
        # from here on (N, L, E) / (N, S, kdim) / (N, S, vdim)
        n, tq, e = query.shape
        if e != self.embed_dim:
            raise ValueError(f"{op}: query has embedding size {e}, expected embed_dim "
                             f"{self.embed_dim}")
        if key.shape[2] != self.kdim or value.shape[2] != self.vdim:
            raise ValueError(f"{op}: key and value must have feature sizes kdim={self.kdim} and "
                             f"vdim={self.vdim}, got {key.shape[2]} and {value.shape[2]}")
        if key.shape[:2] != value.shape[:2] or key.shape[0] != n:
            raise ValueError(f"{op}: the batch size and sequence length of key {tuple(key.shape)}"
                             f" and value {tuple(value.shape)} must match (and the batch size "
                             f"of query {tuple(query.shape)})")
        q, k, v = self._projections(query, key, value)
        dtype = q.dtype
        kpm = None if key_padding_mask is None else _mask_array(key_padding_mask,
                                                                "key_padding_mask", dtype)
        mask = None
        if attn_mask is not None and not is_causal:
            mask = _mask_array(attn_mask, "attn_mask", dtype)
        if self.bias_k is not None:  # one learned key/value appended to every sequence
            k = F.cat([k, self.bias_k.expand(n, 1, e)], dim=1)
            v = F.cat([v, self.bias_v.expand(n, 1, e)], dim=1)
            if is_causal:
                mask, is_causal = np.tri(tq, k.shape[1] - 1, dtype=bool), False
                mask = np.where(mask, dtype.type(0), dtype.type(-np.inf))
            mask = None if mask is None else np.pad(mask, [(0, 0)] * (mask.ndim - 1) + [(0, 1)])
            kpm = None if kpm is None else np.pad(kpm, [(0, 0), (0, 1)])
        h, d = self.num_heads, self.head_dim
        s = k.shape[1]
        q = q.reshape(n, tq, h, d).transpose(1, 2)
        k = k.reshape(n, s, h, d).transpose(1, 2)
        v = v.reshape(n, s, h, d).transpose(1, 2)
        if self.add_zero_attn:  # one zero key/value appended after the heads are split
            k = F.cat([k, Tensor(np.zeros((n, h, 1, d), dtype))], dim=2)
            v = F.cat([v, Tensor(np.zeros((n, h, 1, d), dtype))], dim=2)
            if is_causal:
                mask, is_causal = np.tri(tq, s, dtype=bool), False
                mask = np.where(mask, dtype.type(0), dtype.type(-np.inf))
            mask = None if mask is None else np.pad(mask, [(0, 0)] * (mask.ndim - 1) + [(0, 1)])
            kpm = None if kpm is None else np.pad(kpm, [(0, 0), (0, 1)])
            s += 1
        if kpm is not None and kpm.shape != (n, s):
            raise ValueError(f"{op}: key_padding_mask must have shape (batch, source length) = "
                             f"({n}, {s}), got {kpm.shape}")
        if mask is not None:
            if mask.shape == (tq, s):
                pass
            elif mask.shape == (n * h, tq, s):
                mask = mask.reshape(n, h, tq, s)
            else:
                raise ValueError(f"{op}: attn_mask must have shape (L, S) = ({tq}, {s}) or "
                                 f"(N * num_heads, L, S) = ({n * h}, {tq}, {s}), got "
                                 f"{mask.shape}")
        out, weights = attention(q, k, v, attn_mask=mask, key_padding_bias=kpm,
                                 dropout_p=self.dropout if self.training else 0.0,
                                 is_causal=is_causal, need_weights=need_weights, op=op)
        out = F.linear(out.transpose(1, 2).reshape(n, tq, e), self.out_proj.weight,
                       self.out_proj.bias)
        if not batched:
            out = out.squeeze(0)
        elif not self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(axis=1)
        if not batched:
            weights = weights.squeeze(0)
        return out, weights

    def extra_repr(self) -> str:
        return (f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, "
                f"dropout={self.dropout}, batch_first={self.batch_first}")
