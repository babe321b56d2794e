"""Support vector machines: SVC (the kernel dual by native SMO) and LinearSVC (hinge loss by SGD).

SVC solves, for every binary problem it needs, the soft-margin dual

    min_a 1/2 a^T Q a - e^T a,  0 <= a_i <= C,  y^T a = 0,  Q_ij = y_i y_j K(x_i, x_j)

with :func:`rosenblatt.kernels.smo_solve` on the kernel matrix of that
problem's samples, and classifies with f(x) = sum_i a_i y_i K(x_i, x) + b.
Many classes are handled one-vs-one by default (a machine per pair of
classes, prediction by voting: libsvm's and scikit-learn's scheme, so the
support vectors and dual coefficients line up with scikit-learn's) or
one-vs-rest (a machine per class, prediction by the largest decision value).

LinearSVC minimizes the primal 1/2 ||w||^2 + C sum_i max(0, 1 - y_i (w . x_i + b))
one-vs-rest by Pegasos' stochastic sub-gradient steps.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from rosenblatt import kernels
from rosenblatt.classic.base import (
    BaseEstimator,
    ClassifierMixin,
    ConvergenceWarning,
    LinearClassifierMixin,
    check_array,
    check_is_fitted,
    check_n_features,
    check_random_state,
    check_X_y,
    class_labels,
    iteration_limit,
    one_vs_rest_signs,
    positive_number,
)

KERNELS = ("linear", "poly", "rbf", "sigmoid")


def kernel_function(estimator, X: np.ndarray) -> dict:
    """The keyword arguments of :func:`rosenblatt.kernels.kernel_matrix` for ``estimator``'s
    ``kernel``, ``degree``, ``gamma`` and ``coef0``, ``gamma`` resolved on the training ``X``:

    'scale' -> 1 / (n_features * X.var()) (1 when X is constant), 'auto' ->
    1 / n_features, None -> 'scale', or a number > 0.
    """
    if estimator.kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}, got {estimator.kernel!r}")
    degree = estimator.degree
    if isinstance(degree, bool) or not isinstance(degree, numbers.Integral) or degree < 1:
        raise ValueError(f"degree must be an int >= 1, got {degree!r}")
    coef0 = estimator.coef0
    if isinstance(coef0, bool) or not isinstance(coef0, numbers.Real) or not np.isfinite(coef0):
        raise ValueError(f"coef0 must be a finite number, got {coef0!r}")
    gamma = estimator.gamma
    if gamma is None or (isinstance(gamma, str) and gamma == "scale"):
        variance = float(X.var(dtype=np.float64))
        gamma = 1.0 / (X.shape[1] * variance) if variance > 0 else 1.0
    elif isinstance(gamma, str) and gamma == "auto":
        gamma = 1.0 / X.shape[1]
    elif isinstance(gamma, str):
        raise ValueError(f"gamma must be 'scale', 'auto' or a number > 0, got {gamma!r}")
    else:
        gamma = positive_number(gamma, "gamma")
    return {"kernel": estimator.kernel, "gamma": gamma, "degree": int(degree),
            "coef0": float(coef0)}


def kernel_origin(X: np.ndarray, params: dict) -> np.ndarray | None:
    """The point :func:`kernel_matrix` moves the data to the origin: the training mean for
    'rbf' (translation invariant), None for the other kernels (which are not)."""
    return X.mean(axis=0, dtype=np.float64).astype(X.dtype) if params["kernel"] == "rbf" else None


def kernel_matrix(X: np.ndarray, Y: np.ndarray | None, params: dict,
                  origin: np.ndarray | None) -> np.ndarray:
    """K(X, Y) (Y None: K(X, X)) as a C-contiguous float64 array, by the native kernel.

    It is computed in the precision of the training data (Y, or X when Y is
    None): float32 data gives a float32 kernel, widened for the solver. With
    an ``origin`` both sets are first shifted by it, so that the expansion
    ||x||^2 + ||y||^2 - 2 x.y of the RBF distances loses nothing to a large
    common offset of the data.
    """
    dtype = (X if Y is None else Y).dtype
    X = X.astype(dtype, copy=False)
    if origin is not None:
        X = X - origin
        Y = None if Y is None else Y - origin
    return np.asarray(kernels.kernel_matrix(X, Y, **params), dtype=np.float64, order="C")


def ovr_decision_function(votes: np.ndarray, confidences: np.ndarray) -> np.ndarray:
    """Per-class decision values from one-vs-one ones (scikit-learn's transformation).

    ``votes`` (n, n_classes) counts the pairs each class won; ``confidences``
    (n, n_pairs) are the pair decision values (positive: the first class of
    the pair). Each class adds the confidences in its favour, squashed into
    (-1/3, 1/3) so that they break ties between vote counts only.
    """
    n_classes = votes.shape[1]
    first, second = np.triu_indices(n_classes, 1)
    total = np.zeros(votes.shape)
    np.add.at(total.T, first, confidences.T)
    np.add.at(total.T, second, -confidences.T)
    return votes + total / (3 * (np.abs(total) + 1))


class SVC(ClassifierMixin, BaseEstimator):
    """C-support vector classification with a kernel, trained by native SMO.

    Parameters follow scikit-learn's ``SVC``: ``C`` the box bound (> 0),
    ``kernel`` one of 'linear', 'poly' ((gamma <x, x'> + coef0)^degree),
    'rbf' (exp(-gamma ||x - x'||^2)) or 'sigmoid' (tanh(gamma <x, x'> + coef0)),
    ``gamma`` 'scale' (1 / (n_features X.var())), 'auto' (1 / n_features) or a
    number, ``tol`` the stopping tolerance of SMO on the maximal KKT
    violation, ``max_iter`` the most SMO steps per binary machine (-1: no
    limit). ``multi_class`` chooses one-vs-one ('ovo', scikit-learn's scheme)
    or one-vs-rest ('ovr', a machine per class); for 'ovo',
    ``decision_function_shape`` 'ovr' turns pair decisions into per-class
    ones as scikit-learn does.

    Attributes
    ----------
    classes_, n_features_in_
    support_ : (n_SV,) indices of the support vectors in the training set,
        grouped by class.
    support_vectors_ : (n_SV, n_features) ; n_support_ : (n_classes,) per class.
    dual_coef_ : a_i y_i of the support vectors. 'ovo': (n_classes - 1, n_SV)
        in libsvm's layout (for the pair (i, j), the coefficients of class i's
        vectors in row j - 1, of class j's in row i); 'ovr': (n_classes, n_SV),
        one row per class's machine (0 where a vector is not one of its SVs).
    intercept_ : b of each machine, pairs in the order (0, 1), (0, 2), ..., (1, 2), ...
    n_iter_ : SMO steps of each machine; fit_status_ : 0 if all converged, else 1.

    For two classes there is one machine whose positive side is
    ``classes_[1]`` (as in scikit-learn).
    """

    def __init__(self, *, C=1.0, kernel="rbf", degree=3, gamma="scale", coef0=0.0, tol=1e-3,
                 max_iter=-1, decision_function_shape="ovr", multi_class="ovo"):
        self.C = C
        self.kernel = kernel
        self.degree = degree
        self.gamma = gamma
        self.coef0 = coef0
        self.tol = tol
        self.max_iter = max_iter
        self.decision_function_shape = decision_function_shape
        self.multi_class = multi_class

    def fit(self, X, y) -> SVC:
        X, y = check_X_y(X, y)
        C = positive_number(self.C, "C")
        tol = positive_number(self.tol, "tol")
        max_iter = iteration_limit(self.max_iter, unlimited=True)
        if self.multi_class not in ("ovo", "ovr"):
            raise ValueError(f"multi_class must be 'ovo' or 'ovr', got {self.multi_class!r}")
        if self.decision_function_shape not in ("ovo", "ovr"):
            raise ValueError("decision_function_shape must be 'ovo' or 'ovr', got "
                             f"{self.decision_function_shape!r}")
        classes, index = class_labels(y)
        params = kernel_function(self, X)
        origin = kernel_origin(X, params)
        # Samples grouped by class (stably, as libsvm): a pair's kernel block is
        # four slices of K, and the support vectors come out grouped by class.
        order = np.argsort(index, kind="stable")
        K = kernel_matrix(X[order], None, params, origin)
        bounds = np.r_[0, np.cumsum(np.bincount(index, minlength=len(classes)))]
        sorted_index = index[order]

        one_vs_rest = self.multi_class == "ovr" and len(classes) > 2
        if one_vs_rest:
            # Machine c: class c (+1) against the rest (-1), on every sample.
            machines = [(np.arange(len(X)), K, np.where(sorted_index == c, 1.0, -1.0))
                        for c in range(len(classes))]
        else:
            # Machine (i, j): class i (+1) against class j (-1), on their samples only.
            machines = []
            for i, j in zip(*np.triu_indices(len(classes), 1)):
                a, b = slice(bounds[i], bounds[i + 1]), slice(bounds[j], bounds[j + 1])
                block = np.block([[K[a, a], K[a, b]], [K[b, a], K[b, b]]])
                signs = np.r_[np.ones(a.stop - a.start), -np.ones(b.stop - b.start)]
                machines.append((np.r_[a, b], block, signs))

        coef = np.zeros((len(machines), len(X)))   # a_t y_t of every machine, by sorted sample
        intercept = np.empty(len(machines))
        n_iter = np.empty(len(machines), dtype=np.int64)
        converged = True
        for m, (positions, block, signs) in enumerate(machines):
            result = kernels.smo_solve(block, signs, C=C, tol=tol, max_iter=max_iter)
            coef[m, positions] = result.alpha * signs
            intercept[m], n_iter[m] = result.bias, result.n_iter
            converged &= result.converged
        if not converged:
            warnings.warn(f"SMO stopped at max_iter={max_iter} before reaching tol={tol}; "
                          "the solution may be inaccurate", ConvergenceWarning, stacklevel=2)

        # Support vectors: nonzero in some machine (already grouped by class).
        in_support = np.flatnonzero((coef != 0).any(axis=0))
        support = order[in_support]
        self.classes_ = classes
        self.n_features_in_ = X.shape[1]
        self.support_ = support.astype(np.int32)
        self.support_vectors_ = X[support]
        self.n_support_ = np.bincount(index[support], minlength=len(classes)).astype(np.int32)
        self.n_iter_ = n_iter
        self.fit_status_ = 0 if converged else 1
        self._kernel_params, self._kernel_origin = params, origin
        self._one_vs_rest = one_vs_rest
        self._machine_coef = coef[:, in_support]   # (machines, n_SV)
        self._machine_intercept = intercept
        self._set_public_coefficients(index[support])
        return self

    def _set_public_coefficients(self, sv_class: np.ndarray) -> None:
        """dual_coef_ / intercept_ in scikit-learn's layout from the per-machine coefficients."""
        n_classes = len(self.classes_)
        if self._one_vs_rest:
            self.dual_coef_, self.intercept_ = self._machine_coef, self._machine_intercept
        elif n_classes == 2:
            # Machine (0, 1) is positive for class 0; scikit-learn reports it for classes_[1].
            self.dual_coef_, self.intercept_ = -self._machine_coef, -self._machine_intercept
        else:
            dual = np.zeros((n_classes - 1, len(sv_class)))
            for m, (i, j) in enumerate(zip(*np.triu_indices(n_classes, 1))):
                dual[j - 1, sv_class == i] = self._machine_coef[m, sv_class == i]
                dual[i, sv_class == j] = self._machine_coef[m, sv_class == j]
            self.dual_coef_, self.intercept_ = dual, self._machine_intercept.copy()

    def _machine_decisions(self, X) -> np.ndarray:
        """(n, machines): f(x) = sum_i a_i y_i K(x_i, x) + b of every machine."""
        check_is_fitted(self, "support_")
        X = check_array(X)
        check_n_features(self, X)
        K = kernel_matrix(X, self.support_vectors_, self._kernel_params, self._kernel_origin)
        return kernels.gemm(K, self._machine_coef, trans_b=True, bias=self._machine_intercept)

    def decision_function(self, X) -> np.ndarray:
        """(n,) for two classes (positive: ``classes_[1]``), else (n, n_classes) or, for
        'ovo' with ``decision_function_shape='ovo'``, (n, n_classes (n_classes - 1) / 2)."""
        decisions = self._machine_decisions(X)
        if len(self.classes_) == 2:
            return -decisions[:, 0]
        if self._one_vs_rest or self.decision_function_shape == "ovo":
            return decisions
        return ovr_decision_function(self._votes(decisions), decisions)

    def _votes(self, decisions: np.ndarray) -> np.ndarray:
        """(n, n_classes) pairs won: the pair (i, j) votes i when its decision is > 0, else j."""
        n_classes = len(self.classes_)
        first, second = np.triu_indices(n_classes, 1)
        winner = np.where(decisions > 0, first, second)
        votes = np.zeros((len(decisions), n_classes))
        np.add.at(votes, (np.arange(len(decisions))[:, None], winner), 1)
        return votes

    def predict(self, X) -> np.ndarray:
        decisions = self._machine_decisions(X)
        if self._one_vs_rest:
            return self.classes_[decisions.argmax(axis=1)]
        # Ties go to the lowest class index (argmax picks the first maximum), as in libsvm.
        return self.classes_[self._votes(decisions).argmax(axis=1)]


class LinearSVC(LinearClassifierMixin, BaseEstimator):
    """A linear SVM trained on the hinge loss by Pegasos' stochastic sub-gradient method.

    Each class c (one-vs-rest; a single machine for two classes) gets
    (w_c, b_c) minimizing scikit-learn's objective

        1/2 ||(w, b)||^2 + C sum_i max(0, 1 - y_i (w . x_i + b)),  y_i = +1 for class c, else -1,

    i.e. lambda/2 ||(w, b)||^2 + mean_i hinge_i with lambda = 1 / (C n) (the
    intercept is a constant feature and is regularized, as in liblinear).
    With 'pegasos', step t (a mini-batch B of ``batch_size`` samples) is

        w <- (1 - eta_t lambda) w + eta_t / |B| sum_{i in B, y_i w.x_i < 1} y_i x_i,
        eta_t = 1 / (lambda (t + t0)),  t0 = 1 / (lambda eta0)  (so eta_1 ~ eta0),

    ('constant' keeps eta_t = eta0), then w is projected onto the ball
    ||w|| <= 1 / sqrt(lambda), which holds the optimum. Each epoch (a pass
    over the shuffled samples) is summarized by the average of its iterates
    (averaging cancels much of the gradient noise); the best average so far
    is the model. Training stops when ``n_iter_no_change`` epochs in
    a row lower the best objective by less than ``tol`` (relative), or after
    ``max_iter`` epochs (with a warning).
    """

    def __init__(self, *, C=1.0, max_iter=1000, tol=1e-4, n_iter_no_change=5,
                 learning_rate="pegasos", eta0=0.1, batch_size=16, random_state=None):
        self.C = C
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.batch_size = batch_size
        self.random_state = random_state

    def fit(self, X, y) -> LinearSVC:
        X, y = check_X_y(X, y)
        C = positive_number(self.C, "C")
        tol = positive_number(self.tol, "tol")
        eta0 = positive_number(self.eta0, "eta0")
        max_iter = iteration_limit(self.max_iter)
        batch_size = iteration_limit(self.batch_size, "batch_size")
        iteration_limit(self.n_iter_no_change, "n_iter_no_change")
        if self.learning_rate not in ("pegasos", "constant"):
            raise ValueError("learning_rate must be 'pegasos' or 'constant', got "
                             f"{self.learning_rate!r}")
        rng = check_random_state(self.random_state)
        classes, index = class_labels(y)
        n, d = X.shape
        Xb = np.hstack([X.astype(np.float64), np.ones((n, 1))])   # the bias as a feature
        signs = one_vs_rest_signs(index, len(classes))
        lam = 1.0 / (C * n)
        radius = 1.0 / np.sqrt(lam)
        t0 = 1.0 / (lam * eta0)
        W = np.zeros((signs.shape[1], d + 1))
        W_best = W.copy()

        def objective(weights):
            margins = signs * (Xb @ weights.T)
            return 0.5 * lam * (weights ** 2).sum() + np.maximum(0, 1 - margins).sum() / n

        best, step, epochs, converged, stalled = objective(W), 0, 0, False, 0
        for epochs in range(1, max_iter + 1):
            W_sum, batches = np.zeros_like(W), 0
            order = rng.permutation(n)
            for start in range(0, n, batch_size):
                rows = order[start:start + batch_size]
                step += 1
                eta = 1.0 / (lam * (step + t0)) if self.learning_rate == "pegasos" else eta0
                active = (signs[rows] * (Xb[rows] @ W.T) < 1) * signs[rows]   # (b, machines)
                W *= 1.0 - eta * lam
                W += (eta / len(rows)) * (active.T @ Xb[rows])
                norms = np.sqrt((W ** 2).sum(axis=1, keepdims=True))
                W *= np.minimum(1.0, radius / np.maximum(norms, 1e-300))
                W_sum += W
                batches += 1
            average = W_sum / batches
            current = objective(average)
            stalled = stalled + 1 if best - current < tol * max(abs(best), 1e-12) else 0
            if current < best:
                best, W_best = current, average
            if stalled == self.n_iter_no_change:
                converged = True
                break
        if not converged:
            warnings.warn(f"LinearSVC did not reach tol={tol} in max_iter={max_iter} epochs",
                          ConvergenceWarning, stacklevel=2)
        self.classes_ = classes
        self.n_features_in_ = d
        self.coef_ = W_best[:, :d]
        self.intercept_ = W_best[:, d]
        self.n_iter_ = epochs
        return self
