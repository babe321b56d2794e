"""The SMO solver of the soft-margin SVM dual (csrc/cpu/svm.cpp)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rosenblatt import _C


class SMOResult(NamedTuple):
    """The solution of the dual and how it was reached."""

    alpha: np.ndarray   #: (n,) float64 Lagrange multipliers, each in [0, C]
    bias: float         #: b in f(x) = sum_i alpha_i y_i K(x_i, x) + b
    n_iter: int         #: SMO steps taken
    converged: bool     #: the maximal KKT violation fell below tol


def smo_solve(K: np.ndarray, y: np.ndarray, *, C: float = 1.0, tol: float = 1e-3,
              max_iter: int = -1) -> SMOResult:
    r"""Solve the soft-margin SVM dual by SMO with second-order working-set selection.

    .. math::

        \min_a \tfrac12 a^\top Q a - e^\top a \quad \text{s.t.}\quad
        0 \le a_i \le C,\; y^\top a = 0, \qquad Q_{ij} = y_i y_j K_{ij}

    Each step picks the pair (i, j) of libsvm's WSS2 (the maximal violator i
    and the partner j with the largest second-order decrease), solves the
    two-variable subproblem in closed form and keeps the gradient
    ``G = Q a - e`` exact. It stops when the maximal violation
    ``m(a) - M(a)`` falls below ``tol`` (then ``converged`` is true) or after
    ``max_iter`` steps. The bias follows libsvm: the mean of ``-y_t G_t`` over
    the free support vectors (``0 < a_t < C``), else the midpoint of the
    interval the bounded ones allow.

    Parameters
    ----------
    K : numpy.ndarray
        (n, n) float64 symmetric, finite kernel matrix ``K(x_i, x_j)``.
    y : numpy.ndarray
        (n,) float64 labels, each -1.0 or +1.0, both present.
    C : float
        The box bound, finite and > 0.
    tol : float
        Stopping tolerance on the maximal violation, finite and > 0.
    max_iter : int
        The most SMO steps, or -1 for no limit.

    Returns
    -------
    SMOResult
        ``(alpha, bias, n_iter, converged)``; the decision function is
        ``(alpha * y) @ K(X_train, x) + bias``.

    Raises
    ------
    TypeError
        ``K`` or ``y`` is not a float64 ndarray, or an option has the wrong type.
    ValueError
        Wrong shapes, a non-finite or asymmetric ``K``, labels other than
        +-1 or a single class, or ``C``/``tol``/``max_iter`` out of range.
    """
    return SMOResult(*_C.smo_solve(K, y, C, tol, max_iter))
