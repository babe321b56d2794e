"""rb.kernels.kmeans_lloyd against a float64 NumPy Lloyd reference and scikit-learn.

Every value test takes the `isa` fixture (tests/conftest.py), so it runs on
each SIMD path this build and CPU support.
"""

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt import kernels as K

DTYPES = [np.float32, np.float64]


def reference_lloyd(X, centers, max_iter, tol=0.0):
    """Lloyd's iterations in float64 with exact distances: (labels, centers, inertia, n_iter).

    Ties go to the lower center; each empty cluster (in increasing order) takes the point
    with the next largest distance to its old center (ties: lower index) from its cluster;
    a cluster left empty keeps its sum as center, as in scikit-learn."""
    X = X.astype(np.float64)
    c = centers.astype(np.float64)
    n, k = len(X), len(c)
    labels = np.full(n, -1)
    strict = False
    for iteration in range(1, max_iter + 1):
        d2 = ((X[:, None, :] - c[None]) ** 2).sum(-1)
        new = d2.argmin(1)
        changed = bool((new != labels).any())
        labels = new
        sums = np.zeros_like(c)
        np.add.at(sums, labels, X)
        counts = np.bincount(labels, minlength=k)
        empty = np.flatnonzero(counts == 0)
        if len(empty):
            order = np.lexsort((np.arange(n), -d2[np.arange(n), labels]))
            for j, f in zip(empty, order):
                old = labels[f]
                sums[old] -= X[f]
                counts[old] -= 1
                sums[j], counts[j] = X[f], 1
        new_c = sums / np.where(counts > 0, counts, 1)[:, None]
        shift = ((new_c - c) ** 2).sum()
        c = new_c
        if not changed:
            strict = True
            break
        if shift <= tol:
            break
    if not strict:
        labels = ((X[:, None, :] - c[None]) ** 2).sum(-1).argmin(1)
    return labels, c, float(((X - c[labels]) ** 2).sum()), iteration


def assert_matches_reference(result, X, init, max_iter, tol=0.0):
    labels, centers, inertia, n_iter = reference_lloyd(X, init, max_iter, tol)
    assert result.labels.dtype == np.int64 and result.centers.dtype == X.dtype
    np.testing.assert_array_equal(result.labels, labels)
    assert result.n_iter == n_iter
    rtol = 1e-5 if X.dtype == np.float32 else 1e-12
    scale = max(float(np.abs(X).max()), 1.0)
    np.testing.assert_allclose(result.centers, centers, rtol=rtol, atol=rtol * scale)
    assert result.inertia == pytest.approx(inertia, rel=rtol, abs=rtol * scale**2)


def blobs(n, d, clusters, seed, spread=10.0):
    rng = np.random.default_rng(seed)
    means = spread * rng.standard_normal((clusters, d))
    return means[rng.integers(0, clusters, n)] + rng.standard_normal((n, d))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n,d,k", [(2, 1, 1), (500, 5, 4), (1000, 17, 20), (333, 3, 33),
                                   (2048, 64, 16)])
def test_matches_reference_on_blobs(isa, dtype, n, d, k):
    X = blobs(n, d, max(k, 2), seed=n + d + k).astype(dtype)
    init = X[np.random.default_rng(k).choice(n, k, replace=False)]
    before = init.copy()
    result = K.kmeans_lloyd(X, init, max_iter=100)
    np.testing.assert_array_equal(init, before)  # the initial centers are not modified
    assert_matches_reference(result, X, init, 100)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("max_iter", [1, 2, 7])
def test_stops_after_max_iter(isa, dtype, max_iter):
    X = blobs(600, 6, 8, seed=4, spread=3.0).astype(dtype)  # 12 iterations to converge
    init = X[:8].copy()
    result = K.kmeans_lloyd(X, init, max_iter=max_iter)
    assert result.n_iter == max_iter
    assert_matches_reference(result, X, init, max_iter)


