"""Classical models against scikit-learn, on the shapes of issue 7.

- KMeans: k=16 on 20,000 x 64 standard-normal float32 points (no cluster
  structure, so Lloyd runs all 50 iterations), tol=0, one run from the same
  16 initial centers.
- KNN predict: 2,000 queries against 20,000 x 64 float32 training points,
  k=5, 10 classes (scikit-learn's brute force).
- GaussianMixture: 8 full-covariance components on 10,000 x 16 float64
  points, 50 EM iterations (tol=0) from the same weights, means and
  precisions.
- SVC (RBF, C=1, gamma='scale'): fit and predict on the digits' 75/25 split.

Each case's baseline is scikit-learn (skipped when it is not installed),
run in the same process with its own threads. Run:
``rosenblatt bench --only classic``.
"""

from __future__ import annotations

import warnings

import numpy as np

from rosenblatt.bench.common import Case


def _sklearn():
    try:
        import sklearn
    except ImportError:
        return None
    return sklearn


def _kmeans_case(n: int, d: int, k: int, iterations: int) -> Case:
    from sklearn.cluster import KMeans as SkKMeans

    from rosenblatt.classic import KMeans

    X = np.random.default_rng(0).standard_normal((n, d)).astype(np.float32)
    init = X[:k].copy()
    ours = KMeans(n_clusters=k, init=init, n_init=1, max_iter=iterations, tol=0)
    theirs = SkKMeans(k, init=init, n_init=1, max_iter=iterations, tol=0)
    return Case(f"KMeans k={k} ({n}x{d} fp32), {iterations} Lloyd iterations",
                {"rosenblatt": lambda: ours.fit(X), "sklearn": lambda: theirs.fit(X)},
                flops=2.0 * n * d * k * iterations, baseline="sklearn")


def _knn_case(n_train: int, n_queries: int, d: int, k: int) -> Case:
    from sklearn.neighbors import KNeighborsClassifier as SkKNN

    from rosenblatt.classic import KNeighborsClassifier

    rng = np.random.default_rng(1)
    X = rng.standard_normal((n_train, d)).astype(np.float32)
    y = rng.integers(0, 10, n_train)
    queries = rng.standard_normal((n_queries, d)).astype(np.float32)
    ours = KNeighborsClassifier(n_neighbors=k).fit(X, y)
    theirs = SkKNN(n_neighbors=k, algorithm="brute").fit(X, y)
    return Case(f"KNN predict k={k}, {n_queries} queries vs {n_train}x{d} fp32",
                {"rosenblatt": lambda: ours.predict(queries), "sklearn": lambda: theirs.predict(queries)},
                flops=2.0 * n_queries * n_train * d, baseline="sklearn")


def _gmm_case(n: int, d: int, k: int, iterations: int) -> Case:
    from sklearn.mixture import GaussianMixture as SkGaussianMixture

    from rosenblatt.classic import GaussianMixture

    rng = np.random.default_rng(2)
    X = rng.standard_normal((n, d)) + 2.0 * rng.standard_normal((k, d))[rng.integers(0, k, n)]
    init = {"weights_init": np.full(k, 1.0 / k), "means_init": X[:k].copy(),
            "precisions_init": np.repeat(np.eye(d)[None], k, axis=0),
            "init_params": "random_from_data"}  # every parameter given: no k-means to start
    ours = GaussianMixture(n_components=k, max_iter=iterations, tol=0, **init)
    theirs = SkGaussianMixture(k, max_iter=iterations, tol=0, **init)

    def quiet(fit):
        def run():
            with warnings.catch_warnings():  # tol=0 never converges, by design
                warnings.simplefilter("ignore")
                fit(X)
        return run

    return Case(f"GaussianMixture {k} full components ({n}x{d} fp64), {iterations} EM iterations",
                {"rosenblatt": quiet(ours.fit), "sklearn": quiet(theirs.fit)}, baseline="sklearn")


def _svc_case() -> Case | None:
    from sklearn.svm import SVC as SkSVC

    import rosenblatt as rb

    if not hasattr(rb.classic, "SVC"):
        return None
    X, y = rb.data.load_digits()
    X_train, X_test, y_train, _ = rb.data.train_test_split(X, y, test_size=0.25, seed=0)
    ours, theirs = rb.classic.SVC(), SkSVC()
    return Case(f"SVC rbf fit+predict, digits {len(X_train)}/{len(X_test)}",
                {"rosenblatt": lambda: ours.fit(X_train, y_train).predict(X_test),
                 "sklearn": lambda: theirs.fit(X_train, y_train).predict(X_test)},
                baseline="sklearn")


def cases(quick: bool = False) -> list[Case]:
    if _sklearn() is None:
        return []
    result = [_kmeans_case(20000, 64, 16, 50), _knn_case(20000, 2000, 64, 5),
              _gmm_case(10000, 16, 8, 50)]
    svc = _svc_case()
    return result + ([svc] if svc is not None else [])
