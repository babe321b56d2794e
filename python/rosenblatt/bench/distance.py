"""Benchmark of the distance family against NumPy and scikit-learn.

Cases (float32, ours on ``rosenblatt.get_num_threads()`` threads):

- pairwise euclidean distances, 2000 x 20000 points of 64 features, against
  NumPy's expansion and ``sklearn.metrics.pairwise.euclidean_distances``;
- the 5 nearest of 20000 x 64 points for 2000 queries, against NumPy (full
  matrix, argpartition, sort of the k) and scikit-learn's
  ``NearestNeighbors(algorithm="brute").kneighbors``;
- the RBF kernel matrix of 2000 x 64 points, against NumPy and
  ``sklearn.metrics.pairwise.rbf_kernel``;
- manhattan distances, 1000 x 5000 x 64, against scikit-learn;
- the k-means assignment step: the nearest of 16 centers for 20000 x 64
  points (k=1, sqeuclidean), against NumPy and
  ``sklearn.metrics.pairwise_distances_argmin_min``.

Run with ``rosenblatt bench --only distance``; ``quick`` shrinks every shape.
"""

from __future__ import annotations

import numpy as np

from rosenblatt import kernels
from rosenblatt.bench.common import Case


def numpy_sqeuclidean(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """max(||x||^2 + ||y||^2 - 2 x.y, 0), the expansion written in NumPy."""
    D = X @ Y.T
    D *= -2
    D += np.einsum("ij,ij->i", X, X)[:, None]
    D += np.einsum("ij,ij->i", Y, Y)[None, :]
    return np.maximum(D, 0, out=D)


def numpy_kneighbors(X: np.ndarray, Y: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k nearest by the full matrix, argpartition and a sort of the k."""
    D = numpy_sqeuclidean(X, Y)
    part = np.argpartition(D, k - 1, axis=1)[:, :k]
    order = np.argsort(np.take_along_axis(D, part, axis=1), axis=1, kind="stable")
    idx = np.take_along_axis(part, order, axis=1)
    return np.sqrt(np.take_along_axis(D, idx, axis=1)), idx


def _sklearn():
    try:
        import sklearn.metrics.pairwise as pairwise
        from sklearn.metrics import pairwise_distances_argmin_min
        from sklearn.neighbors import NearestNeighbors
    except ImportError:
        return None
    return pairwise, pairwise_distances_argmin_min, NearestNeighbors


def cases(quick: bool = False) -> list[Case]:
    """The cases named in the module docstring (shapes divided by 10 when quick)."""
    s = 10 if quick else 1
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2000 // s, 64)).astype(np.float32)
    Y = rng.standard_normal((20000 // s, 64)).astype(np.float32)
    C = Y[:16].copy()
    gamma = 1.0 / 64
    k = 5

    pairwise = {
        "rosenblatt": lambda: kernels.pairwise_distances(X, Y),
        "numpy": lambda: np.sqrt(numpy_sqeuclidean(X, Y)),
    }
    neighbors = {
        "rosenblatt": lambda: kernels.kneighbors(X, Y, k),
        "numpy": lambda: numpy_kneighbors(X, Y, k),
    }
    rbf = {
        "rosenblatt": lambda: kernels.kernel_matrix(X, kernel="rbf", gamma=gamma),
        "numpy": lambda: np.exp(-gamma * numpy_sqeuclidean(X, X)),
    }
    Xm, Ym = X[: 1000 // s], Y[: 5000 // s]
    manhattan = {"rosenblatt": lambda: kernels.pairwise_distances(Xm, Ym, metric="manhattan")}
    assign = {
        "rosenblatt": lambda: kernels.kneighbors(Y, C, 1, metric="sqeuclidean"),
        "numpy": lambda: numpy_sqeuclidean(Y, C).argmin(axis=1),
    }

    sk = _sklearn()
    if sk is not None:
        sk_pairwise, argmin_min, NearestNeighbors = sk
        nn = NearestNeighbors(n_neighbors=k, algorithm="brute").fit(Y)
        pairwise["sklearn"] = lambda: sk_pairwise.euclidean_distances(X, Y)
        neighbors["sklearn"] = lambda: nn.kneighbors(X)
        rbf["sklearn"] = lambda: sk_pairwise.rbf_kernel(X, gamma=gamma)
        manhattan["sklearn"] = lambda: sk_pairwise.manhattan_distances(Xm, Ym)
        assign["sklearn"] = lambda: argmin_min(Y, C)

    n, m = len(X), len(Y)
    return [
        Case(f"pairwise euclidean {n}x{m}x64 float32", pairwise, flops=2.0 * n * m * 64),  # the GEMM
        Case(f"kneighbors k={k} {n} queries vs {m}x64 float32", neighbors, flops=2.0 * n * m * 64),
        Case(f"rbf kernel_matrix {n}x{n}x64 float32", rbf, flops=2.0 * n * n * 64),
        Case(f"manhattan {len(Xm)}x{len(Ym)}x64 float32", manhattan, flops=3.0 * len(Xm) * len(Ym) * 64,
             baseline="sklearn"),
        Case(f"k-means assignment (k=1 sqeuclidean) {m}x64 vs 16 centers float32", assign,
             flops=2.0 * m * 16 * 64),
    ]
