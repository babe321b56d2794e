"""Flash attention on NumPy arrays: forward and backward of scaled dot-product attention.

Tiled with an online softmax (see ``csrc/cpu/attention.cpp`` for the
recurrence): no Tq x Tk matrix is allocated, causal attention skips the key
tiles above the diagonal, and the backward recomputes each tile of
probabilities from the row statistic ``lse`` saved by the forward. A query
row with every key masked gives an output of zeros, ``lse = +inf`` and zero
gradients. Work runs on ``rosenblatt.get_num_threads()`` threads with the GIL
released: (batch * head, query tile) pairs in the forward, one (batch, head)
per task in the backward.
"""

from __future__ import annotations

import math

import numpy as np

from rosenblatt import _C


def _scale(scale, head_dim: int) -> float:
    return 1.0 / math.sqrt(head_dim) if scale is None else scale


def attention_forward(query: np.ndarray, key: np.ndarray, value: np.ndarray, *,
                      attn_bias: np.ndarray | None = None, key_bias: np.ndarray | None = None,
                      is_causal: bool = False,
                      scale: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""``softmax(scale Q K^T + bias) V`` per (batch, head), and the row statistics.

    Parameters
    ----------
    query, key, value : numpy.ndarray
        (B, H, Tq, D), (B, H, Tk, D), (B, H, Tk, Dv); one dtype, float32 or
        float64. Any strides (views with a non-contiguous last dimension are
        copied once).
    attn_bias : numpy.ndarray, optional
        Additive bias of the query's dtype, 4-D, broadcastable to
        (B, H, Tq, Tk) (size-1 dimensions are read with stride 0, never
        expanded); -inf masks an entry.
    key_bias : numpy.ndarray, optional
        Additive (B, Tk) bias per key (a key padding mask as 0 / -inf).
    is_causal : bool
        Mask key j for query i when j > i (top-left aligned, as torch).
    scale : float, optional
        Defaults to 1 / sqrt(D).

    Returns
    -------
    out : numpy.ndarray
        (B, H, Tq, Dv).
    lse : numpy.ndarray
        (B, H, Tq): :math:`\log \sum_j \exp(S_{ij})`, +inf for fully masked rows.

    Raises
    ------
    TypeError
        A non-float or mixed dtype; ValueError: wrong ndim, mismatched batch
        dims, head dims or sequence lengths, a bias that does not broadcast, a
        non-finite scale.
    """
    return _C.attention_forward(query, key, value, attn_bias, key_bias, is_causal,
                                _scale(scale, query.shape[-1] if np.ndim(query) else 1))


def attention_backward(query: np.ndarray, key: np.ndarray, value: np.ndarray, out: np.ndarray,
                       lse: np.ndarray, grad_out: np.ndarray, *,
                       attn_bias: np.ndarray | None = None, key_bias: np.ndarray | None = None,
                       is_causal: bool = False,
                       scale: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients (dQ, dK, dV) of :func:`attention_forward` for the output gradient ``grad_out``.

    ``out`` and ``lse`` are the forward's results for the same arguments;
    ``grad_out`` has ``out``'s shape. Uses D_i = rowsum(grad_out * out) and
    recomputes P tile by tile, as FlashAttention-2.
    """
    return _C.attention_backward(query, key, value, out, lse, grad_out, attn_bias, key_bias,
                                 is_causal, _scale(scale, query.shape[-1] if np.ndim(query) else 1))
