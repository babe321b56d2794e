"""k-nearest-neighbor classification and regression on the native k-smallest search.

The ``k`` training samples closest to a query (ties at equal distance go to
the lower training index) vote: the classifier's class probabilities are the
normalized sums of the neighbors' weights per class, and it predicts the
most probable class (the smallest label among tied votes); the regressor
predicts the weighted mean of the neighbors' targets. Weights are 1
("uniform") or ``1 / distance`` ("distance"; a query at distance 0 from some
neighbors gets exactly their vote).
"""

from __future__ import annotations

import dataclasses
import numbers

import numpy as np

from rosenblatt import kernels
from rosenblatt.classic.base import (
    BaseEstimator,
    ClassifierMixin,
    RegressorMixin,
    check_array,
    check_is_fitted,
    check_n_features,
    check_X_y,
)

METRICS = ("minkowski", "euclidean", "manhattan", "chebyshev", "hamming", "cosine",
           "l2", "l1", "cityblock")  # the last three: scikit-learn's aliases of the 2nd and 3rd
WEIGHTS = ("uniform", "distance")


def _check_n_neighbors(n_neighbors, limit: int, what: str = "the number of training samples") -> int:
    if not isinstance(n_neighbors, numbers.Integral) or isinstance(n_neighbors, bool) \
            or n_neighbors < 1:
        raise ValueError(f"n_neighbors must be an int >= 1, got {n_neighbors!r}")
    if n_neighbors > limit:
        raise ValueError(f"n_neighbors={n_neighbors} must be <= {what} ({limit})")
    return int(n_neighbors)


class _KNeighbors(BaseEstimator):
    """Fitting (storing the training set) and the neighbor search shared by both estimators."""

    def __init__(self, *, n_neighbors: int = 5, weights: str = "uniform", metric: str = "minkowski",
                 p: float = 2):
        self.n_neighbors = n_neighbors
        self.weights = weights
        self.metric = metric
        self.p = p

    def _fit(self, X, y, *, y_numeric: bool):
        if self.metric not in METRICS:
            raise ValueError(f"metric must be one of {METRICS}, got {self.metric!r}")
        if self.metric == "minkowski" and not (isinstance(self.p, numbers.Real) and self.p >= 1):
            raise ValueError(f"p must be a number >= 1 (inf allowed) for the minkowski metric, "
                             f"got {self.p!r}")
        if self.weights not in WEIGHTS:
            raise ValueError(f"weights must be one of {WEIGHTS}, got {self.weights!r}")
        X, y = check_X_y(X, y, y_numeric=y_numeric)
        _check_n_neighbors(self.n_neighbors, len(X))
        self._fit_X = X
        self.n_features_in_ = X.shape[1]
        self.n_samples_fit_ = len(X)
        return y

    def kneighbors(self, X=None, n_neighbors: int | None = None, return_distance: bool = True):
        """Distances (ascending) and indices of the nearest training samples of each query.

        With ``X=None`` the queries are the training samples, each excluding
        itself. Returns ``(distances, indices)``, each (n_queries, n_neighbors),
        or only the indices when ``return_distance`` is false.
        """
        check_is_fitted(self, "_fit_X")
        k = self.n_neighbors if n_neighbors is None else n_neighbors
        if X is None:
            k = _check_n_neighbors(k, self.n_samples_fit_ - 1, "the number of training samples "
                                   "less one (each training sample excludes itself)")
            distances, indices = self._search(self._fit_X, k + 1)
            # Drop each sample from its own list (the nearest, when duplicates push it out).
            keep = indices != np.arange(len(indices))[:, None]
            keep[keep.all(axis=1), 0] = False
            distances = distances[keep].reshape(len(keep), k)
            indices = indices[keep].reshape(len(keep), k)
        else:
            X = check_array(X, dtype=self._fit_X.dtype)
            check_n_features(self, X)
            distances, indices = self._search(X, _check_n_neighbors(k, self.n_samples_fit_))
        return (distances, indices) if return_distance else indices

    def _search(self, X: np.ndarray, k: int):
        p = float(self.p) if self.metric == "minkowski" else 2.0
        return kernels.kneighbors(X, self._fit_X, k, metric=self.metric, p=p)

    def _neighbor_weights(self, distances: np.ndarray) -> np.ndarray:
        if self.weights == "uniform":
            return np.ones(distances.shape)
        with np.errstate(divide="ignore"):
            weights = 1.0 / distances.astype(np.float64)
        exact = np.isinf(weights)
        rows = exact.any(axis=1)
        weights[rows] = exact[rows]
        return weights


