"""Matrix products: our own blocked GEMM with a fused bias/activation epilogue."""

from __future__ import annotations

import numpy as np

from rosenblatt import _C

ACTIVATIONS = (None, "relu", "sigmoid", "tanh", "gelu")


def gemm(
    a: np.ndarray,
    b: np.ndarray,
    *,
    trans_a: bool = False,
    trans_b: bool = False,
    alpha: float = 1.0,
    beta: float = 0.0,
    out: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    activation: str | None = None,
) -> np.ndarray:
    """``C = activation(alpha * op(a) @ op(b) + beta * C + bias)``.

    ``op(x)`` is ``x.T`` when ``trans_x`` is true, else ``x``. ``a`` and ``b``
    are 2-D float32 or float64 arrays of one dtype; any strides are read in
    place (a transposed or sliced view is not copied). ``op(a)`` is (M, K) and
    ``op(b)`` is (K, N).

    Parameters
    ----------
    alpha, beta : float
        Finite scalars. ``beta`` scales the C given as ``out``; with
        ``out=None`` it must be 0. When ``beta == 0`` the old contents of
        ``out`` are not read (NaN there does not propagate), as in BLAS.
    out : ndarray, optional
        C-contiguous, writeable (M, N) array of the same dtype, not sharing
        memory with ``a``, ``b`` or ``bias``. Written in place and returned.
    bias : ndarray, optional
        (N,) array added to every row of C.
    activation : {None, 'relu', 'sigmoid', 'tanh', 'gelu'}
        Applied to each tile as it is stored. 'gelu' is the exact
        ``x * Phi(x)`` (erf) form, as ``torch.nn.functional.gelu``.

    Returns
    -------
    ndarray
        C, of shape (M, N).

    Examples
    --------
    >>> import numpy as np, rosenblatt as rb
    >>> x = np.ones((2, 3), np.float32); w = np.ones((4, 3), np.float32)
    >>> rb.kernels.gemm(x, w, trans_b=True, bias=np.arange(4, dtype=np.float32), activation="relu")
    array([[3., 4., 5., 6.],
           [3., 4., 5., 6.]], dtype=float32)
    """
    return _C.gemm(
        a, b, trans_a=trans_a, trans_b=trans_b, alpha=alpha, beta=beta, out=out, bias=bias,
        activation=activation,
    )


def batched_gemm(
    a: np.ndarray,
    b: np.ndarray,
    *,
    trans_a: bool = False,
    trans_b: bool = False,
    alpha: float = 1.0,
    beta: float = 0.0,
    out: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    activation: str | None = None,
) -> np.ndarray:
    """:func:`gemm` over a stack: ``C[t] = activation(alpha op(a[t]) @ op(b[t]) + beta C[t] + bias)``.

    ``a`` is (B, M, K) (or (B, K, M) with ``trans_a``) and ``b`` is (B, K, N)
    (or (B, N, K) with ``trans_b``); either may instead be 2-D, one matrix
    shared by the whole stack. ``out`` is (B, M, N). The other arguments are
    those of :func:`gemm`. Many small products run one per thread; a few large
    ones each use every thread.
    """
    return _C.batched_gemm(
        a, b, trans_a=trans_a, trans_b=trans_b, alpha=alpha, beta=beta, out=out, bias=bias,
        activation=activation,
    )
