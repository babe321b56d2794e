"""Principal component analysis by the singular value decomposition of the centered data.

With ``Xc = X - mean = U S V^T`` (thin SVD), the principal axes are the rows
of ``V^T``, the variance along axis ``i`` is ``S_i^2 / (n - 1)`` and the
projection of a sample is ``(x - mean) V``; whitening divides it by
``sqrt(variance)`` so every component has unit variance.
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
)


class PCA(TransformerMixin, BaseEstimator):
    """Linear dimensionality reduction onto the directions of largest variance.

    Parameters
    ----------
    n_components : int, float in (0, 1), or None
        An int keeps that many components (1 <= n_components <= min(n_samples,
        n_features)); a fraction keeps the fewest components whose explained
        variance ratios sum to at least it; None keeps min(n_samples, n_features).
    whiten : bool
        Scale the projections to unit variance.

    Attributes
    ----------
    components_ : (n_components, n_features) principal axes, signs fixed so the
        largest-magnitude entry of each is positive.
    explained_variance_, explained_variance_ratio_, singular_values_ : (n_components,)
    mean_ : (n_features,); noise_variance_ : mean variance of the dropped components.
    """

    def __init__(self, *, n_components=None, whiten: bool = False):
        self.n_components = n_components
        self.whiten = whiten

    def _count(self, ratio: np.ndarray, rank: int) -> int:
        n = self.n_components
        if n is None:
            return rank
        if isinstance(n, numbers.Integral) and not isinstance(n, bool):
            if not 1 <= n <= rank:
                raise ValueError(f"n_components={n} must be between 1 and min(n_samples, "
                                 f"n_features)={rank}")
            return int(n)
        if isinstance(n, numbers.Real) and not isinstance(n, bool) and 0.0 < n < 1.0:
            return min(int(np.searchsorted(np.cumsum(ratio), n, side="right")) + 1, rank)
        raise ValueError(f"n_components must be None, an int or a fraction in (0, 1), got {n!r}")

    def fit(self, X, y=None) -> PCA:
        X = check_array(X, min_samples=2)
        n_samples, n_features = X.shape
        self.mean_ = X.mean(axis=0)
        _, singular, vt = np.linalg.svd(X - self.mean_, full_matrices=False)
        rows = np.arange(len(vt))
        vt *= np.sign(vt[rows, np.abs(vt).argmax(axis=1)])[:, None]
        variance = singular ** 2 / (n_samples - 1)
        total = variance.sum()
        ratio = variance / total if total > 0 else np.zeros_like(variance)
        k = self._count(ratio, min(n_samples, n_features))
        self.n_components_ = k
        self.n_features_in_ = n_features
        self.n_samples_ = n_samples
        self.components_ = np.ascontiguousarray(vt[:k])
        self.explained_variance_ = variance[:k]
        self.explained_variance_ratio_ = ratio[:k]
        self.singular_values_ = singular[:k]
        self.noise_variance_ = (float(variance[k:].mean()) if k < min(n_samples, n_features)
                                else 0.0)
        return self

    def _whitening_scale(self) -> np.ndarray:
        # A component with zero variance stays zero instead of becoming NaN.
        std = np.sqrt(self.explained_variance_)
        return np.where(std > 0, std, 1.0).astype(self.components_.dtype)

    def transform(self, X) -> np.ndarray:
        """Projections ``(X - mean_) @ components_.T`` (divided by the component std when whitening)."""
        check_is_fitted(self, "components_")
        X = check_array(X, dtype=self.components_.dtype)
        check_n_features(self, X)
        projected = kernels.gemm(X - self.mean_, self.components_, trans_b=True)
        if self.whiten:
            projected /= self._whitening_scale()
        return projected

    def inverse_transform(self, X) -> np.ndarray:
        """Back to feature space: ``X @ components_ + mean_`` (undoing whitening first)."""
        check_is_fitted(self, "components_")
        X = check_array(X, dtype=self.components_.dtype)
        if X.shape[1] != self.n_components_:
            raise ValueError(f"X has {X.shape[1]} components, but this PCA keeps "
                             f"{self.n_components_}")
        if self.whiten:
            X = X * self._whitening_scale()
        return kernels.gemm(X, self.components_, bias=self.mean_.astype(X.dtype))