class KNeighborsClassifier(ClassifierMixin, _KNeighbors):
    """Classifier voting among the ``n_neighbors`` nearest training samples.

    Parameters
    ----------
    n_neighbors : int
    weights : {"uniform", "distance"}
    metric : {"minkowski", "euclidean", "manhattan", "chebyshev", "hamming", "cosine"}
    p : float
        Power of the minkowski metric (1 Manhattan, 2 Euclidean, inf Chebyshev).
    """

    def fit(self, X, y) -> KNeighborsClassifier:
        y = self._fit(X, y, y_numeric=False)
        self.classes_, self._y = np.unique(y, return_inverse=True)
        return self

    def predict_proba(self, X) -> np.ndarray:
        """(n_queries, n_classes) normalized vote weights."""
        distances, indices = self.kneighbors(X)
        weights = self._neighbor_weights(distances)
        votes = np.zeros((len(indices), len(self.classes_)))
        rows = np.arange(len(indices))
        for j in range(indices.shape[1]):
            votes[rows, self._y[indices[:, j]]] += weights[:, j]
        return votes / votes.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]


class KNeighborsRegressor(RegressorMixin, _KNeighbors):
    """Regressor predicting the (weighted) mean target of the ``n_neighbors`` nearest samples.

    Parameters are those of :class:`KNeighborsClassifier`.
    """

    def fit(self, X, y) -> KNeighborsRegressor:
        self._y = self._fit(X, y, y_numeric=True).astype(np.float64)
        return self

    def predict(self, X) -> np.ndarray:
        distances, indices = self.kneighbors(X)
        weights = self._neighbor_weights(distances)
        return (self._y[indices] * weights).sum(axis=1) / weights.sum(axis=1)


@dataclasses.dataclass
class NeighborsSelection:
    """What :func:`select_n_neighbors` found: the best k, every candidate's score, the refitted model."""

    n_neighbors: int
    scores: dict
    estimator: _KNeighbors


def select_n_neighbors(estimator: _KNeighbors, X_train, y_train, X_val, y_val, *,
                       candidates=(1, 3, 5, 7, 9, 11, 15, 21)) -> NeighborsSelection:
    """Pick ``n_neighbors`` on a validation split.

    ``estimator`` (a :class:`KNeighborsClassifier` or
    :class:`KNeighborsRegressor`, fitted or not) gives the other
    hyper-parameters; each candidate k (those larger than the training set are
    skipped) is fitted on the training split and scored on the validation
    split (accuracy, or R^2 for a regressor). The highest score wins, the
    smallest k among equals. Returns the best k, the scores and a model with
    it fitted on the training split.
    """
    usable = sorted({int(k) for k in candidates if 1 <= k <= len(X_train)})
    if not usable:
        raise ValueError(f"no candidate n_neighbors in {tuple(candidates)} is between 1 and the "
                         f"{len(X_train)} training samples")
    params = estimator.get_params()
    model = type(estimator)(**params)
    scores = {}
    for k in usable:
        scores[k] = model.set_params(n_neighbors=k).fit(X_train, y_train).score(X_val, y_val)
    best = max(usable, key=lambda k: (scores[k], -k))
    return NeighborsSelection(best, scores, model.set_params(n_neighbors=best).fit(X_train, y_train))
