"""KMeans against scikit-learn from the same initial centers; k-means++; predict/transform/score; errors."""

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.classic import KMeans, NotFittedError, kmeans_plusplus

sklearn_cluster = pytest.importorskip("sklearn.cluster")


@pytest.fixture(scope="module")
def digits():
    return rb.data.load_digits()


def blobs(n=600, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, n)
    centers = np.array([[0.0, 0.0], [20.0, 0.0], [0.0, 20.0], [20.0, 20.0]])
    return centers[labels] + rng.standard_normal((n, 2)), labels


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_clusters", [3, 10, 16])
def test_inertia_matches_sklearn_from_the_same_centers(digits, dtype, n_clusters):
    X = digits[0].astype(dtype)
    init = X[np.random.default_rng(n_clusters).choice(len(X), n_clusters, replace=False)]
    ours = KMeans(n_clusters=n_clusters, init=init, n_init=1).fit(X)
    ref = sklearn_cluster.KMeans(n_clusters, init=init, n_init=1).fit(X)
    assert abs(ours.inertia_ - ref.inertia_) <= 0.01 * ref.inertia_
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-5)
    assert ours.n_iter_ == ref.n_iter_
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    np.testing.assert_allclose(ours.cluster_centers_, ref.cluster_centers_, atol=1e-3)
    assert ours.cluster_centers_.dtype == dtype


def test_fixed_iterations_with_zero_tolerance(digits):
    X = digits[0]
    init = X[:16]
    ours = KMeans(n_clusters=16, init=init, max_iter=5, tol=0).fit(X)
    ref = sklearn_cluster.KMeans(16, init=init, n_init=1, max_iter=5, tol=0).fit(X)
    assert ours.n_iter_ == ref.n_iter_ == 5
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-5)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)


def test_kmeans_plusplus_seeding(digits):
    X = digits[0].astype(np.float64)
    centers, indices = kmeans_plusplus(X, 10, random_state=0)
    np.testing.assert_array_equal(centers, X[indices])
    assert len(set(indices.tolist())) == 10
    # Seeding spreads the centers: far lower inertia than uniformly drawn ones, on average.
    def inertia(c):
        return ((X[:, None, :] - c[None]) ** 2).sum(-1).min(1).sum()
    rng = np.random.default_rng(0)
    seeded = np.mean([inertia(kmeans_plusplus(X, 10, random_state=s)[0]) for s in range(5)])
    uniform = np.mean([inertia(X[rng.choice(len(X), 10, replace=False)]) for _ in range(5)])
    assert seeded < 0.9 * uniform
    # Each seed (center + Lloyd) ends near scikit-learn's k-means++ result.
    ours = KMeans(n_clusters=10, random_state=0, n_init=4).fit(X)
    ref = sklearn_cluster.KMeans(10, random_state=0, n_init=4).fit(X)
    assert ours.inertia_ <= 1.03 * ref.inertia_


def test_recovers_blobs_and_methods_agree():
    X, labels = blobs()
    model = KMeans(n_clusters=4, random_state=0, n_init=3).fit(X)
    # The clustering equals the generating labels up to a permutation.
    pairs = set(zip(model.labels_.tolist(), labels.tolist()))
    assert len(pairs) == 4
    np.testing.assert_array_equal(model.predict(X), model.labels_)
    np.testing.assert_array_equal(KMeans(n_clusters=4, random_state=0, n_init=3).fit_predict(X),
                                  model.labels_)
    distances = model.transform(X)
    expected = np.sqrt(((X[:, None, :] - model.cluster_centers_[None]) ** 2).sum(-1))
    np.testing.assert_allclose(distances, expected, rtol=1e-6, atol=1e-6)
    assert model.score(X) == pytest.approx(-model.inertia_, rel=1e-9)
    assert model.inertia_ == pytest.approx((distances.min(axis=1) ** 2).sum(), rel=1e-9)
    np.testing.assert_array_equal(model.fit_transform(X), distances)


def test_random_init_and_runs_are_repeatable():
    X, _ = blobs(seed=1)
    a = KMeans(n_clusters=5, init="random", random_state=7).fit(X)
    b = KMeans(n_clusters=5, init="random", random_state=7).fit(X)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    one = KMeans(n_clusters=5, init="random", n_init=1, random_state=7).fit(X)
    assert a.inertia_ <= one.inertia_  # "auto" runs 10 random starts and keeps the best


def test_empty_cluster_is_relocated():
    X = np.array([[0.0, 0.0], [0.1, 0.0], [10.0, 0.0], [10.1, 0.0], [5.0, 40.0]])
    init = np.array([[0.0, 0.0], [10.0, 0.0], [1000.0, 1000.0]])  # the third attracts nothing
    model = KMeans(n_clusters=3, init=init).fit(X)
    assert sorted(np.bincount(model.labels_).tolist()) == [1, 2, 2]
    assert np.isfinite(model.cluster_centers_).all()
    assert model.inertia_ == pytest.approx(0.01, abs=1e-9)


def test_bad_input(digits):
    X = digits[0]
    with pytest.raises(NotFittedError):
        KMeans().predict(X)
    with pytest.raises(ValueError, match="n_samples=5 must be >= n_clusters=8"):
        KMeans().fit(X[:5])
    with pytest.raises(ValueError, match=r"init must have shape \(n_clusters, n_features\)"):
        KMeans(n_clusters=3, init=X[:2]).fit(X)
    with pytest.raises(ValueError, match="init must be"):
        KMeans(init="farthest").fit(X)
    with pytest.raises(ValueError, match="n_init"):
        KMeans(n_init=0).fit(X)
    with pytest.raises(ValueError, match="tol"):
        KMeans(tol=-1.0).fit(X)
    with pytest.raises(ValueError, match="n_clusters"):
        KMeans(n_clusters=0).fit(X)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        KMeans().fit(bad)
    model = KMeans(n_clusters=3, random_state=0).fit(X)
    with pytest.raises(ValueError, match="NaN or infinity"):
        model.predict(bad)
    with pytest.raises(ValueError, match="10 features, but KMeans was fitted with 64"):
        model.transform(X[:, :10])
    with pytest.raises(ValueError, match="must be 2-D"):
        model.predict(X[0])
