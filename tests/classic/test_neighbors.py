"""k-nearest neighbors against scikit-learn's brute-force search on digits, for every metric."""

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.classic import (KNeighborsClassifier, KNeighborsRegressor, NotFittedError,
                                select_n_neighbors)

sklearn_neighbors = pytest.importorskip("sklearn.neighbors")
sklearn_metrics = pytest.importorskip("sklearn.metrics")

METRICS = [("minkowski", 2), ("minkowski", 1), ("minkowski", 3), ("minkowski", np.inf),
           ("euclidean", 2), ("manhattan", 2), ("chebyshev", 2), ("hamming", 2), ("cosine", 2)]
# Integer pixels make many distances equal. When the k-th and (k+1)-th distances tie, which of
# the tied samples scikit-learn keeps depends on its code path (its kneighbors heaps keep the
# lower index, as we do; the class-mode reduction behind its predict and its argpartition path
# do not). So on the raw digits predictions are compared where the set of k nearest samples is
# unique, and on digits with a 1e-3 jitter (which breaks the ties and nothing else) on every
# query. Hamming counts differing pixels, which any jitter makes all differ: raw digits only.


@pytest.fixture(scope="module")
def digits_split():
    X, y = rb.data.load_digits()
    X_train, X_test, y_train, y_test = rb.data.train_test_split(X, y, test_size=0.25, seed=0)
    return X_train.astype(np.float64), X_test.astype(np.float64), y_train, y_test


def reference_distances(X, Y, metric, p):
    if metric == "minkowski":
        return sklearn_metrics.pairwise_distances(X, Y, metric="minkowski", p=p) if np.isfinite(p) \
            else sklearn_metrics.pairwise_distances(X, Y, metric="chebyshev")
    return sklearn_metrics.pairwise_distances(X, Y, metric=metric)