@pytest.mark.parametrize("dtype", DTYPES)
def test_stops_on_the_center_shift(isa, dtype):
    X = blobs(800, 4, 5, seed=4, spread=2.0).astype(dtype)
    init = X[:5].copy()
    full = reference_lloyd(X, init, 300)
    tol = 1e-2
    result = K.kmeans_lloyd(X, init, max_iter=300, tol=tol)
    assert result.n_iter < full[3]  # the shift test stops it before strict convergence
    assert_matches_reference(result, X, init, 300, tol)


def test_unstructured_float64_data(isa):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((1500, 24))
    init = X[:16].copy()
    assert_matches_reference(K.kmeans_lloyd(X, init, max_iter=15), X, init, 15)


@pytest.mark.parametrize("dtype", DTYPES)
def test_one_cluster_is_the_mean(isa, dtype):
    X = blobs(300, 7, 3, seed=6).astype(dtype)
    result = K.kmeans_lloyd(X, X[5:6].copy(), max_iter=10)
    np.testing.assert_array_equal(result.labels, 0)
    assert result.n_iter == 2  # the labels of iteration 2 equal those of iteration 1
    np.testing.assert_allclose(result.centers[0], X.astype(np.float64).mean(0),
                               rtol=1e-5, atol=1e-4 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_as_many_clusters_as_points(isa, dtype):
    X = blobs(40, 3, 4, seed=7).astype(dtype)
    init = X[::-1].copy()
    result = K.kmeans_lloyd(X, init, max_iter=10)
    np.testing.assert_array_equal(result.labels, np.arange(40)[::-1])
    np.testing.assert_array_equal(result.centers, init)
    assert result.inertia == 0.0
    assert result.n_iter == 1  # no center moved: the shift test (0 <= tol = 0) stops it
    assert_matches_reference(result, X, init, 10)


@pytest.mark.parametrize("dtype", DTYPES)
def test_ties_go_to_the_lower_center(isa, dtype):
    # Point 4 is as far from both centers; the duplicated points share their label.
    X = np.array([[0.0, 0.0], [0.0, 0.0], [2.0, 0.0], [2.0, 0.0], [1.0, 0.0]], dtype=dtype)
    init = np.array([[0.0, 0.0], [2.0, 0.0]], dtype=dtype)
    result = K.kmeans_lloyd(X, init, max_iter=1)
    assert_matches_reference(result, X, init, 1)
    np.testing.assert_array_equal(result.labels, [0, 0, 1, 1, 0])
    # Two equal centers: the second never wins a point and is relocated.
    twice = np.array([[0.0, 0.0], [0.0, 0.0], [2.0, 0.0]], dtype=dtype)
    result = K.kmeans_lloyd(X, twice, max_iter=10)
    assert_matches_reference(result, X, twice, 10)
    assert np.bincount(result.labels, minlength=3).min() >= 1


@pytest.mark.parametrize("dtype", DTYPES)
def test_empty_cluster_is_relocated_as_in_sklearn(isa, dtype):
    sklearn_cluster = pytest.importorskip("sklearn.cluster")
    rng = np.random.default_rng(9)
    X = np.concatenate([rng.standard_normal((60, 2)), rng.standard_normal((60, 2)) + [12.0, 0.0],
                        [[6.0, 30.0], [6.0, -25.0]]]).astype(dtype)
    # The last two centers attract nothing: the farthest points (then the next farthest) move.
    init = np.array([[0.0, 0.0], [12.0, 0.0], [500.0, 500.0], [-500.0, 500.0]], dtype=dtype)
    ours = K.kmeans_lloyd(X, init, max_iter=50)
    ref = sklearn_cluster.KMeans(4, init=init, n_init=1, max_iter=50, tol=0,
                                      algorithm="lloyd").fit(X)
    np.testing.assert_array_equal(ours.labels, ref.labels_)
    if dtype == np.float64:
        # In float32, scikit-learn's float32 sums round (sum of 61 points - the relocated
        # one) differently from the next iteration's sum of the same 60 points, so its
        # centers move by a rounding error and it runs one more iteration than the exact
        # arithmetic does; our double sums see no move and stop (as the reference does).
        assert ours.n_iter == ref.n_iter_
    np.testing.assert_allclose(ours.centers, ref.cluster_centers_, rtol=1e-5, atol=1e-5)
    assert ours.inertia == pytest.approx(ref.inertia_, rel=1e-5)
    assert_matches_reference(ours, X, init, 50)
    assert sorted(np.bincount(ours.labels).tolist()) == [1, 1, 60, 60]


def test_results_do_not_depend_on_thread_count(isa):
    rng = np.random.default_rng(10)
    X = rng.standard_normal((5000, 20)).astype(np.float32)
    init = X[:24].copy()
    previous = rb.get_num_threads()
    results = {}
    try:
        for threads in (1, 2):
            rb.set_num_threads(threads)
            results[threads] = K.kmeans_lloyd(X, init, max_iter=20)
    finally:
        rb.set_num_threads(previous)
    one, two = results[1], results[2]
    np.testing.assert_array_equal(one.labels, two.labels)
    np.testing.assert_array_equal(one.centers, two.centers)
    assert one.inertia == two.inertia and one.n_iter == two.n_iter


def test_reads_strided_views(isa):
    X = blobs(400, 6, 4, seed=11)
    view = np.asfortranarray(X)[:, ::-1]
    init = view[:4].copy()
    np.testing.assert_array_equal(K.kmeans_lloyd(view, init, max_iter=20).labels,
                                  K.kmeans_lloyd(np.ascontiguousarray(view), init, max_iter=20).labels)


def test_bad_input():
    X = blobs(50, 3, 2, seed=12)
    C = X[:2].copy()
    with pytest.raises(TypeError, match="X must be a numpy.ndarray"):
        K.kmeans_lloyd(X.tolist(), C)
    with pytest.raises(TypeError, match="X must have dtype float32 or float64"):
        K.kmeans_lloyd(X.astype(np.int64), C)
    with pytest.raises(TypeError, match="centers must have the dtype of X"):
        K.kmeans_lloyd(X, C.astype(np.float32))
    with pytest.raises(ValueError, match="X must be 2-D"):
        K.kmeans_lloyd(X[0], C)
    with pytest.raises(ValueError, match="centers must be 2-D"):
        K.kmeans_lloyd(X, C[0])
    with pytest.raises(ValueError, match="centers must have 3 columns"):
        K.kmeans_lloyd(X, C[:, :2].copy())
    with pytest.raises(ValueError, match="centers must have between 1 and n_samples = 50 rows"):
        K.kmeans_lloyd(X, C[:0])
    with pytest.raises(ValueError, match="centers must have between 1 and n_samples = 50 rows"):
        K.kmeans_lloyd(X, np.concatenate([X, X[:1]]))
    with pytest.raises(ValueError, match="X must have at least one row"):
        K.kmeans_lloyd(X[:0], C)
    with pytest.raises(ValueError, match="max_iter must be >= 1"):
        K.kmeans_lloyd(X, C, max_iter=0)
    with pytest.raises(TypeError, match="max_iter must be an int"):
        K.kmeans_lloyd(X, C, max_iter=2.5)
    for tol in (-1.0, np.nan, np.inf):
        with pytest.raises(ValueError, match="tol must be"):
            K.kmeans_lloyd(X, C, tol=tol)
    with pytest.raises(TypeError, match="tol must be a real number"):
        K.kmeans_lloyd(X, C, tol="0")
    for value in (np.nan, np.inf):
        bad = X.copy()
        bad[7, 1] = value
        with pytest.raises(ValueError, match="X must not contain NaN or infinity"):
            K.kmeans_lloyd(bad, C)
        with pytest.raises(ValueError, match="centers must not contain NaN or infinity"):
            K.kmeans_lloyd(X, np.where(np.arange(3) == 1, value, C))
    huge = np.full((4, 2), 1e30, dtype=np.float32)
    with pytest.raises(ValueError, match="squared center norm overflows"):
        K.kmeans_lloyd(huge, huge[:2].copy())
