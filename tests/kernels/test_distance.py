"""rb.kernels.pairwise_distances / kneighbors / kernel_matrix against float64
NumPy references written here and against scikit-learn.

Every value test takes the `isa` fixture (tests/conftest.py), so it runs on
each SIMD path this build and CPU support.
"""

import math

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt import kernels as K

DTYPES = [np.float32, np.float64]
# (metric, p) pairs: every metric, and minkowski both on its general path
# and on the three exponents that take a specialized one.
METRICS = [
    ("euclidean", 2.0), ("sqeuclidean", 2.0), ("manhattan", 2.0), ("chebyshev", 2.0),
    ("hamming", 2.0), ("cosine", 2.0), ("minkowski", 1.5), ("minkowski", 3.0),
    ("minkowski", 1.0), ("minkowski", 2.0), ("minkowski", math.inf),
]
METRIC_IDS = [f"{m}-{p}" if m == "minkowski" else m for m, p in METRICS]
KERNELS = ["linear", "poly", "rbf", "sigmoid"]
# (n, m, d): ones, primes, one row on either side, a long d, and the tile
# edges (128 rows of X, 512 rows of Y per tile).
SHAPES = [
    (1, 1, 1), (1, 7, 3), (7, 1, 5), (13, 37, 17), (5, 3, 300), (129, 67, 4), (31, 530, 3),
]


def ref_distances(X, Y, metric, p=2.0):
    """float64 distances by explicit differences (no expansion)."""
    X, Y = X.astype(np.float64), Y.astype(np.float64)
    diff = X[:, None, :] - Y[None, :, :]
    if metric == "minkowski":
        metric = {1.0: "manhattan", 2.0: "euclidean", math.inf: "chebyshev"}.get(p, metric)
    if metric == "euclidean":
        return np.sqrt((diff**2).sum(-1))
    if metric == "sqeuclidean":
        return (diff**2).sum(-1)
    if metric == "manhattan":
        return np.abs(diff).sum(-1)
    if metric == "chebyshev":
        return np.abs(diff).max(-1)
    if metric == "minkowski":
        return (np.abs(diff) ** p).sum(-1) ** (1 / p)
    if metric == "hamming":
        return (diff != 0).mean(-1)
    if metric == "cosine":
        nx, ny = np.linalg.norm(X, axis=1), np.linalg.norm(Y, axis=1)
        nx[nx < 10 * np.finfo(np.float64).eps] = 1
        ny[ny < 10 * np.finfo(np.float64).eps] = 1
        return np.clip(1 - (X @ Y.T) / np.outer(nx, ny), 0, 2)
    raise AssertionError(metric)


def distance_tolerance(X, Y, metric, p, expected, dtype):
    """Bound on |ours - exact|: the expansion's cancellation for the GEMM
    metrics, a few eps per term summed for the others."""
    X, Y = X.astype(np.float64), Y.astype(np.float64)
    eps, d = np.finfo(dtype).eps, X.shape[1]
    if metric == "minkowski":
        metric = {1.0: "manhattan", 2.0: "euclidean", math.inf: "chebyshev"}.get(p, metric)
    if metric in ("euclidean", "sqeuclidean"):
        sq = (X**2).sum(1)[:, None] + (Y**2).sum(1)[None, :]
        bound = 8 * eps * (d + 2) * sq
        return np.sqrt(bound) + 4 * eps * expected if metric == "euclidean" else bound
    if metric == "cosine":
        return np.full_like(expected, 16 * eps * (d + 2))
    return 4 * eps * (d + 2) * expected + np.finfo(dtype).tiny


def assert_within(result, expected, tolerance):
    err = np.abs(result.astype(np.float64) - expected)
    bad = np.argwhere(~(err <= tolerance))
    assert bad.size == 0, (
        f"{len(bad)} mismatches, first at {bad[0].tolist()}: got {result[tuple(bad[0])]}, "
        f"expected {expected[tuple(bad[0])]}, tolerance {tolerance[tuple(bad[0])]}"
    )


