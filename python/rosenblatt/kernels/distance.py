"""Pairwise distances, k-nearest neighbours and kernel matrices between two sets of points.

``X`` is (n, d) and ``Y`` is (m, d), float32 or float64 of one dtype; the
results are (n, m) (or (n, k)) of that dtype. Any strides are accepted (a
non-contiguous view is copied once). Every value must be finite.

Metrics and kernels that are functions of the dot product (euclidean,
sqeuclidean, cosine, every kernel) run on our GEMM with the expansion
``||x - y||^2 = ||x||^2 + ||y||^2 - 2 x.y`` and one fused elementwise pass per
tile; the others (manhattan, chebyshev, minkowski, hamming) run a
register-blocked SIMD loop. Both are tiled so that each block of the result
is finished while it is in cache, and threaded over the tiles.
"""

from __future__ import annotations

import numpy as np

from rosenblatt import _C

METRICS = ("euclidean", "sqeuclidean", "manhattan", "chebyshev", "minkowski", "hamming", "cosine")
KERNELS = ("linear", "poly", "rbf", "sigmoid")


def pairwise_distances(
    X: np.ndarray, Y: np.ndarray | None = None, *, metric: str = "euclidean", p: float = 2.0
) -> np.ndarray:
    r"""Distances between every row of ``X`` and every row of ``Y``.

    ``out[i, j] = metric(X[i], Y[j])`` with

    - ``"euclidean"``: :math:`\sqrt{\max(\|x\|^2 + \|y\|^2 - 2\,x \cdot y,\ 0)}`
      (the expansion runs on the GEMM; the clamp removes the small negative
      values rounding can leave). In float32 it carries the expansion's
      cancellation: the absolute error of the squared distance is about
      ``eps * (||x||^2 + ||y||^2)``.
    - ``"sqeuclidean"``: the same without the square root.
    - ``"manhattan"``: :math:`\sum_p |x_p - y_p|` (``minkowski`` with ``p=1``).
    - ``"chebyshev"``: :math:`\max_p |x_p - y_p|` (``minkowski`` with ``p=inf``).
    - ``"minkowski"``: :math:`(\sum_p |x_p - y_p|^p)^{1/p}`, ``p >= 1``;
      ``p`` = 1, 2 and ``inf`` take the manhattan, euclidean and chebyshev paths,
      a whole ``p`` up to 64 is raised by repeated multiplication on SIMD
      vectors, any other ``p`` through the C library's ``pow`` (much slower).
    - ``"hamming"``: the fraction of coordinates where ``x`` and ``y`` differ
      (as SciPy and scikit-learn).
    - ``"cosine"``: :math:`1 - x \cdot y / (\|x\| \|y\|)`, clipped to [0, 2]. A
      vector of norm below ``10 * eps`` is left unscaled, as
      ``sklearn.preprocessing.normalize`` does, so a zero vector is at distance
      1 from everything.

    When ``Y`` is None or is ``X`` itself, the diagonal is exactly 0 (as in
    scikit-learn), rather than the rounding residue of the expansion.

    Parameters
    ----------
    X : numpy.ndarray
        (n, d), float32 or float64, d >= 1; n may be 0.
    Y : numpy.ndarray, optional
        (m, d) of ``X``'s dtype; None means ``X``.
    metric : str, default "euclidean"
        One of :data:`METRICS`, or scikit-learn's aliases "l2" (euclidean),
        "cityblock" and "l1" (manhattan).
    p : float, default 2.0
        The Minkowski exponent, ``>= 1`` (``float('inf')`` allowed); used by
        ``"minkowski"`` only, but checked always.

    Returns
    -------
    numpy.ndarray
        (n, m) of ``X``'s dtype.

    Raises
    ------
    TypeError
        ``X`` or ``Y`` is not a float32/float64 ndarray, or their dtypes differ.
    ValueError
        Not 2-D, different column counts, no columns, a NaN or infinity (the
        message names the array, row and column), an unknown metric, p < 1,
        or (euclidean family) a squared row norm that overflows the dtype.
    """
    return _C.pairwise_distances(X, Y, metric, p)


def kneighbors(
    X: np.ndarray,
    Y: np.ndarray,
    n_neighbors: int,
    *,
    metric: str = "euclidean",
    p: float = 2.0,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``n_neighbors`` nearest rows of ``Y`` for each row of ``X``.

    The distances are exactly those of :func:`pairwise_distances` with the
    same arguments (including the exact zero diagonal when ``Y`` is ``X``),
    but the (n, m) matrix is never allocated: blocks of ``X`` meet blocks of
    ``Y``, and each row of a block goes through a bounded max-heap of the
    best ``k`` so far, so no row is sorted whole. ``k=1`` with
    ``metric="sqeuclidean"`` is the k-means assignment step.

    Ties are broken by the lower index in ``Y``: the result equals a stable
    argsort of each row of :func:`pairwise_distances` cut to ``k``.

    Parameters
    ----------
    X : numpy.ndarray
        (n, d) queries, float32 or float64; n may be 0.
    Y : numpy.ndarray
        (m, d) points of ``X``'s dtype.
    n_neighbors : int
        k, with ``1 <= k <= m``.
    metric, p
        As in :func:`pairwise_distances`.

    Returns
    -------
    distances : numpy.ndarray
        (n, k) of ``X``'s dtype, ascending along each row.
    indices : numpy.ndarray
        (n, k) int64 row indices into ``Y``.

    Raises
    ------
    TypeError, ValueError
        As :func:`pairwise_distances`; ValueError naming ``n_neighbors`` when
        it is outside ``[1, len(Y)]``.
    """
    return _C.kneighbors(X, Y, n_neighbors, metric, p)


def kernel_matrix(
    X: np.ndarray,
    Y: np.ndarray | None = None,
    *,
    kernel: str = "rbf",
    gamma: float | None = None,
    degree: int = 3,
    coef0: float = 1.0,
) -> np.ndarray:
    r"""The kernel matrix ``K[i, j] = k(X[i], Y[j])``.

    - ``"linear"``: :math:`x \cdot y`
    - ``"poly"``: :math:`(\gamma\, x \cdot y + c_0)^{d}`
    - ``"rbf"``: :math:`\exp(-\gamma \|x - y\|^2)` (the squared distance by the
      clamped expansion; the diagonal is exactly 1 when ``Y`` is ``X``)
    - ``"sigmoid"``: :math:`\tanh(\gamma\, x \cdot y + c_0)`

    Each is one GEMM and one fused elementwise pass per tile (float32 uses
    the vectorized exponential of the softmax kernels).

    Parameters
    ----------
    X : numpy.ndarray
        (n, d), float32 or float64.
    Y : numpy.ndarray, optional
        (m, d) of ``X``'s dtype; None means ``X``.
    kernel : str, default "rbf"
        One of :data:`KERNELS`.
    gamma : float, optional
        Finite and > 0; None means ``1 / d`` (as ``sklearn.metrics.pairwise``).
    degree : int, default 3
        The polynomial degree, an int >= 1.
    coef0 : float, default 1.0
        The finite constant of "poly" and "sigmoid".

    Returns
    -------
    numpy.ndarray
        (n, m) of ``X``'s dtype.

    Raises
    ------
    TypeError, ValueError
        As :func:`pairwise_distances`, and for a bad kernel, gamma, degree or
        coef0.
    """
    return _C.kernel_matrix(X, Y, kernel, gamma, degree, coef0)