def compare(X_train, y_train, X_test, metric, p, weights, k=5):
    """Our classifier against scikit-learn's brute force; returns the mask of queries compared."""
    ours = KNeighborsClassifier(n_neighbors=k, metric=metric, p=p, weights=weights).fit(X_train, y_train)
    ref = sklearn_neighbors.KNeighborsClassifier(n_neighbors=k, metric=metric, p=p, weights=weights,
                                                 algorithm="brute").fit(X_train, y_train)
    distances, indices = ours.kneighbors(X_test)
    # The neighbors are the k smallest distances, ties going to the lower training index.
    full = reference_distances(X_test, X_train, metric, p)
    expected = np.argsort(full, axis=1, kind="stable")[:, :k]
    np.testing.assert_array_equal(indices, expected)
    np.testing.assert_allclose(distances, np.take_along_axis(full, expected, 1), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(distances, ref.kneighbors(X_test)[0], rtol=1e-10, atol=1e-12)
    ordered = np.sort(full, axis=1)
    unique = ordered[:, k - 1] < ordered[:, k]
    np.testing.assert_array_equal(ours.predict(X_test)[unique], ref.predict(X_test)[unique])
    np.testing.assert_allclose(ours.predict_proba(X_test)[unique], ref.predict_proba(X_test)[unique],
                               atol=1e-12)
    return ours, unique


@pytest.mark.parametrize("weights", ["uniform", "distance"])
@pytest.mark.parametrize("metric,p", METRICS)
def test_predictions_identical_to_sklearn(digits_split, metric, p, weights):
    X_train, X_test, y_train, y_test = digits_split
    if metric == "minkowski" and p not in (1, 2, np.inf):
        X_test, y_test = X_test[:120], y_test[:120]  # SciPy's general-p reference is slow
    ours, unique = compare(X_train, y_train, X_test, metric, p, weights)
    assert unique.mean() > 0.2
    assert ours.score(X_test, y_test) > (0.5 if metric == "hamming" else 0.95)
    if metric != "hamming":
        rng = np.random.default_rng(0)
        _, unique = compare(X_train + rng.uniform(0, 1e-3, X_train.shape), y_train,
                            X_test + rng.uniform(0, 1e-3, X_test.shape), metric, p, weights)
        assert unique.all()


def test_metric_aliases(digits_split):
    X_train, X_test, y_train, _ = digits_split
    for alias, metric in (("l2", "euclidean"), ("l1", "manhattan"), ("cityblock", "manhattan")):
        ours = KNeighborsClassifier(metric=alias).fit(X_train, y_train).kneighbors(X_test)
        same = KNeighborsClassifier(metric=metric).fit(X_train, y_train).kneighbors(X_test)
        np.testing.assert_array_equal(ours[1], same[1])
        np.testing.assert_allclose(ours[0], same[0])


def test_float32_input_stays_float32(digits_split):
    X_train, X_test, y_train, _ = digits_split
    ours = KNeighborsClassifier().fit(X_train.astype(np.float32), y_train)
    ref = sklearn_neighbors.KNeighborsClassifier(algorithm="brute").fit(X_train, y_train)
    distances, _ = ours.kneighbors(X_test.astype(np.float32))
    assert distances.dtype == np.float32
    np.testing.assert_array_equal(ours.predict(X_test), ref.predict(X_test))


def test_tied_votes_go_to_the_smallest_label():
    X = np.array([[0.0], [3.0], [10.0], [13.0]])
    y = np.array([7, 2, 7, 2])
    for weights in ("uniform", "distance"):
        ours = KNeighborsClassifier(n_neighbors=2, weights=weights).fit(X, y)
        ref = sklearn_neighbors.KNeighborsClassifier(n_neighbors=2, weights=weights,
                                                     algorithm="brute").fit(X, y)
        queries = np.array([[1.5], [11.5], [6.0]])
        np.testing.assert_array_equal(ours.predict(queries), [2, 2, 2])
        np.testing.assert_array_equal(ours.predict(queries), ref.predict(queries))


def test_distance_weights_with_exact_matches():
    X = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [1.0, 0.1], [1.0, -0.1]])
    y = np.array([0, 0, 1, 1, 1])
    ours = KNeighborsClassifier(n_neighbors=5, weights="distance").fit(X, y)
    np.testing.assert_array_equal(ours.predict_proba([[0.0, 0.0]]), [[1.0, 0.0]])
    ref = sklearn_neighbors.KNeighborsClassifier(n_neighbors=5, weights="distance",
                                                 algorithm="brute").fit(X, y)
    queries = np.array([[0.0, 0.0], [0.4, 0.0], [0.6, 0.0]])
    np.testing.assert_allclose(ours.predict_proba(queries), ref.predict_proba(queries), atol=1e-12)


def test_kneighbors_of_the_training_set_excludes_each_sample(digits_split):
    X_train, _, y_train, _ = digits_split
    X = np.concatenate([X_train[:300], X_train[:20]])  # duplicates: self may be pushed out
    y = np.concatenate([y_train[:300], y_train[:20]])
    ours = KNeighborsClassifier(n_neighbors=3).fit(X, y)
    ref = sklearn_neighbors.KNeighborsClassifier(n_neighbors=3, algorithm="brute").fit(X, y)
    distances, indices = ours.kneighbors()
    ref_distances, ref_indices = ref.kneighbors()
    np.testing.assert_allclose(distances, ref_distances, atol=1e-12)
    assert (indices != np.arange(len(X))[:, None]).all()
    np.testing.assert_array_equal(np.sort(indices[:300], 1), np.sort(ref_indices[:300], 1))
    assert ours.kneighbors(n_neighbors=2, return_distance=False).shape == (len(X), 2)


@pytest.mark.parametrize("weights", ["uniform", "distance"])
@pytest.mark.parametrize("metric,p", [("minkowski", 2), ("manhattan", 2), ("minkowski", 1.5)])
def test_regressor_matches_sklearn(metric, p, weights):
    rng = np.random.default_rng(0)
    X = rng.uniform(-3, 3, (400, 3))
    y = np.sin(X[:, 0]) + X[:, 1] * X[:, 2] + 0.1 * rng.standard_normal(400)
    ours = KNeighborsRegressor(n_neighbors=7, metric=metric, p=p, weights=weights).fit(X[:300], y[:300])
    ref = sklearn_neighbors.KNeighborsRegressor(n_neighbors=7, metric=metric, p=p, weights=weights,
                                                algorithm="brute").fit(X[:300], y[:300])
    np.testing.assert_allclose(ours.predict(X[300:]), ref.predict(X[300:]), rtol=1e-12, atol=1e-12)
    assert ours.score(X[300:], y[300:]) == pytest.approx(ref.score(X[300:], y[300:]), rel=1e-10)
    assert ours.score(X[300:], y[300:]) > 0.6