def points(rng, shape, dtype, metric="euclidean"):
    """Random points; for hamming, few distinct values so that coordinates tie."""
    if metric == "hamming":
        return rng.integers(0, 3, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def check_distances(X, Y, metric, p):
    dtype = X.dtype
    result = K.pairwise_distances(X, Y, metric=metric, p=p)
    Yr = X if Y is None else Y
    assert result.shape == (X.shape[0], Yr.shape[0]) and result.dtype == dtype
    expected = ref_distances(X, Yr, metric, p)
    assert_within(result, expected, distance_tolerance(X, Yr, metric, p, expected, dtype))
    return result


def stable_k_smallest(D, k):
    """(distances, indices) of the k smallest per row, ties by the lower index."""
    idx = np.argsort(D, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(D, idx, axis=1), idx


# ---------------------------------------------------------------------------
# pairwise_distances


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("metric,p", METRICS, ids=METRIC_IDS)
@pytest.mark.parametrize("n,m,d", SHAPES)
def test_pairwise_matches_reference(isa, dtype, metric, p, n, m, d):
    rng = np.random.default_rng(n * 1009 + m * 31 + d)
    check_distances(points(rng, (n, d), dtype, metric), points(rng, (m, d), dtype, metric),
                    metric, p)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("metric,p", METRICS, ids=METRIC_IDS)
def test_pairwise_with_itself_has_an_exact_zero_diagonal(isa, dtype, metric, p):
    rng = np.random.default_rng(5)
    X = points(rng, (140, 9), dtype, metric) * 30
    for result in (check_distances(X, None, metric, p), K.pairwise_distances(X, X, metric=metric, p=p)):
        np.testing.assert_array_equal(np.diag(result), 0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("metric,p", METRICS, ids=METRIC_IDS)
def test_pairwise_reads_any_strides(isa, dtype, metric, p):
    rng = np.random.default_rng(6)
    base = points(rng, (40, 30), dtype, metric)
    Y = base[1::2, ::-3]  # (20, 10), negative column stride
    for X in (base[::2, 1::3], np.asfortranarray(base[:17, :10]), base[::-3, ::-3]):
        check_distances(X, Y, metric, p)
        check_distances(X, None, metric, p)
    itemsize = np.dtype(dtype).itemsize
    unaligned = np.ndarray((3, 7), dtype, buffer=np.zeros(21 * itemsize + 1, np.uint8), offset=1)
    unaligned[...] = base[:3, :7]
    assert not unaligned.flags.aligned
    check_distances(unaligned, base[:5, :7], metric, p)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("metric,p", METRICS, ids=METRIC_IDS)
def test_pairwise_large_values(isa, dtype, metric, p):
    rng = np.random.default_rng(7)
    scale = 1e15 if dtype == np.float64 else 1e6
    X, Y = (points(rng, (20, 6), dtype, metric) * scale, points(rng, (30, 6), dtype, metric) * scale)
    check_distances(X.astype(dtype), Y.astype(dtype), metric, p)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("metric,p", METRICS, ids=METRIC_IDS)
def test_empty_sets(dtype, metric, p):
    X, Y = np.zeros((0, 4), dtype), np.ones((3, 4), dtype)
    assert K.pairwise_distances(X, Y, metric=metric, p=p).shape == (0, 3)
    assert K.pairwise_distances(X, metric=metric, p=p).shape == (0, 0)
    assert K.pairwise_distances(Y, X, metric=metric, p=p).shape == (3, 0)
    d, i = K.kneighbors(X, Y, 2, metric=metric, p=p)
    assert d.shape == i.shape == (0, 2) and d.dtype == dtype and i.dtype == np.int64


def test_metric_aliases():
    rng = np.random.default_rng(19)
    X, Y = rng.standard_normal((9, 4)), rng.standard_normal((11, 4))
    for alias, metric in [("l2", "euclidean"), ("cityblock", "manhattan"), ("l1", "manhattan")]:
        np.testing.assert_array_equal(K.pairwise_distances(X, Y, metric=alias),
                                      K.pairwise_distances(X, Y, metric=metric))


def test_cosine_of_zero_vectors_follows_sklearn(isa):
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 0.0], [3.0, 4.0]])
    result = K.pairwise_distances(X, metric="cosine")
    expected = np.array([[0, 1, 1, 1], [1, 0, 1, 0.4], [1, 1, 0, 1], [1, 0.4, 1, 0]])
    np.testing.assert_allclose(result, expected, atol=1e-15)
    # Not the same object: no diagonal fix, the zero vectors are at distance 1.
    np.testing.assert_allclose(K.pairwise_distances(X, X.copy(), metric="cosine")[[0, 2], [0, 2]], 1)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cosine_leaves_tiny_vectors_unscaled_as_sklearn(isa, dtype):
    """normalize() leaves a norm below 10 eps as it is: similarity ~0, distance ~1."""
    tiny = 1e-17 if dtype == np.float64 else 1e-8
    X = np.array([[tiny, 0.0], [1.0, 0.0], [0.0, 2.0]], dtype)
    result = K.pairwise_distances(X, X.copy(), metric="cosine")
    np.testing.assert_allclose(result[0], [1, 1, 1], atol=1e-6)
    np.testing.assert_allclose(result[1:, 1:], [[0, 1], [1, 0]], atol=1e-6)
    metrics = pytest.importorskip("sklearn.metrics")
    np.testing.assert_allclose(result, metrics.pairwise_distances(X, X.copy(), metric="cosine"), atol=1e-6)


