"""k-means clustering: k-means++ seeding and Lloyd's iterations in one native call.

Lloyd's algorithm alternates two steps that each lower the inertia
``sum_i min_k ||x_i - c_k||^2``:

- assignment: ``label_i = argmin_k ||x_i - c_k||^2``;
- update: ``c_k = mean of the x_i labeled k``.

Both run fused, all iterations in one call of the native kernel
(:func:`rosenblatt.kernels.kmeans_lloyd`), like scikit-learn's Lloyd solver.
It stops when the labels no longer change, when the centers move by at most
``tol * mean feature variance`` in total squared distance, or after
``max_iter`` iterations. An emptied cluster takes the point farthest from its
center, as in scikit-learn. ``predict`` and ``score`` use the native
1-nearest-neighbor search with the squared Euclidean metric.
"""

from __future__ import annotations

import numbers

import numpy as np

from rosenblatt import kernels
from rosenblatt.classic.base import (
    BaseEstimator,
    TransformerMixin,
    check_array,
    check_is_fitted,
    check_n_features,
    check_random_state,
)


def kmeans_plusplus(X, n_clusters: int, *, random_state=None,
                    n_local_trials: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Greedy k-means++ seeding: (centers (n_clusters, d), their row indices in ``X``).

    The first center is a uniformly drawn sample; each next one is the best
    (lowest resulting inertia) of ``n_local_trials`` (default ``2 + log k``)
    candidates drawn with probability proportional to the squared distance to
    the closest center chosen so far.
    """
    X = check_array(X)
    n_samples = len(X)
    if not isinstance(n_clusters, numbers.Integral) or not 1 <= n_clusters <= n_samples:
        raise ValueError(f"n_clusters must be an int between 1 and n_samples={n_samples}, "
                         f"got {n_clusters!r}")
    rng = check_random_state(random_state)
    trials = 2 + int(np.log(n_clusters)) if n_local_trials is None else n_local_trials
    indices = np.empty(n_clusters, dtype=np.int64)
    indices[0] = rng.integers(n_samples)
    closest = kernels.pairwise_distances(X[indices[:1]], X, metric="sqeuclidean")[0].astype(np.float64)
    potential = closest.sum()
    for c in range(1, n_clusters):
        draws = rng.uniform(size=trials) * potential
        candidates = np.minimum(np.searchsorted(np.cumsum(closest), draws), n_samples - 1)
        distances = kernels.pairwise_distances(X[candidates], X, metric="sqeuclidean")
        distances = np.minimum(closest, distances.astype(np.float64))
        potentials = distances.sum(axis=1)
        best = int(potentials.argmin())
        potential, closest, indices[c] = potentials[best], distances[best], candidates[best]
    return X[indices].copy(), indices


def _assign(X: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(labels, squared distance of each sample to its nearest center)."""
    distances, labels = kernels.kneighbors(X, centers, 1, metric="sqeuclidean")
    return labels[:, 0], distances[:, 0]


class KMeans(TransformerMixin, BaseEstimator):
    """k-means clustering.

    Parameters
    ----------
    n_clusters : int
    init : "k-means++", "random" or an array (n_clusters, n_features) of initial centers
    n_init : int or "auto"
        Runs from different seeds (the lowest inertia wins); "auto" is 1 for
        "k-means++", 10 for "random". An array of centers always runs once.
    max_iter : int
    tol : float
        Relative tolerance: stop when the centers move by at most
        ``tol * mean(var(X, axis=0))`` in total squared distance.
    random_state : None, int or numpy Generator

    Attributes
    ----------
    cluster_centers_ (n_clusters, n_features), labels_ (n_samples,), inertia_
    (sum of squared distances to the closest center), n_iter_
    """

    def __init__(self, *, n_clusters: int = 8, init="k-means++", n_init="auto",
                 max_iter: int = 300, tol: float = 1e-4, random_state=None):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _runs(self) -> int:
        if self.n_init == "auto":
            return 10 if isinstance(self.init, str) and self.init == "random" else 1
        if not isinstance(self.n_init, numbers.Integral) or isinstance(self.n_init, bool) \
                or self.n_init < 1:
            raise ValueError(f"n_init must be 'auto' or an int >= 1, got {self.n_init!r}")
        return 1 if not isinstance(self.init, str) else int(self.n_init)

    def _initial_centers(self, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if isinstance(self.init, str):
            if self.init == "k-means++":
                return kmeans_plusplus(X, self.n_clusters, random_state=rng)[0]
            if self.init == "random":
                return X[rng.choice(len(X), self.n_clusters, replace=False)]
            raise ValueError(f"init must be 'k-means++', 'random' or an array, got {self.init!r}")
        centers = check_array(self.init, "init", dtype=X.dtype)
        if centers.shape != (self.n_clusters, X.shape[1]):
            raise ValueError(f"init must have shape (n_clusters, n_features) = "
                             f"({self.n_clusters}, {X.shape[1]}), got {centers.shape}")
        return centers

    def fit(self, X, y=None) -> KMeans:
        X = check_array(X)
        if not isinstance(self.n_clusters, numbers.Integral) or self.n_clusters < 1:
            raise ValueError(f"n_clusters must be an int >= 1, got {self.n_clusters!r}")
        if self.n_clusters > len(X):
            raise ValueError(f"n_samples={len(X)} must be >= n_clusters={self.n_clusters}")
        if not isinstance(self.max_iter, numbers.Integral) or self.max_iter < 1:
            raise ValueError(f"max_iter must be an int >= 1, got {self.max_iter!r}")
        if not isinstance(self.tol, numbers.Real) or not self.tol >= 0 or not np.isfinite(self.tol):
            raise ValueError(f"tol must be a finite number >= 0, got {self.tol!r}")
        runs = self._runs()
        rng = check_random_state(self.random_state)
        tol = float(X.var(axis=0).mean()) * self.tol if self.tol > 0 else 0.0
        # Centering the data keeps ||x||^2 + ||c||^2 - 2 x.c from cancelling digits.
        mean = X.mean(axis=0)
        centered = X - mean
        best = None
        for _ in range(runs):
            centers = self._initial_centers(X, rng) - mean
            result = kernels.kmeans_lloyd(centered, centers, max_iter=self.max_iter, tol=tol)
            if best is None or result.inertia < best.inertia:
                best = result
        self.labels_, centers, self.inertia_, self.n_iter_ = best
        self.cluster_centers_ = centers + mean
        self.n_features_in_ = X.shape[1]
        return self

    def _checked(self, X) -> np.ndarray:
        check_is_fitted(self, "cluster_centers_")
        X = check_array(X, dtype=self.cluster_centers_.dtype)
        check_n_features(self, X)
        return X

    def predict(self, X) -> np.ndarray:
        """Index of the closest center of each sample."""
        return _assign(self._checked(X), self.cluster_centers_)[0]

    def fit_predict(self, X, y=None) -> np.ndarray:
        return self.fit(X).labels_

    def transform(self, X) -> np.ndarray:
        """Euclidean distances (n_samples, n_clusters) to every center."""
        return kernels.pairwise_distances(self._checked(X), self.cluster_centers_, metric="euclidean")

    def score(self, X, y=None) -> float:
        """Opposite of the inertia of ``X`` against the fitted centers."""
        return -float(_assign(self._checked(X), self.cluster_centers_)[1].astype(np.float64).sum())