def test_select_n_neighbors(digits_split):
    X_train, X_val, y_train, y_val = digits_split
    candidates = (1, 3, 5, 9, 15, 5000)
    result = select_n_neighbors(KNeighborsClassifier(weights="distance"), X_train, y_train,
                                X_val, y_val, candidates=candidates)
    assert list(result.scores) == [1, 3, 5, 9, 15]  # 5000 > training samples: skipped
    for k, score in result.scores.items():
        manual = KNeighborsClassifier(n_neighbors=k, weights="distance").fit(X_train, y_train)
        assert score == manual.score(X_val, y_val)
    best = max(result.scores.values())
    assert result.n_neighbors == min(k for k, s in result.scores.items() if s == best)
    assert result.estimator.n_neighbors == result.n_neighbors
    assert result.estimator.weights == "distance"
    assert result.estimator.score(X_val, y_val) == best > 0.97
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, (300, 2))
    y = X[:, 0] ** 2 + 0.3 * rng.standard_normal(300)  # noisy: one neighbor overfits
    chosen = select_n_neighbors(KNeighborsRegressor(), X[:200], y[:200], X[200:], y[200:])
    assert chosen.n_neighbors > 1 and chosen.scores[chosen.n_neighbors] > chosen.scores[1]
    with pytest.raises(ValueError, match="no candidate n_neighbors"):
        select_n_neighbors(KNeighborsRegressor(), X[:5], y[:5], X[5:], y[5:], candidates=(7, 9))


def test_bad_input(digits_split):
    X_train, X_test, y_train, _ = digits_split
    with pytest.raises(ValueError, match=r"n_neighbors=6 must be <= the number of training samples \(5\)"):
        KNeighborsClassifier(n_neighbors=6).fit(X_train[:5], y_train[:5])
    model = KNeighborsClassifier(n_neighbors=3).fit(X_train[:10], y_train[:10])
    with pytest.raises(ValueError, match="n_neighbors=11 must be <="):
        model.kneighbors(X_test, n_neighbors=11)
    with pytest.raises(ValueError, match="n_neighbors=10 must be <= the number of training samples less one"):
        model.kneighbors(n_neighbors=10)
    with pytest.raises(ValueError, match="n_neighbors must be an int >= 1"):
        KNeighborsClassifier(n_neighbors=0).fit(X_train, y_train)
    with pytest.raises(ValueError, match="metric must be one of"):
        KNeighborsClassifier(metric="mahalanobis").fit(X_train, y_train)
    with pytest.raises(ValueError, match="p must be a number >= 1"):
        KNeighborsRegressor(p=0.5).fit(X_train, y_train)
    with pytest.raises(ValueError, match="weights must be one of"):
        KNeighborsRegressor(weights="gaussian").fit(X_train, y_train)
    with pytest.raises(NotFittedError):
        KNeighborsClassifier().predict(X_test)
    with pytest.raises(NotFittedError):
        KNeighborsRegressor().kneighbors(X_test)
    with pytest.raises(ValueError, match="63 features, but KNeighborsClassifier was fitted with 64"):
        model.predict(X_test[:, 1:])
    bad = X_test.copy()
    bad[1, 1] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        model.predict_proba(bad)
    with pytest.raises(ValueError, match="NaN or infinity"):
        KNeighborsClassifier().fit(bad, y_train[:len(bad)])
    with pytest.raises(ValueError, match="y contains NaN"):
        KNeighborsRegressor().fit(X_train[:3], [1.0, np.nan, 2.0])
    with pytest.raises(ValueError, match="samples but y has"):
        KNeighborsClassifier().fit(X_train, y_train[:-1])
