"""rosenblatt.kernels.smo_solve: the solution satisfies the dual's constraints and KKT
conditions to tol (checked here from the returned multipliers), matches libsvm
(scikit-learn's SVC on the same precomputed kernel), and bad arguments raise.

Value tests take the `isa` fixture (tests/conftest.py): the solver runs on
each SIMD path this build and CPU support.
"""

import numpy as np
import pytest

from rosenblatt import kernels


def rbf(X, Y, gamma):
    d2 = (X ** 2).sum(1)[:, None] + (Y ** 2).sum(1)[None, :] - 2 * X @ Y.T
    return np.exp(-gamma * np.maximum(d2, 0))


def binary_problem(n=200, seed=0):
    """Two noisy classes split by a curved boundary (not linearly separable)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    y = np.where(X[:, 0] * X[:, 1] + 0.5 * X[:, 2] + 0.3 * rng.standard_normal(n) > 0, 1.0, -1.0)
    return X, y


def max_violation(K, y, alpha, C):
    """m(a) - M(a): the largest KKT violation of the dual at alpha (float64 reference)."""
    G = y * (K @ (alpha * y)) - 1.0
    up = np.where(y > 0, alpha < C, alpha > 0)
    low = np.where(y > 0, alpha > 0, alpha < C)
    return (-y * G)[up].max() - (-y * G)[low].min()


@pytest.mark.parametrize("C", [0.1, 1.0, 10.0])
def test_solution_is_feasible_and_tol_optimal(isa, C):
    X, y = binary_problem()
    K = rbf(X, X, 0.5)
    result = kernels.smo_solve(K, y, C=C, tol=1e-3)
    alpha = result.alpha
    assert result.converged and result.n_iter > 0
    assert alpha.dtype == np.float64 and alpha.shape == y.shape
    assert (alpha >= 0).all() and (alpha <= C).all()
    assert abs(alpha @ y) < 1e-10 * C * len(y)
    assert max_violation(K, y, alpha, C) < 1e-3
    # The bias makes free support vectors sit on the margin: y f(x) = 1.
    f = K @ (alpha * y) + result.bias
    free = (alpha > 1e-8 * C) & (alpha < C * (1 - 1e-8))
    assert free.any()
    np.testing.assert_allclose(y[free] * f[free], 1.0, atol=2e-3)


def test_hard_margin_on_separable_data(isa):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((120, 2))
    margin = X @ np.array([1.0, -2.0]) + 0.5
    keep = np.abs(margin) > 0.5
    X, y = X[keep], np.where(margin[keep] > 0, 1.0, -1.0)
    result = kernels.smo_solve(X @ X.T, y, C=1e6, tol=1e-6)
    f = X @ X.T @ (result.alpha * y) + result.bias
    assert (y * f >= 1 - 1e-4).all()          # every point outside the margin
    assert (result.alpha < 1e6).all()          # no multiplier at the bound


@pytest.mark.parametrize("C", [0.5, 5.0])
def test_matches_libsvm(isa, C):
    svm = pytest.importorskip("sklearn.svm")
    X, y = binary_problem(n=300, seed=2)
    K = rbf(X, X, 0.3)
    result = kernels.smo_solve(K, y, C=C, tol=1e-3)
    reference = svm.SVC(kernel="precomputed", C=C, tol=1e-3).fit(K, y)
    # scikit-learn reports the machine for classes_[1] = +1, as here.
    alpha_ref = np.zeros(len(y))
    alpha_ref[reference.support_] = np.abs(reference.dual_coef_[0])
    X_new, _ = binary_problem(n=100, seed=3)
    K_new = rbf(X_new, X, 0.3)
    np.testing.assert_allclose(K_new @ (result.alpha * y) + result.bias,
                               reference.decision_function(K_new), atol=5e-3)
    assert abs(result.bias - reference.intercept_[0]) < 5e-3
    support, support_ref = set(np.flatnonzero(result.alpha)), set(reference.support_)
    assert len(support ^ support_ref) <= 0.02 * len(support_ref)


def test_same_solution_on_every_isa():
    from rosenblatt import _C
    X, y = binary_problem(seed=4)
    K = rbf(X, X, 1.0)
    previous = _C.get_isa()
    try:
        results = []
        for isa in _C.supported_isas():
            _C.set_isa(isa)
            results.append(kernels.smo_solve(K, y, C=2.0))
    finally:
        _C.set_isa(previous)
    for r in results[1:]:
        np.testing.assert_allclose(r.alpha, results[0].alpha, rtol=1e-9, atol=1e-12)
        assert r.n_iter == results[0].n_iter


def test_max_iter_stops_early():
    X, y = binary_problem()
    K = rbf(X, X, 0.5)
    result = kernels.smo_solve(K, y, C=1.0, max_iter=3)
    assert result.n_iter == 3 and not result.converged
    assert kernels.smo_solve(K, y, C=1.0, max_iter=0).n_iter == 0


def test_strided_kernel_matrix_is_read_correctly():
    X, y = binary_problem(n=80)
    K = rbf(X, X, 0.5)
    big = np.zeros((80, 160))
    big[:, ::2] = K
    np.testing.assert_array_equal(kernels.smo_solve(big[:, ::2], y).alpha,
                                  kernels.smo_solve(K, y).alpha)


def test_a_non_positive_definite_kernel_still_terminates():
    # A sigmoid kernel is not positive semi-definite; the curvature floor keeps steps finite.
    X, y = binary_problem(n=100)
    K = np.tanh(0.5 * X @ X.T - 1.0)
    result = kernels.smo_solve(K, y, C=1.0, max_iter=100000)
    assert np.isfinite(result.alpha).all() and np.isfinite(result.bias)
    assert (result.alpha >= 0).all() and (result.alpha <= 1.0).all()


def test_bad_arguments():
    K = np.eye(4)
    y = np.array([1.0, -1.0, 1.0, -1.0])
    with pytest.raises(TypeError, match="K must have dtype float64"):
        kernels.smo_solve(K.astype(np.float32), y)
    with pytest.raises(TypeError, match="K must be a numpy.ndarray"):
        kernels.smo_solve(K.tolist(), y)
    with pytest.raises(TypeError, match="y must have dtype float64"):
        kernels.smo_solve(K, y.astype(np.int64))
    with pytest.raises(ValueError, match="K must be square"):
        kernels.smo_solve(np.ones((4, 3)), y)
    with pytest.raises(ValueError, match="K must be 2-D"):
        kernels.smo_solve(np.ones(4), y)
    with pytest.raises(ValueError, match=r"y must have shape \(4,\)"):
        kernels.smo_solve(K, y[:3])
    with pytest.raises(ValueError, match=r"only -1 and \+1"):
        kernels.smo_solve(K, np.array([1.0, 0.0, 1.0, -1.0]))
    with pytest.raises(ValueError, match="both classes"):
        kernels.smo_solve(K, np.ones(4))
    with pytest.raises(ValueError, match="NaN or infinity"):
        bad = K.copy()
        bad[2, 1] = bad[1, 2] = np.nan
        kernels.smo_solve(bad, y)
    with pytest.raises(ValueError, match="symmetric"):
        bad = K.copy()
        bad[0, 3] = 0.5
        kernels.smo_solve(bad, y)
    for C in (0.0, -1.0):
        with pytest.raises(ValueError, match="C must be > 0"):
            kernels.smo_solve(K, y, C=C)
    with pytest.raises(ValueError, match="C must be finite"):
        kernels.smo_solve(K, y, C=np.inf)
    with pytest.raises(TypeError, match="C must be a real number"):
        kernels.smo_solve(K, y, C="1")
    with pytest.raises(ValueError, match="tol must be > 0"):
        kernels.smo_solve(K, y, tol=0.0)
    with pytest.raises(ValueError, match="tol must be finite"):
        kernels.smo_solve(K, y, tol=np.nan)
    with pytest.raises(ValueError, match="max_iter must be -1"):
        kernels.smo_solve(K, y, max_iter=-2)
    with pytest.raises(TypeError, match="max_iter must be an int"):
        kernels.smo_solve(K, y, max_iter=1.5)
