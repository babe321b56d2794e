"""Gaussian mixture models fitted by expectation-maximization, in log space.

Model: ``p(x) = sum_k w_k N(x | mu_k, Sigma_k)``. Each covariance is held
through a Cholesky factor ``P_k`` of its precision (``P_k P_k^T =
Sigma_k^-1``), so

    log N(x | mu_k, Sigma_k) = -1/2 (d log 2 pi + ||(x - mu_k) P_k||^2) + log det P_k.

E-step: ``log r_ik = log w_k + log N(x_i | k) - logsumexp_k(...)``; the mean
of the logsumexp is the average log-likelihood, which EM never decreases.
For full covariances all components take ONE GEMM: ``X [P_1 .. P_K]`` with
the bias ``-[mu_1 P_1 .. mu_K P_K]`` fused into the store.
M-step: ``n_k = sum_i r_ik``, ``w_k = n_k / n``, ``mu_k = sum_i r_ik x_i / n_k``
and ``Sigma_k = sum_i r_ik (x_i - mu_k)(x_i - mu_k)^T / n_k + reg_covar I``
(one batched GEMM over the components); "tied" shares one covariance,
"diag" keeps the diagonal, "spherical" its mean.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from rosenblatt import kernels
from rosenblatt.classic.base import (
    BaseEstimator,
    ConvergenceWarning,
    check_array,
    check_is_fitted,
    check_n_features,
    check_random_state,
)

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
INIT_PARAMS = ("kmeans", "k-means++", "random", "random_from_data")
_TINY = 10 * np.finfo(np.float64).eps


def _logsumexp_rows(scores: np.ndarray) -> np.ndarray:
    top = scores.max(axis=1)
    return top + np.log(np.exp(scores - top[:, None]).sum(axis=1))


def _ill_defined() -> ValueError:
    return ValueError("fitting the mixture model failed because some components have an "
                      "ill-defined (singular) empirical covariance, for instance from singleton "
                      "or collapsed samples; decrease n_components or increase reg_covar")


def _cholesky(matrices: np.ndarray) -> np.ndarray:
    """Lower Cholesky factors of a stack of symmetric matrices; ValueError if one is not positive definite."""
    try:
        return np.linalg.cholesky(matrices)
    except np.linalg.LinAlgError:
        raise _ill_defined() from None


def precision_cholesky(covariances: np.ndarray, covariance_type: str) -> np.ndarray:
    """``P`` with ``P P^T = Sigma^-1``: ``inv(L)^T`` for ``Sigma = L L^T`` (upper triangular);
    ``1/sqrt`` of the variances for "diag" and "spherical"."""
    if covariance_type in ("full", "tied"):
        lower = _cholesky(covariances)
        identity = np.broadcast_to(np.eye(covariances.shape[-1]), covariances.shape)
        return np.swapaxes(np.linalg.solve(lower, identity), -1, -2)
    if (covariances <= 0).any():
        raise _ill_defined()
    return 1.0 / np.sqrt(covariances)


def _precision_cholesky_from_precisions(precisions: np.ndarray, covariance_type: str) -> np.ndarray:
    if covariance_type in ("full", "tied"):
        return _cholesky(precisions)
    return np.sqrt(precisions)


def _estimate_parameters(X: np.ndarray, resp: np.ndarray, reg_covar: float, covariance_type: str):
    """M-step: (counts n_k, means, covariances) from the responsibilities ``resp`` (n, K)."""
    counts = resp.sum(axis=0) + _TINY
    means = kernels.gemm(resp, X, trans_a=True) / counts[:, None]
    d = X.shape[1]
    if covariance_type == "full":
        # sum_i r_ik (x_i - mu_k)(x_i - mu_k)^T = sum_i r_ik x_i x_i^T - n_k mu_k mu_k^T, with x
        # shifted by the data mean first so the subtraction does not cancel digits.
        offset = X.mean(axis=0)
        shifted, shifted_means = X - offset, means - offset
        weighted = shifted[None, :, :] * resp.T[:, :, None]                 # (K, n, d)
        covariances = kernels.batched_gemm(weighted, shifted, trans_a=True)
        covariances -= counts[:, None, None] * shifted_means[:, :, None] * shifted_means[:, None, :]
        covariances /= counts[:, None, None]
        covariances[:, np.arange(d), np.arange(d)] += reg_covar
    elif covariance_type == "tied":
        covariances = kernels.gemm(X, X, trans_a=True)
        covariances -= kernels.gemm(means * counts[:, None], means, trans_a=True)
        covariances /= counts.sum()
        covariances[np.arange(d), np.arange(d)] += reg_covar
    else:
        second = kernels.gemm(resp, X * X, trans_a=True) / counts[:, None]
        covariances = second - means ** 2 + reg_covar
        if covariance_type == "spherical":
            covariances = covariances.mean(axis=1)
    return counts, means, covariances


class GaussianMixture(BaseEstimator):
    """Gaussian mixture model trained by EM.

    Parameters
    ----------
    n_components : int
    covariance_type : {"full", "tied", "diag", "spherical"}
    tol : float
        EM stops when the average log-likelihood changes by less than tol.
    reg_covar : float
        Added to the covariance diagonals (keeps them positive definite).
    max_iter, n_init : int
        EM iterations per initialization; initializations (the best lower bound wins).
    init_params : {"kmeans", "k-means++", "random", "random_from_data"}
        How the initial responsibilities are drawn.
    weights_init, means_init, precisions_init : arrays, optional
        Initial parameters (shapes as ``weights_``, ``means_``, ``precisions_``);
        they replace those derived from the initial responsibilities.
    random_state : None, int or numpy Generator

    Attributes
    ----------
    weights_ (K,), means_ (K, d), covariances_, precisions_, precisions_cholesky_
    (full (K, d, d); tied (d, d); diag (K, d); spherical (K,)), converged_,
    n_iter_, lower_bound_ (average log-likelihood of the best run).
    """

    def __init__(self, *, n_components: int = 1, covariance_type: str = "full", tol: float = 1e-3,
                 reg_covar: float = 1e-6, max_iter: int = 100, n_init: int = 1,
                 init_params: str = "kmeans", weights_init=None, means_init=None,
                 precisions_init=None, random_state=None):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state

    # -- validation -------------------------------------------------------------
    def _check_parameters(self, n_features: int) -> None:
        for name in ("n_components", "max_iter", "n_init"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        for name in ("tol", "reg_covar"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Real) or not np.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        if self.covariance_type not in COVARIANCE_TYPES:
            raise ValueError(f"covariance_type must be one of {COVARIANCE_TYPES}, "
                             f"got {self.covariance_type!r}")
        if self.init_params not in INIT_PARAMS:
            raise ValueError(f"init_params must be one of {INIT_PARAMS}, got {self.init_params!r}")
        K, d = self.n_components, n_features
        shapes = {"full": (K, d, d), "tied": (d, d), "diag": (K, d), "spherical": (K,)}
        for name, shape in (("weights_init", (K,)), ("means_init", (K, d)),
                            ("precisions_init", shapes[self.covariance_type])):
            value = getattr(self, name)
            if value is None:
                continue
            value = np.asarray(value, dtype=np.float64)
            if value.shape != shape:
                raise ValueError(f"{name} must have shape {shape}, got {value.shape}")
            if not np.isfinite(value).all():
                raise ValueError(f"{name} contains NaN or infinity")
        if self.weights_init is not None:
            weights = np.asarray(self.weights_init, dtype=np.float64)
            if (weights < 0).any() or not np.isclose(weights.sum(), 1.0):
                raise ValueError("weights_init must be non-negative and sum to 1")

    # -- EM ---------------------------------------------------------------------
    def _initial_responsibilities(self, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n, K = len(X), self.n_components
        resp = np.zeros((n, K))
        if self.init_params == "kmeans":
            from rosenblatt.classic.kmeans import KMeans

            labels = KMeans(n_clusters=K, n_init=1, random_state=rng).fit(X).labels_
            resp[np.arange(n), labels] = 1.0
        elif self.init_params == "k-means++":
            from rosenblatt.classic.kmeans import kmeans_plusplus

            _, indices = kmeans_plusplus(X, K, random_state=rng)
            resp[indices, np.arange(K)] = 1.0
        elif self.init_params == "random":
            resp = rng.uniform(size=(n, K))
            resp /= resp.sum(axis=1, keepdims=True)
        else:
            resp[rng.choice(n, size=K, replace=False), np.arange(K)] = 1.0
        return resp

    def _initialize(self, X: np.ndarray, rng: np.random.Generator) -> None:
        """Parameters from initial responsibilities, replaced by those given (all given: no draw)."""
        weights, means, precisions = self.weights_init, self.means_init, self.precisions_init
        if weights is None or means is None or precisions is None:
            counts, estimated_means, covariances = _estimate_parameters(
                X, self._initial_responsibilities(X, rng), self.reg_covar, self.covariance_type)
        self.weights_ = (counts / len(X) if weights is None
                         else np.array(weights, dtype=np.float64))
        self.means_ = estimated_means if means is None else np.array(means, dtype=np.float64)
        if precisions is None:
            self.covariances_ = covariances
            self.precisions_cholesky_ = precision_cholesky(covariances, self.covariance_type)
        else:
            self.precisions_cholesky_ = _precision_cholesky_from_precisions(
                np.array(precisions, dtype=np.float64), self.covariance_type)

    def _estimate_log_gaussian(self, X: np.ndarray) -> np.ndarray:
        """(n, K) ``log N(x_i | mu_k, Sigma_k)`` from the precision Cholesky factors."""
        n, d = X.shape
        K = len(self.means_)
        chol = self.precisions_cholesky_
        if self.covariance_type == "full":
            # One GEMM for all components: Y = X [P_1 .. P_K] - [mu_1 P_1 .. mu_K P_K].
            stacked = np.ascontiguousarray(chol.transpose(1, 0, 2).reshape(d, K * d))
            shift = np.einsum("kd,kde->ke", self.means_, chol).reshape(K * d)
            projected = kernels.gemm(X, stacked, bias=-shift).reshape(n, K, d)
            mahalanobis = np.einsum("nkd,nkd->nk", projected, projected)
            log_det = np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
        elif self.covariance_type == "tied":
            projected = kernels.gemm(X, chol)
            means = kernels.gemm(self.means_, chol)
            mahalanobis = kernels.gemm(projected, means, trans_b=True, alpha=-2.0,
                                       bias=(means ** 2).sum(axis=1))
            mahalanobis += (projected ** 2).sum(axis=1)[:, None]
            log_det = np.log(np.diagonal(chol)).sum()
        else:
            precision = chol ** 2
            if self.covariance_type == "spherical":
                precision = np.repeat(precision[:, None], d, axis=1)
            mahalanobis = kernels.gemm(X, self.means_ * precision, trans_b=True, alpha=-2.0,
                                       bias=(self.means_ ** 2 * precision).sum(axis=1))
            kernels.gemm(X * X, precision, trans_b=True, beta=1.0, out=mahalanobis)
            log_det = np.log(chol).sum(axis=1) if chol.ndim == 2 else d * np.log(chol)
        return -0.5 * (d * np.log(2 * np.pi) + mahalanobis) + log_det

    def _weighted_log_prob(self, X: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return self._estimate_log_gaussian(X) + np.log(self.weights_)

    def _e_step(self, X: np.ndarray) -> tuple[float, np.ndarray]:
        """(average log-likelihood, (n, K) log-responsibilities)."""
        weighted = self._weighted_log_prob(X)
        norm = _logsumexp_rows(weighted)
        return float(norm.mean()), weighted - norm[:, None]

    def _m_step(self, X: np.ndarray, log_resp: np.ndarray) -> None:
        counts, self.means_, self.covariances_ = _estimate_parameters(
            X, np.exp(log_resp), self.reg_covar, self.covariance_type)
        self.weights_ = counts / counts.sum()
        self.precisions_cholesky_ = precision_cholesky(self.covariances_, self.covariance_type)

    def _state(self) -> tuple:
        return self.weights_, self.means_, self.covariances_, self.precisions_cholesky_

    def fit(self, X, y=None) -> GaussianMixture:
        """Run EM ``n_init`` times and keep the parameters with the largest lower bound."""
        self.fit_predict(X)
        return self

    def fit_predict(self, X, y=None) -> np.ndarray:
        X = check_array(X, dtype=np.float64, min_samples=2)
        self._check_parameters(X.shape[1])
        if len(X) < self.n_components:
            raise ValueError(f"n_components={self.n_components} must be <= n_samples={len(X)}")
        rng = check_random_state(self.random_state)
        self.n_features_in_ = X.shape[1]
        best, best_bound = None, -np.inf
        for _ in range(self.n_init):
            self._initialize(X, rng)
            bound, converged, iterations = -np.inf, False, 0
            for iterations in range(1, self.max_iter + 1):
                previous = bound
                bound, log_resp = self._e_step(X)
                self._m_step(X, log_resp)
                if abs(bound - previous) < self.tol:
                    converged = True
                    break
            if best is None or bound > best_bound:
                best, best_bound = (self._state(), converged, iterations), bound
        state, self.converged_, self.n_iter_ = best
        if not self.converged_:
            warnings.warn(f"EM stopped at max_iter={self.max_iter} before the log-likelihood "
                          f"changed by less than tol={self.tol}; increase max_iter or tol",
                          ConvergenceWarning, stacklevel=2)
        self.weights_, self.means_, self.covariances_, self.precisions_cholesky_ = state
        self.lower_bound_ = best_bound
        chol = self.precisions_cholesky_
        self.precisions_ = (chol @ np.swapaxes(chol, -1, -2) if self.covariance_type in
                            ("full", "tied") else chol ** 2)
        # A last E-step so the labels agree with the parameters kept.
        return self._e_step(X)[1].argmax(axis=1)

    # -- inference --------------------------------------------------------------
    def _checked(self, X) -> np.ndarray:
        check_is_fitted(self, "precisions_")
        X = check_array(X, dtype=np.float64)
        check_n_features(self, X)
        return X

    def score_samples(self, X) -> np.ndarray:
        """Log-likelihood ``log p(x)`` of each sample."""
        return _logsumexp_rows(self._weighted_log_prob(self._checked(X)))

    def score(self, X, y=None) -> float:
        """Average log-likelihood per sample."""
        return float(self.score_samples(X).mean())

    def predict_proba(self, X) -> np.ndarray:
        """Posterior probability of each component (the soft assignment)."""
        return np.exp(self._e_step(self._checked(X))[1])

    def predict(self, X) -> np.ndarray:
        """The most probable component of each sample (the hard assignment)."""
        return self._weighted_log_prob(self._checked(X)).argmax(axis=1)

    def _n_parameters(self) -> int:
        K, d = self.means_.shape
        covariance = {"full": K * d * (d + 1) / 2, "tied": d * (d + 1) / 2, "diag": K * d,
                      "spherical": K}[self.covariance_type]
        return int(covariance + K * d + K - 1)

    def bic(self, X) -> float:
        """Bayesian information criterion: ``-2 log L + n_parameters log n`` (lower is better)."""
        X = self._checked(X)
        return -2 * self.score(X) * len(X) + self._n_parameters() * np.log(len(X))

    def aic(self, X) -> float:
        """Akaike information criterion: ``-2 log L + 2 n_parameters`` (lower is better)."""
        X = self._checked(X)
        return -2 * self.score(X) * len(X) + 2 * self._n_parameters()

    def sample(self, n_samples: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n_samples`` points: returns (X (n_samples, d), their component labels)."""
        check_is_fitted(self, "precisions_")
        if not isinstance(n_samples, numbers.Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be an int >= 1, got {n_samples!r}")
        rng = check_random_state(self.random_state)
        K, d = self.means_.shape
        counts = rng.multinomial(n_samples, self.weights_)
        labels = np.repeat(np.arange(K), counts)
        noise = rng.standard_normal((n_samples, d))
        if self.covariance_type in ("full", "tied"):
            factors = np.linalg.cholesky(self.covariances_)
            if self.covariance_type == "tied":
                factors = np.broadcast_to(factors, (K, d, d))
            noise = np.einsum("nde,ne->nd", factors[labels], noise)
        else:
            scale = np.sqrt(self.covariances_)
            noise *= scale[labels] if scale.ndim == 2 else scale[labels][:, None]
        return self.means_[labels] + noise, labels
