"""Gaussian naive Bayes: Bayes' rule with independent Gaussian likelihoods per feature.

For class ``c`` with prior ``pi_c``, per-feature means ``theta_cj`` and
variances ``var_cj`` (plus ``epsilon = var_smoothing * max_j var(X_j)``),

    log p(c | x) = log pi_c - 1/2 sum_j log(2 pi var_cj) - 1/2 sum_j (x_j - theta_cj)^2 / var_cj
                   - log p(x),

where the quadratic term expands to ``x^2 @ (1/var).T - 2 x @ (theta/var).T +
sum(theta^2/var)``: two GEMMs for all classes at once.
"""

from __future__ import annotations

import numpy as np

from rosenblatt import kernels
from rosenblatt.classic.base import (
    BaseEstimator,
    ClassifierMixin,
    check_array,
    check_is_fitted,
    check_n_features,
    check_X_y,
)


class GaussianNB(ClassifierMixin, BaseEstimator):
    """Gaussian naive Bayes classifier.

    Parameters
    ----------
    priors : array-like of shape (n_classes,), optional
        Class prior probabilities (non-negative, summing to 1); by default the
        class frequencies of the training labels.
    var_smoothing : float
        Fraction of the largest feature variance added to every variance.

    Attributes
    ----------
    classes_, class_count_, class_prior_ : (n_classes,)
    theta_, var_ : (n_classes, n_features) per-class means and smoothed variances
    epsilon_ : the variance added
    """

    def __init__(self, *, priors=None, var_smoothing: float = 1e-9):
        self.priors = priors
        self.var_smoothing = var_smoothing

    def fit(self, X, y) -> GaussianNB:
        X, y = check_X_y(X, y, dtype=np.float64)
        if not (np.isfinite(self.var_smoothing) and self.var_smoothing >= 0):
            raise ValueError(f"var_smoothing must be a finite number >= 0, got {self.var_smoothing!r}")
        self.classes_, encoded, counts = np.unique(y, return_inverse=True, return_counts=True)
        n_classes = len(self.classes_)
        if self.priors is None:
            prior = counts / counts.sum()
        else:
            prior = np.asarray(self.priors, dtype=np.float64)
            if prior.shape != (n_classes,):
                raise ValueError(f"priors must have shape ({n_classes},) (one per class), "
                                 f"got {prior.shape}")
            if not np.isclose(prior.sum(), 1.0) or (prior < 0).any():
                raise ValueError("priors must be non-negative and sum to 1")
        self.epsilon_ = float(self.var_smoothing * X.var(axis=0).max())
        onehot = np.zeros((len(X), n_classes))
        onehot[np.arange(len(X)), encoded] = 1.0
        self.theta_ = kernels.gemm(onehot, X, trans_a=True) / counts[:, None]
        self.var_ = np.empty_like(self.theta_)
        for c in range(n_classes):
            self.var_[c] = ((X[encoded == c] - self.theta_[c]) ** 2).mean(axis=0)
        self.var_ += self.epsilon_
        self.class_count_ = counts.astype(np.float64)
        self.class_prior_ = prior
        self.n_features_in_ = X.shape[1]
        return self

    def _joint_log_likelihood(self, X) -> np.ndarray:
        check_is_fitted(self, "theta_")
        X = check_array(X, dtype=np.float64)
        check_n_features(self, X)
        inverse = 1.0 / self.var_
        with np.errstate(divide="ignore"):
            log_prior = np.log(self.class_prior_)
        constant = (log_prior - 0.5 * np.log(2.0 * np.pi * self.var_).sum(axis=1)
                    - 0.5 * (self.theta_ ** 2 * inverse).sum(axis=1))
        quadratic = kernels.gemm(X * X, inverse, trans_b=True, alpha=-0.5, bias=constant)
        return kernels.gemm(X, self.theta_ * inverse, trans_b=True, beta=1.0, out=quadratic)

    def predict_log_proba(self, X) -> np.ndarray:
        return kernels.log_softmax(self._joint_log_likelihood(X), axis=1)

    def predict_proba(self, X) -> np.ndarray:
        return np.exp(self.predict_log_proba(X))

    def predict(self, X) -> np.ndarray:
        scores = self._joint_log_likelihood(X)
        return self.classes_[scores.argmax(axis=1)]
