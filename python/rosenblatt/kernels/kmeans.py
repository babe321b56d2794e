"""Lloyd's k-means iterations in one native call (csrc/cpu/kmeans.cpp)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rosenblatt import _C


class LloydResult(NamedTuple):
    """The clustering Lloyd's iterations end with."""

    labels: np.ndarray   #: (n,) int64 index of each sample's center
    centers: np.ndarray  #: (k, d) final centers, X's dtype
    inertia: float       #: sum of squared distances of the samples to their centers
    n_iter: int          #: iterations run


def kmeans_lloyd(X: np.ndarray, centers: np.ndarray, *, max_iter: int = 300,
                 tol: float = 0.0) -> LloydResult:
    r"""Run Lloyd's k-means iterations from ``centers``, all in one native call.

    Each iteration assigns every sample to its nearest center (ties to the
    lower index), then moves each center to the mean of its samples:

    .. math::

        l_i = \arg\min_j \|x_i - c_j\|^2, \qquad
        c_j' = \frac{1}{|\{i: l_i = j\}|} \sum_{i: l_i = j} x_i

    A cluster left empty takes the sample farthest from its center (the next
    farthest for the next empty cluster), as scikit-learn does. It stops when
    the labels no longer change, when :math:`\sum_j \|c_j' - c_j\|^2 \le`
    ``tol``, or after ``max_iter`` iterations; without the first, a last
    assignment makes the labels those of the final centers. Sums are
    accumulated in double, and the result does not depend on the number of
    threads.

    Parameters
    ----------
    X : numpy.ndarray
        (n, d) float32 or float64, finite, n >= 1, d >= 1 (copied once when
        not C-contiguous).
    centers : numpy.ndarray
        (k, d) initial centers of X's dtype, finite, 1 <= k <= n (not modified).
    max_iter : int
        The most iterations, >= 1.
    tol : float
        Absolute tolerance on the total squared center shift, finite and >= 0
        (scikit-learn's KMeans passes ``tol * mean(var(X, axis=0))``).

    Returns
    -------
    LloydResult
        ``(labels, centers, inertia, n_iter)``.

    Raises
    ------
    TypeError
        An array is not a float32/float64 ndarray, the dtypes differ, or
        ``max_iter`` / ``tol`` is not a number.
    ValueError
        Wrong shapes, NaN or infinity, ``max_iter < 1``, a negative or
        non-finite ``tol``.
    """
    if isinstance(X, np.ndarray) and X.ndim == 2 and not X.flags.c_contiguous:
        X = np.ascontiguousarray(X)
    labels, centers, inertia, n_iter = _C.kmeans_lloyd(X, centers, max_iter, tol)
    return LloydResult(labels, centers, inertia, n_iter)
