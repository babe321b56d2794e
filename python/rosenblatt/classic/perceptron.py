"""Rosenblatt's perceptron, primal and kernel (dual) form, with scikit-learn's API.

Rosenblatt's rule: for labels y in {-1, +1} the prediction is sign(w . x + b),
and on a mistake (y (w . x + b) <= 0) it updates

    w <- w + y x,    b <- b + y.

On a linearly separable set with margin gamma and radius R it makes at most
(R / gamma)^2 updates (Novikoff), so training stops after an epoch without a
mistake. With C > 2 classes each class has its own (w_c, b_c) trained on
y = +1 for class c and -1 otherwise, all updated together per sample (one-vs-
rest); the prediction is the class with the highest score. The averaged
variant predicts with the average of (w, b) over every step.

The kernel perceptron runs the same rule in the feature space of a kernel K:
w = sum_i alpha_i y_i phi(x_i), so a mistake on sample i just adds 1 to
alpha_i, and

    f(x) = sum_i alpha_i y_i K(x_i, x) + b.

:func:`rosenblatt_rule` is the one implementation of the rule; it also
trains ``rosenblatt.models.Perceptron``.
"""

from __future__ import annotations

import numpy as np

from rosenblatt.classic.base import (
    BaseEstimator,
    LinearClassifierMixin,
    check_array,
    check_is_fitted,
    check_n_features,
    check_random_state,
    check_X_y,
    class_labels,
    iteration_limit,
    one_vs_rest_signs,
)
from rosenblatt.classic.svm import kernel_function, kernel_matrix, kernel_origin


def rosenblatt_rule(inputs: np.ndarray, signs: np.ndarray, weight: np.ndarray, bias: np.ndarray,
                    *, max_epochs: int, rng: np.random.Generator | None = None,
                    averaged: bool = False, dual: bool = False):
    """Train (weight, bias) by Rosenblatt's rule, one-vs-rest, epoch by epoch.

    Parameters
    ----------
    inputs : (n, d) samples; with ``dual`` the (n, n) kernel matrix K, whose row
        i holds K(x_i, x_t) for every training sample t.
    signs : (n, R) targets in {-1, +1}, one column per output row.
    weight : (R, d) float64 starting weights, updated in place; with ``dual``
        (R, n) holding alpha_{r,t} y_{r,t} (so a score is weight @ K[i] + bias).
    bias : (R,) float64, updated in place.
    max_epochs : passes over the data; training stops earlier after an epoch
        without a mistake.
    rng : shuffles the samples every epoch; None keeps their order.
    averaged : return the average of (weight, bias) over every step instead.
    dual : a mistake on sample i adds y_i to weight[:, i] (alpha_i += 1)
        instead of y_i x_i to the weight rows.

    Returns
    -------
    (weight, bias, mistakes_per_epoch, converged)
    """
    weight_sum, bias_sum, steps = np.zeros_like(weight), np.zeros_like(bias), 0
    mistakes_per_epoch, converged = [], False
    for _ in range(max_epochs):
        order = rng.permutation(len(inputs)) if rng is not None else np.arange(len(inputs))
        mistakes = 0
        for i in order:
            x, s = inputs[i], signs[i]
            wrong = s * (weight @ x + bias) <= 0
            if wrong.any():
                if dual:
                    weight[wrong, i] += s[wrong]
                else:
                    weight[wrong] += s[wrong, None] * x
                bias[wrong] += s[wrong]
                mistakes += int(wrong.sum())
            if averaged:
                weight_sum += weight
                bias_sum += bias
                steps += 1
        mistakes_per_epoch.append(mistakes)
        if mistakes == 0:
            converged = True
            break
    if averaged and steps:
        weight, bias = weight_sum / steps, bias_sum / steps
    return weight, bias, mistakes_per_epoch, converged