def test_euclidean_overflow_of_the_expansion_is_reported():
    X = np.full((2, 3), 1e20, np.float32)
    with pytest.raises(ValueError, match="squared row norm of X overflows"):
        K.pairwise_distances(X, np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match="squared row norm of Y overflows"):
        K.kneighbors(np.ones((2, 3), np.float32), X, 1)
    # The per-coordinate metrics have no expansion: the distance itself is finite.
    np.testing.assert_allclose(K.pairwise_distances(X, X * 0, metric="chebyshev"), 1e20, rtol=1e-6)


def test_results_do_not_depend_on_thread_count(isa):
    rng = np.random.default_rng(8)
    X, Y = rng.standard_normal((300, 20)), rng.standard_normal((1100, 20))
    previous = rb.get_num_threads()
    results = {}
    try:
        for threads in (1, 2):
            rb.set_num_threads(threads)
            results[threads] = [K.pairwise_distances(X, Y, metric=m) for m in ("euclidean", "manhattan")]
            results[threads] += list(K.kneighbors(X, Y, 7))
            results[threads].append(K.kernel_matrix(X, Y))
    finally:
        rb.set_num_threads(previous)
    for a, b in zip(results[1], results[2]):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------------
# kneighbors


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("metric,p", METRICS, ids=METRIC_IDS)
@pytest.mark.parametrize("n,m,d,k", [(1, 1, 3, 1), (7, 1, 2, 1), (9, 40, 5, 40), (130, 600, 6, 37),
                                     (200, 16, 8, 1), (3, 1100, 4, 5)])
