"""Basis-function regression: fixed nonlinear features phi(x), then (ridge) least squares.

The model is linear in its weights, y(x) = w . phi(x) + b, so fitting is
:class:`Ridge` on the transformed inputs. The bases (scikit-learn-style
transformers, usable on their own):

- PolynomialFeatures: every monomial x_1^k_1 ... x_d^k_d of total degree
  <= ``degree`` (scikit-learn's order and names).
- GaussianFeatures: exp(-(x_j - mu_k)^2 / (2 s^2)) for every feature j and
  center mu_k, the centers evenly spaced over feature j's training range,
  s = ``width`` times their spacing.
- SigmoidFeatures: sigmoid((x_j - mu_k) / s), with the same centers and s.

The Gaussian and sigmoid bases act on each feature separately (an additive
model, sum_j f_j(x_j)), the classical construction for 1-D inputs.
"""

from __future__ import annotations

import itertools
import numbers

import numpy as np

from rosenblatt.classic.base import (
    BaseEstimator,
    RegressorMixin,
    TransformerMixin,
    check_array,
    check_is_fitted,
    check_n_features,
    positive_number,
)
from rosenblatt.classic.linear_model import Ridge, check_regression_data

BASES = ("polynomial", "gaussian", "sigmoid")


def integer_at_least(value, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return int(value)


class PolynomialFeatures(TransformerMixin, BaseEstimator):
    """All monomials of the features up to total ``degree`` (with a constant 1 if ``include_bias``),
    in scikit-learn's order: by degree, then lexicographically by feature index."""

    def __init__(self, *, degree=2, include_bias=True):
        self.degree = degree
        self.include_bias = include_bias

    def fit(self, X, y=None) -> PolynomialFeatures:
        X = check_array(X)
        degree = integer_at_least(self.degree, "degree", 0)
        start = 0 if self.include_bias else 1
        if degree < start:
            raise ValueError("degree=0 without include_bias leaves no features")
        self.powers_ = np.array(
            [np.bincount(combo, minlength=X.shape[1])
             for k in range(start, degree + 1)
             for combo in itertools.combinations_with_replacement(range(X.shape[1]), k)],
            dtype=np.int64).reshape(-1, X.shape[1])
        self.n_features_in_ = X.shape[1]
        self.n_output_features_ = len(self.powers_)
        return self

    def transform(self, X) -> np.ndarray:
        check_is_fitted(self, "powers_")
        X = check_array(X)
        check_n_features(self, X)
        out = np.ones((len(X), len(self.powers_)), dtype=X.dtype)
        for column, powers in enumerate(self.powers_):
            for feature in np.flatnonzero(powers):
                out[:, column] *= X[:, feature] ** powers[feature]
        return out


class RadialFeatures(TransformerMixin, BaseEstimator):
    """Per-feature bases phi((x_j - mu_k) / s) on ``n_centers`` evenly spaced centers."""

    def __init__(self, *, n_centers=10, width=1.0):
        self.n_centers = n_centers
        self.width = width

    def fit(self, X, y=None):
        X = check_array(X, dtype=np.float64)
        n_centers = integer_at_least(self.n_centers, "n_centers", 1)
        width = positive_number(self.width, "width")
        low, high = X.min(axis=0), X.max(axis=0)
        self.centers_ = np.linspace(low, high, n_centers, axis=1)      # (d, n_centers)
        spacing = (high - low) / max(n_centers - 1, 1)
        # A constant feature (or one center) gets the unit scale.
        self.scales_ = width * np.where(spacing > 0, spacing, 1.0)     # (d,)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X) -> np.ndarray:
        check_is_fitted(self, "centers_")
        X = check_array(X, dtype=np.float64)
        check_n_features(self, X)
        u = (X[:, :, None] - self.centers_) / self.scales_[:, None]   # (n, d, n_centers)
        return self._profile(u).reshape(len(X), -1)


class GaussianFeatures(RadialFeatures):
    """exp(-u^2 / 2), u = (x_j - mu_k) / s: Gaussian bumps over each feature's range."""

    @staticmethod
    def _profile(u: np.ndarray) -> np.ndarray:
        return np.exp(-0.5 * u ** 2)


class SigmoidFeatures(RadialFeatures):
    """1 / (1 + exp(-u)), u = (x_j - mu_k) / s: soft steps over each feature's range."""

    @staticmethod
    def _profile(u: np.ndarray) -> np.ndarray:
        return 0.5 * (1.0 + np.tanh(0.5 * u))   # the sigmoid, without overflow


class BasisFunctionRegression(RegressorMixin, BaseEstimator):
    """Ridge regression on basis functions: y(x) = w . phi(x) + b.

    ``basis`` 'polynomial' (PolynomialFeatures of ``degree``, without the
    constant: the intercept plays it), 'gaussian' or 'sigmoid' (``n_centers``
    per feature, ``width`` in units of the center spacing); ``alpha`` the L2
    penalty on w (0: plain least squares).

    Attributes: ``features_`` (the fitted transformer), ``coef_``, ``intercept_``.
    """

    def __init__(self, *, basis="polynomial", degree=3, n_centers=10, width=1.0, alpha=0.0):
        self.basis = basis
        self.degree = degree
        self.n_centers = n_centers
        self.width = width
        self.alpha = alpha

    def _features(self):
        if self.basis == "polynomial":
            return PolynomialFeatures(degree=self.degree, include_bias=False)
        if self.basis == "gaussian":
            return GaussianFeatures(n_centers=self.n_centers, width=self.width)
        if self.basis == "sigmoid":
            return SigmoidFeatures(n_centers=self.n_centers, width=self.width)
        raise ValueError(f"basis must be one of {BASES}, got {self.basis!r}")

    def fit(self, X, y) -> BasisFunctionRegression:
        X, y = check_regression_data(X, y)
        features = self._features()
        if self.basis == "polynomial":
            integer_at_least(self.degree, "degree", 1)
        Phi = features.fit_transform(X)
        self._ridge = Ridge(alpha=self.alpha).fit(Phi, y)
        self.features_ = features
        self.coef_, self.intercept_ = self._ridge.coef_, self._ridge.intercept_
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self, "features_")
        X = check_array(X, dtype=np.float64)
        check_n_features(self, X)
        return self._ridge.predict(self.features_.transform(X))
