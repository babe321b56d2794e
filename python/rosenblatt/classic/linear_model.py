"""Linear models: least squares (LinearRegression), ridge regression (Ridge) and
logistic regression trained by gradient ascent on the log-likelihood.

With an intercept, X and y are centred first (x_bar, y_bar the training
means), the weights are fitted on the centred data and b = y_bar - W x_bar,
so the intercept is never penalized.

- LinearRegression: W = pinv(Xc) Yc, the minimum-norm least-squares solution
  (well defined for a rank-deficient X too).
- Ridge: W = (Xc^T Xc + alpha I)^-1 Xc^T Yc, the minimizer of
  ||Yc - Xc W||^2 + alpha ||W||^2 (alpha = 0 is least squares).
- LogisticRegression: maximizes the penalized mean log-likelihood

      J(W, b) = 1/n sum_i log p(y_i | x_i) - ||W||^2 / (2 C n)

  (scikit-learn's objective 1/2 ||W||^2 + C sum_i -log p(y_i | x_i),
  divided by -C n) by full-batch gradient ascent with Nesterov momentum,
  step 1 / L for the Lipschitz constant L of the gradient, restarting the
  momentum when J decreases. p is the softmax of the logits W x + b over the
  classes ('multinomial'; for two classes p(classes_[1] | x) = sigmoid(w . x + b))
  or an independent sigmoid per class ('ovr'); the gradient of the
  log-likelihood with respect to the logits, onehot(y) - p, comes from the
  fused native cross-entropy kernel.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from rosenblatt import kernels
from rosenblatt.classic.base import (
    BaseEstimator,
    ConvergenceWarning,
    LinearClassifierMixin,
    RegressorMixin,
    check_array,
    check_is_fitted,
    check_n_features,
    check_X_y,
    class_labels,
    iteration_limit,
    positive_number,
)


def check_regression_data(X, y) -> tuple[np.ndarray, np.ndarray]:
    """X (n, d) and y (n,) or (n, k) as finite float64 arrays of matching length."""
    X = check_array(X, dtype=np.float64)
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise ValueError(f"y must hold numbers, got dtype {y.dtype}")
    y = y.astype(np.float64)
    if y.ndim not in (1, 2):
        raise ValueError(f"y must be 1-D or 2-D (n_samples, n_targets), got shape {y.shape}")
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)}")
    if not np.isfinite(y).all():
        raise ValueError("y contains NaN or infinity")
    return X, y


class LinearModel(RegressorMixin, BaseEstimator):
    """Fitting with an unpenalized intercept by centring, and predicting X W^T + b."""

    def _fit_centred(self, X, y, solve) -> LinearModel:
        X, y = check_regression_data(X, y)
        if not isinstance(self.fit_intercept, (bool, np.bool_)):
            raise ValueError(f"fit_intercept must be a bool, got {self.fit_intercept!r}")
        x_mean = X.mean(axis=0) if self.fit_intercept else np.zeros(X.shape[1])
        y_mean = y.mean(axis=0) if self.fit_intercept else np.zeros(y.shape[1:])
        W = solve(X - x_mean, y - y_mean)           # (d,) or (d, k)
        self.coef_ = W.T
        self.intercept_ = y_mean - x_mean @ W
        if y.ndim == 1:
            self.intercept_ = float(self.intercept_)
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self, "coef_")
        X = check_array(X, dtype=np.float64)
        check_n_features(self, X)
        return X @ self.coef_.T + self.intercept_


class LinearRegression(LinearModel):
    """Ordinary least squares through the pseudo-inverse: coef_ = pinv(Xc) yc.

    ``coef_`` is (n_features,) for a 1-D y, else (n_targets, n_features);
    ``intercept_`` a float or (n_targets,).
    """

    def __init__(self, *, fit_intercept=True):
        self.fit_intercept = fit_intercept

    def fit(self, X, y) -> LinearRegression:
        return self._fit_centred(X, y, lambda Xc, yc: np.linalg.pinv(Xc) @ yc)


class Ridge(LinearModel):
    """Least squares with an L2 penalty alpha ||w||^2 (the intercept is not penalized).

    coef_ solves (Xc^T Xc + alpha I) w = Xc^T yc; alpha = 0 is least squares
    through the pseudo-inverse.
    """

    def __init__(self, *, alpha=1.0, fit_intercept=True):
        self.alpha = alpha
        self.fit_intercept = fit_intercept

    def fit(self, X, y) -> Ridge:
        alpha = self.alpha
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or \
                not np.isfinite(alpha) or alpha < 0:
            raise ValueError(f"alpha must be a finite number >= 0, got {alpha!r}")
        return self._fit_centred(X, y, lambda Xc, yc: ridge_solve(Xc, yc, float(alpha)))


def ridge_solve(Xc: np.ndarray, yc: np.ndarray, alpha: float) -> np.ndarray:
    """argmin_W ||yc - Xc W||^2 + alpha ||W||^2 (minimum-norm least squares when alpha = 0)."""
    if alpha == 0:
        return np.linalg.pinv(Xc) @ yc
    gram = Xc.T @ Xc
    gram[np.diag_indices_from(gram)] += alpha
    return np.linalg.solve(gram, Xc.T @ yc)


class LogisticRegression(LinearClassifierMixin, BaseEstimator):
    """Logistic regression with an L2 penalty, trained by gradient ascent on the log-likelihood.

    Parameters: ``C`` the inverse penalty strength (scikit-learn's), ``lr``
    the step ('auto': 1 / L, the safe step for the gradient's Lipschitz
    constant L; or a number > 0), ``max_iter`` the most full-batch steps,
    ``tol`` the stop on the largest gradient entry of J, ``multi_class``
    'multinomial' (softmax) or 'ovr' (a sigmoid per class).

    Attributes: ``coef_`` (1, n_features) for two classes, else
    (n_classes, n_features); ``intercept_``; ``classes_``; ``n_iter_``.
    """

    def __init__(self, *, C=1.0, fit_intercept=True, lr="auto", max_iter=1000, tol=1e-4,
                 multi_class="multinomial"):
        self.C = C
        self.fit_intercept = fit_intercept
        self.lr = lr
        self.max_iter = max_iter
        self.tol = tol
        self.multi_class = multi_class

    def fit(self, X, y) -> LogisticRegression:
        X, y = check_X_y(X, y, dtype=np.float64)
        C = positive_number(self.C, "C")
        tol = positive_number(self.tol, "tol")
        max_iter = iteration_limit(self.max_iter)
        if self.multi_class not in ("multinomial", "ovr"):
            raise ValueError("multi_class must be 'multinomial' or 'ovr', got "
                             f"{self.multi_class!r}")
        classes, index = class_labels(y)
        n, d = X.shape
        ovr = self.multi_class == "ovr" and len(classes) > 2
        rows = 1 if len(classes) == 2 else len(classes)
        # The columns of Xb are the features and, with an intercept, a constant 1.
        Xb = np.hstack([X, np.ones((n, 1))]) if self.fit_intercept else X
        penalty = np.ones(Xb.shape[1]) / (C * n)
        if self.fit_intercept:
            penalty[-1] = 0.0
        # Hessian bound: (1/2 softmax, 1/4 sigmoid) sigma_max(Xb)^2 / n + the penalty.
        curvature = 0.25 if ovr or rows == 1 else 0.5
        lipschitz = curvature * np.linalg.norm(Xb, 2) ** 2 / n + penalty.max()
        if isinstance(self.lr, str) and self.lr == "auto":
            lr = 1.0 / lipschitz
        elif isinstance(self.lr, str):
            raise ValueError(f"lr must be 'auto' or a number > 0, got {self.lr!r}")
        else:
            lr = positive_number(self.lr, "lr")

        def objective_and_gradient(W):
            loglik, dlogits = log_likelihood(kernels.gemm(Xb, W, trans_b=True), index, rows, ovr)
            J = loglik - 0.5 * (penalty * W ** 2).sum()
            return J, kernels.gemm(dlogits, Xb, trans_a=True, alpha=1.0 / n) - penalty * W

        W = np.zeros((rows, Xb.shape[1]))
        V, momentum = W.copy(), 1.0
        J_prev, _ = objective_and_gradient(W)
        n_iter, converged = 0, False
        for n_iter in range(1, max_iter + 1):
            _, grad_v = objective_and_gradient(V)
            W_next = V + lr * grad_v
            J, grad = objective_and_gradient(W_next)
            if np.abs(grad).max() < tol:
                W, converged = W_next, True
                break
            if J < J_prev:                      # overshoot: restart the momentum from W
                V, momentum = W.copy(), 1.0
                continue
            momentum_next = 0.5 * (1 + np.sqrt(1 + 4 * momentum ** 2))
            V = W_next + ((momentum - 1) / momentum_next) * (W_next - W)
            W, J_prev, momentum = W_next, J, momentum_next
        if not converged:
            warnings.warn(f"LogisticRegression did not reach tol={tol} in max_iter={max_iter} "
                          "steps; increase max_iter or scale the features", ConvergenceWarning,
                          stacklevel=2)
        self.classes_ = classes
        self.n_features_in_ = d
        self.coef_ = W[:, :d]
        self.intercept_ = W[:, d] if self.fit_intercept else np.zeros(rows)
        self.n_iter_ = n_iter
        self._ovr = ovr
        return self

    def predict_proba(self, X) -> np.ndarray:
        """(n, n_classes) class probabilities (for 'ovr' the sigmoids normalized to sum 1)."""
        scores = self.decision_function(X)
        if len(self.classes_) == 2:
            p = 1.0 / (1.0 + np.exp(-scores))
            return np.stack([1 - p, p], axis=1)
        if self._ovr:
            p = 1.0 / (1.0 + np.exp(-scores))
            return p / p.sum(axis=1, keepdims=True)
        return kernels.softmax(scores, axis=1)

    def predict_log_proba(self, X) -> np.ndarray:
        return np.log(self.predict_proba(X))


def log_likelihood(logits: np.ndarray, index: np.ndarray, rows: int, ovr: bool):
    """Mean log-likelihood of the labels and its gradient with respect to the (n, rows) logits.

    Softmax over the classes ('multinomial'); a sigmoid of the single logit
    for two classes (rows == 1), which is the softmax of (0, z); with
    ``ovr`` a sigmoid per class, each the softmax of (0, z_c) against the
    label [class == c]. Every case is one call of the fused cross-entropy
    kernel, whose gradient is p - onehot.
    """
    n = len(logits)
    if rows > 1 and not ovr:
        loss, grad = kernels.cross_entropy(logits, index, reduction="sum")
        return -loss / n, -grad
    labels = (index[:, None] == np.arange(rows)).ravel() if ovr else (index == 1)
    pairs = np.stack([np.zeros(logits.size), logits.ravel()], axis=1)
    loss, grad = kernels.cross_entropy(pairs, labels.astype(np.int64), reduction="sum")
    return -loss / n, -grad[:, 1].reshape(n, rows)