def test_kneighbors_is_a_stable_argsort_of_the_distances(isa, dtype, metric, p, n, m, d, k):
    rng = np.random.default_rng(n + m + d + k)
    X, Y = points(rng, (n, d), dtype, metric), points(rng, (m, d), dtype, metric)
    Y[m // 2:][: m // 4] = Y[: m // 4]  # duplicate points: exact ties
    dist, idx = K.kneighbors(X, Y, k, metric=metric, p=p)
    assert dist.dtype == dtype and idx.dtype == np.int64 and dist.shape == idx.shape == (n, k)
    expected_dist, expected_idx = stable_k_smallest(K.pairwise_distances(X, Y, metric=metric, p=p), k)
    np.testing.assert_array_equal(idx, expected_idx)
    np.testing.assert_array_equal(dist, expected_dist)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("metric,p", METRICS, ids=METRIC_IDS)
def test_kneighbors_ties_go_to_the_lower_index(isa, dtype, metric, p):
    # Small integers: every metric but the cosine and the general minkowski is
    # exact here, so ties are real and the exact reference decides the order.
    rng = np.random.default_rng(9)
    X, Y = rng.integers(0, 3, (50, 4)).astype(dtype), rng.integers(0, 3, (700, 4)).astype(dtype)
    dist, idx = K.kneighbors(X, Y, 25, metric=metric, p=p)
    exact = ref_distances(X, Y, metric, p)
    if metric != "cosine" and (metric != "minkowski" or p in (1.0, 2.0, math.inf)):
        expected_dist, expected_idx = stable_k_smallest(exact, 25)
        np.testing.assert_array_equal(idx, expected_idx)
        np.testing.assert_allclose(dist, expected_dist, rtol=np.finfo(dtype).eps)
    _, expected_idx = stable_k_smallest(K.pairwise_distances(X, Y, metric=metric, p=p), 25)
    np.testing.assert_array_equal(idx, expected_idx)


def test_kneighbors_of_itself_finds_itself_first(isa):
    rng = np.random.default_rng(10)
    X = rng.standard_normal((150, 5)).astype(np.float32)
    for metric in ("euclidean", "sqeuclidean", "cosine", "manhattan"):
        dist, idx = K.kneighbors(X, X, 3, metric=metric)
        np.testing.assert_array_equal(idx[:, 0], np.arange(150))
        np.testing.assert_array_equal(dist[:, 0], 0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_kmeans_assignment(isa, dtype):
    """k=1 sqeuclidean: the nearest center and its squared distance."""
    rng = np.random.default_rng(11)
    X, C = rng.standard_normal((5000, 16)).astype(dtype), rng.standard_normal((16, 16)).astype(dtype)
    dist, idx = K.kneighbors(X, C, 1, metric="sqeuclidean")
    exact = ref_distances(X, C, "sqeuclidean")
    tol = distance_tolerance(X, C, "sqeuclidean", 2.0, exact, dtype)
    chosen = exact[np.arange(5000), idx[:, 0]]
    assert np.all(chosen <= exact.min(1) + 2 * tol.max(1))  # optimal up to rounding
    assert (idx[:, 0] == exact.argmin(1)).mean() > 0.999
    assert_within(dist[:, 0], chosen, tol[np.arange(5000), idx[:, 0]])


@pytest.mark.parametrize("k", [1, 2, 3])
def test_kneighbors_of_infinite_distances(isa, k):
    """Finite points whose manhattan/chebyshev distance overflows to inf still get
    real neighbours, in index order."""
    X = np.array([[3e38, 0.0]], np.float32)
    Y = np.array([[-3e38, 0.0], [-3e38, 1.0], [-3e38, 2.0]], np.float32)
    for metric in ("manhattan", "chebyshev"):
        dist, idx = K.kneighbors(X, Y, k, metric=metric)
        np.testing.assert_array_equal(idx, [list(range(k))])
        assert np.all(np.isinf(dist))


def test_kneighbors_with_all_of_y(isa):
    rng = np.random.default_rng(12)
    X, Y = rng.standard_normal((10, 3)), rng.standard_normal((45, 3))
    dist, idx = K.kneighbors(X, Y, 45, metric="manhattan")
    np.testing.assert_array_equal(np.sort(idx, axis=1), np.broadcast_to(np.arange(45), (10, 45)))
    assert np.all(np.diff(dist, axis=1) >= 0)


# ---------------------------------------------------------------------------
# kernel_matrix


def ref_kernel(X, Y, kernel, gamma, degree, coef0):
    X, Y = X.astype(np.float64), Y.astype(np.float64)
    dot = X @ Y.T
    if kernel == "linear":
        return dot
    if kernel == "poly":
        return (gamma * dot + coef0) ** degree
    if kernel == "rbf":
        return np.exp(-gamma * ref_distances(X, Y, "sqeuclidean"))
    return np.tanh(gamma * dot + coef0)


def kernel_tolerance(X, Y, kernel, gamma, degree, coef0, expected, dtype):
    X, Y = np.abs(X.astype(np.float64)), np.abs(Y.astype(np.float64))
    eps, d = np.finfo(dtype).eps, X.shape[1]
    dot_err = 8 * eps * (d + 2) * (X @ Y.T)
    if kernel == "linear":
        return dot_err + eps
    if kernel == "poly":
        base = gamma * (X @ Y.T) + abs(coef0)
        return degree * base ** (degree - 1) * gamma * dot_err + 8 * degree * eps * base**degree
    if kernel == "rbf":  # |d exp(-g s)| <= g exp(-g s) |ds|, with the expansion's error of s
        sq = (X**2).sum(1)[:, None] + (Y**2).sum(1)[None, :]
        return gamma * 8 * eps * (d + 2) * sq * np.maximum(expected, 8 * eps * (d + 2) * sq * gamma) + 8 * eps
    return gamma * dot_err + 8 * eps


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("n,m,d", SHAPES)
def test_kernel_matrix_matches_reference(isa, dtype, kernel, n, m, d):
    rng = np.random.default_rng(n * 7 + m * 3 + d)
    X, Y = rng.standard_normal((n, d)).astype(dtype), rng.standard_normal((m, d)).astype(dtype)
    gamma, degree, coef0 = 0.7 / d, 3, 0.5
    result = K.kernel_matrix(X, Y, kernel=kernel, gamma=gamma, degree=degree, coef0=coef0)
    assert result.shape == (n, m) and result.dtype == dtype
    expected = ref_kernel(X, Y, kernel, gamma, degree, coef0)
    assert_within(result, expected, kernel_tolerance(X, Y, kernel, gamma, degree, coef0, expected, dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("degree", [1, 2, 5])
def test_kernel_defaults_and_degrees(isa, dtype, kernel, degree):
    rng = np.random.default_rng(13)
    X = rng.standard_normal((33, 8)).astype(dtype)
    result = K.kernel_matrix(X, kernel=kernel, degree=degree)  # gamma = 1 / 8, coef0 = 1
    expected = ref_kernel(X, X, kernel, 1 / 8, degree, 1.0)
    assert_within(result, expected, kernel_tolerance(X, X, kernel, 1 / 8, degree, 1.0, expected, dtype))
    if kernel == "rbf":
        np.testing.assert_array_equal(np.diag(result), 1)


def test_kernel_matrix_empty_and_strided(isa):
    rng = np.random.default_rng(14)
    assert K.kernel_matrix(np.zeros((0, 3))).shape == (0, 0)
    assert K.kernel_matrix(np.zeros((4, 3)), np.zeros((0, 3))).shape == (4, 0)
    base = rng.standard_normal((30, 20))
    X, Y = base[::3, ::2], np.asfortranarray(base[:7, :10])
    np.testing.assert_allclose(K.kernel_matrix(X, Y, kernel="linear"), X @ Y.T, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------
# scikit-learn


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("metric,p", METRICS, ids=METRIC_IDS)
def test_pairwise_matches_sklearn(dtype, metric, p):
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(15)
    X, Y = points(rng, (60, 11), dtype, metric), points(rng, (45, 11), dtype, metric)
    kwargs = {"p": p} if metric == "minkowski" else {}
    for Yarg in (Y, None):
        Yr = X if Yarg is None else Y
        ours = K.pairwise_distances(X, Yarg, metric=metric, p=p)
        theirs = metrics.pairwise_distances(X.astype(np.float64), None if Yarg is None else Yr.astype(np.float64),
                                            metric=metric, **kwargs)
        expected = ref_distances(X, Yr, metric, p)
        tol = 2 * distance_tolerance(X, Yr, metric, p, expected, dtype)
        assert_within(ours, theirs, tol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kernel", KERNELS)
def test_kernel_matrix_matches_sklearn(dtype, kernel):
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(16)
    X, Y = rng.standard_normal((50, 7)).astype(dtype), rng.standard_normal((40, 7)).astype(dtype)
    kwargs = {"poly": {"degree": 3, "coef0": 1.0}, "sigmoid": {"coef0": 1.0}}.get(kernel, {})
    if kernel != "linear":
        kwargs["gamma"] = None  # 1 / n_features in both
    for Yarg in (Y, None):
        Yr = X if Yarg is None else Y
        ours = K.kernel_matrix(X, Yarg, kernel=kernel)
        theirs = metrics.pairwise_kernels(X.astype(np.float64), Yr.astype(np.float64), metric=kernel, **kwargs)
        gamma = 1 / 7
        expected = ref_kernel(X, Yr, kernel, gamma, 3, 1.0)
        tol = 2 * kernel_tolerance(X, Yr, kernel, gamma, 3, 1.0, expected, dtype)
        assert_within(ours, theirs, tol)


@pytest.mark.parametrize("metric,p", METRICS, ids=METRIC_IDS)
def test_kneighbors_matches_sklearn(metric, p):
    neighbors = pytest.importorskip("sklearn.neighbors")
    rng = np.random.default_rng(17)
    X, Y = rng.standard_normal((80, 6)), rng.standard_normal((300, 6))  # no ties
    kwargs = {"p": p} if metric == "minkowski" else {}
    if metric == "hamming":
        X, Y = X > 0, Y > 0.5
        X, Y = X.astype(np.float64), Y.astype(np.float64)
    nn = neighbors.NearestNeighbors(n_neighbors=5, algorithm="brute", metric=metric, **kwargs).fit(Y)
    their_dist, their_idx = nn.kneighbors(X)
    dist, idx = K.kneighbors(X, Y, 5, metric=metric, p=p)
    np.testing.assert_allclose(dist, their_dist, rtol=1e-12, atol=1e-7 if metric != "sqeuclidean" else 1e-12)
    if metric != "hamming":  # hamming ties everywhere; sklearn does not fix their order
        np.testing.assert_array_equal(idx, their_idx)


# ---------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize("fn", ["pairwise_distances", "kernel_matrix", "kneighbors"])
def test_rejects_bad_arrays(fn):
    good = np.ones((3, 4))
    call = (lambda X, Y: K.kneighbors(X, Y, 1)) if fn == "kneighbors" else getattr(K, fn)
    for X, Y, error, message in [
        ([[1.0, 2.0]], good, TypeError, "X must be a numpy.ndarray"),
        (good, [[1.0] * 4], TypeError, "Y must be a numpy.ndarray"),
        (np.ones((3, 4), np.int64), good, TypeError, "X must have dtype float32 or float64"),
        (good, np.ones((3, 4), np.float32), TypeError, "Y must have the dtype of X"),
        (np.ones(4), good, ValueError, "X must be 2-D"),
        (good, np.ones((2, 3, 4)), ValueError, "Y must be 2-D"),
        (good, np.ones((3, 5)), ValueError, "Y must have the number of columns of X"),
        (np.ones((3, 0)), np.ones((3, 0)), ValueError, "at least one column"),
        (np.ones((0, 0)), np.ones((3, 0)), ValueError, "at least one column"),
    ]:
        with pytest.raises(error, match=message):
            call(X, Y)


@pytest.mark.parametrize("fn", ["pairwise_distances", "kernel_matrix", "kneighbors"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_rejects_non_finite_values(fn, dtype, bad):
    call = (lambda X, Y: K.kneighbors(X, Y, 1)) if fn == "kneighbors" else getattr(K, fn)
    X, Y = np.ones((5, 4), dtype), np.ones((6, 4), dtype)
    X[3, 2] = bad
    with pytest.raises(ValueError, match="X must not contain NaN or infinity, found .* at row 3, column 2"):
        call(X, Y)
    X[3, 2] = 0
    Y.T[1, 5] = bad  # also through a transposed (copied) view
    with pytest.raises(ValueError, match="Y must not contain NaN or infinity, found .* at row 5, column 1"):
        call(X, np.asfortranarray(Y))


def test_rejects_bad_metric_and_p():
    X = np.ones((3, 2))
    for kwargs, error, message in [
        ({"metric": "mahalanobis"}, ValueError, "metric must be 'euclidean'"),
        ({"metric": None}, TypeError, "metric must be a str"),
        ({"p": 0.5}, ValueError, r"p must be >= 1"),
        ({"metric": "minkowski", "p": float("nan")}, ValueError, "p must be >= 1"),
        ({"metric": "minkowski", "p": "2"}, TypeError, "p must be a real number"),
        ({"p": True}, TypeError, "p must be a real number"),
    ]:
        with pytest.raises(error, match=message):
            K.pairwise_distances(X, **kwargs)
        with pytest.raises(error, match=message):
            K.kneighbors(X, X, 1, **kwargs)


def test_rejects_bad_n_neighbors():
    X, Y = np.ones((3, 2)), np.ones((4, 2))
    for k, error in [(0, ValueError), (5, ValueError), (-1, ValueError), (2.0, TypeError),
                     (True, TypeError), (None, TypeError)]:
        with pytest.raises(error, match="n_neighbors"):
            K.kneighbors(X, Y, k)
    with pytest.raises(ValueError, match=r"n_neighbors must be in \[1, len\(Y\)\] = \[1, 0\]"):
        K.kneighbors(X, np.ones((0, 2)), 1)
    with pytest.raises(TypeError, match="Y must be a numpy.ndarray"):
        K.kneighbors(X, None, 1)
    assert K.kneighbors(X, Y, np.int64(4))[1].shape == (3, 4)


def test_rejects_bad_kernel_parameters():
    X = np.ones((3, 2))
    for kwargs, error, message in [
        ({"kernel": "laplacian"}, ValueError, "kernel must be 'linear', 'poly', 'rbf' or 'sigmoid'"),
        ({"kernel": 3}, TypeError, "kernel must be a str"),
        ({"gamma": 0.0}, ValueError, "gamma must be > 0"),
        ({"gamma": -1.0}, ValueError, "gamma must be > 0"),
        ({"gamma": float("inf")}, ValueError, "gamma must be finite"),
        ({"gamma": float("nan")}, ValueError, "gamma must be finite"),
        ({"gamma": "scale"}, TypeError, "gamma must be a real number"),
        ({"degree": 0}, ValueError, "degree must be >= 1"),
        ({"degree": 2.5}, TypeError, "degree must be an int"),
        ({"degree": True}, TypeError, "degree must be an int"),
        ({"coef0": float("nan")}, ValueError, "coef0 must be finite"),
    ]:
        with pytest.raises(error, match=message):
            K.kernel_matrix(X, **kwargs)


def test_options_are_keyword_only():
    X = np.ones((3, 2))
    with pytest.raises(TypeError):
        K.pairwise_distances(X, X, "manhattan")
    with pytest.raises(TypeError):
        K.kneighbors(X, X, 1, "manhattan")
    with pytest.raises(TypeError):
        K.kernel_matrix(X, X, "linear")


def test_inputs_are_left_alone():
    rng = np.random.default_rng(18)
    X, Y = rng.standard_normal((20, 5)), rng.standard_normal((30, 5))
    X0, Y0 = X.copy(), Y.copy()
    K.pairwise_distances(X, Y)
    K.kneighbors(X, Y, 3, metric="manhattan")
    K.kernel_matrix(X, Y)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(Y, Y0)