class Perceptron(LinearClassifierMixin, BaseEstimator):
    """The primal perceptron (Rosenblatt's rule), one-vs-rest for many classes.

    Parameters: ``max_iter`` the most epochs (it stops at the first epoch
    without a mistake), ``shuffle`` the samples every epoch with
    ``random_state``, ``averaged`` predicts with the averaged weights.

    Attributes: ``coef_`` (1, n_features) for two classes (positive:
    ``classes_[1]``) else (n_classes, n_features), ``intercept_``,
    ``classes_``, ``n_iter_`` (epochs run), ``converged_`` (an epoch had no
    mistake), ``mistakes_per_epoch_``.
    """

    def __init__(self, *, max_iter=1000, shuffle=True, averaged=False, random_state=None):
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.averaged = averaged
        self.random_state = random_state

    def fit(self, X, y) -> Perceptron:
        X, y = check_X_y(X, y)
        max_iter = iteration_limit(self.max_iter)
        classes, index = class_labels(y)
        signs = one_vs_rest_signs(index, len(classes))
        rng = check_random_state(self.random_state) if self.shuffle else None
        weight = np.zeros((signs.shape[1], X.shape[1]))
        bias = np.zeros(signs.shape[1])
        weight, bias, mistakes, converged = rosenblatt_rule(
            X.astype(np.float64), signs, weight, bias, max_epochs=max_iter, rng=rng,
            averaged=bool(self.averaged))
        self.classes_ = classes
        self.n_features_in_ = X.shape[1]
        self.coef_, self.intercept_ = weight, bias
        self.n_iter_, self.converged_, self.mistakes_per_epoch_ = len(mistakes), converged, mistakes
        return self



class KernelPerceptron(LinearClassifierMixin, BaseEstimator):
    """The perceptron in dual form: f(x) = sum_i alpha_i y_i K(x_i, x) + b, alpha_i counting
    the mistakes made on x_i.

    ``kernel``, ``degree``, ``gamma`` and ``coef0`` define K as for :class:`SVC`
    ('linear', 'poly' (gamma <x, x'> + coef0)^degree, 'rbf', 'sigmoid'; gamma
    'scale', 'auto' or a number). ``max_iter`` bounds the epochs (training
    stops at the first epoch without a mistake). Many classes: one-vs-rest.

    Attributes: ``support_`` (training samples with a mistake), ``support_vectors_``,
    ``dual_coef_`` (R, n_SV) holding alpha y per output row (R = 1 for two
    classes), ``intercept_``, ``classes_``, ``n_iter_``, ``converged_``.
    """

    def __init__(self, *, kernel="rbf", degree=3, gamma="scale", coef0=1.0, max_iter=100,
                 shuffle=True, random_state=None):
        self.kernel = kernel
        self.degree = degree
        self.gamma = gamma
        self.coef0 = coef0
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state

    def fit(self, X, y) -> KernelPerceptron:
        X, y = check_X_y(X, y)
        max_iter = iteration_limit(self.max_iter)
        classes, index = class_labels(y)
        params = kernel_function(self, X)
        origin = kernel_origin(X, params)
        K = kernel_matrix(X, None, params, origin)
        signs = one_vs_rest_signs(index, len(classes))
        rng = check_random_state(self.random_state) if self.shuffle else None
        coef = np.zeros((signs.shape[1], len(X)))
        bias = np.zeros(signs.shape[1])
        coef, bias, mistakes, converged = rosenblatt_rule(
            K, signs, coef, bias, max_epochs=max_iter, rng=rng, dual=True)
        support = np.flatnonzero((coef != 0).any(axis=0))
        self.classes_ = classes
        self.n_features_in_ = X.shape[1]
        self.support_ = support
        self.support_vectors_ = X[support]
        self.dual_coef_ = coef[:, support]
        self.intercept_ = bias
        self.n_iter_, self.converged_, self.mistakes_per_epoch_ = len(mistakes), converged, mistakes
        self._kernel_params, self._kernel_origin = params, origin
        return self

    def _scores(self, X) -> np.ndarray:
        """f(x) = sum_i alpha_i y_i K(x_i, x) + b for each output row."""
        check_is_fitted(self, "support_")
        X = check_array(X)
        check_n_features(self, X)
        K = kernel_matrix(X, self.support_vectors_, self._kernel_params, self._kernel_origin)
        return K @ self.dual_coef_.T + self.intercept_
