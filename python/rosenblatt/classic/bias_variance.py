"""Bias-variance decomposition of a regressor's test error over a grid of model capacities.

For a test point x with true value f(x) and predictions y_hat_D(x) of models
trained on data sets D (here bootstrap resamples of the training set), the
expected squared error against f splits exactly as

    E_D (y_hat_D(x) - f(x))^2 = (E_D y_hat_D(x) - f(x))^2 + Var_D y_hat_D(x)
                                 = bias^2(x) + variance(x),

(the mean and variance taken over the training sets D), and against a noisy
observation y = f(x) + eps (E eps = 0, Var eps = sigma^2,
independent of D) the expected error adds the irreducible noise sigma^2.
Averaged over the test points, small capacities have a large bias^2 and a
small variance, large ones the reverse, and their sum, the expected test
error, is U-shaped in the capacity.

Two ways to get the training sets D:
- bootstrap resamples of the one training set you have (any data): the
  bias^2 estimate then also holds the spread of the fit to that one set's
  noise, so it levels off at about the variance instead of falling to 0;
- fresh draws from a known generator (``draw_training_set``), the textbook
  decomposition, which separates bias^2 and variance exactly in expectation.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from rosenblatt.classic.base import check_array, check_random_state


class BiasVariance(NamedTuple):
    """Per-capacity estimates, each an array aligned with ``capacities``."""

    capacities: list
    #: mean over test points of (mean prediction - f(x))^2 (the plug-in estimate,
    #: which also holds variance / n_bootstrap from averaging finitely many models)
    bias2: np.ndarray
    variance: np.ndarray        #: mean over test points of the variance of the predictions
    mse: np.ndarray             #: mean over resamples and test points of (prediction - f(x))^2
    noise: float                #: sigma^2 when given, else 0
    expected_error: np.ndarray  #: mse + noise: the expected error on noisy test targets


def bias_variance_decomposition(make_model: Callable, capacities: Sequence, X_train, y_train,
                                X_test, y_true_test, *, n_bootstrap: int = 50,
                                noise_variance: float | None = None, random_state=None,
                                draw_training_set: Callable | None = None) -> BiasVariance:
    """Estimates of bias^2, variance and expected squared error per capacity.

    Parameters
    ----------
    make_model : callable
        ``make_model(capacity)`` returns an unfitted regressor (fit/predict).
    capacities : sequence
        The model capacities to scan (e.g. polynomial degrees), at least one.
    X_train, y_train : the training set (n, d) and (n,) that is resampled;
        None when ``draw_training_set`` is given.
    X_test : (m, d) test inputs.
    y_true_test : (m,) the noise-free targets f(x) at ``X_test``.
    n_bootstrap : int
        Models trained per capacity, each on a bootstrap resample (n rows
        drawn with replacement) of the training set; at least 2.
    noise_variance : float, optional
        sigma^2 of the observation noise when known (added to ``expected_error``).
    random_state : None, int or numpy Generator
        The resamples (or draws); the same training sets serve every capacity.
    draw_training_set : callable, optional
        ``draw_training_set(rng)`` returns a fresh training set ``(X, y)``
        from the true distribution; used instead of bootstrap resamples
        (``n_bootstrap`` of them).

    Returns
    -------
    BiasVariance
        ``bias2``, ``variance``, ``mse`` (= bias2 + variance), ``noise`` and
        ``expected_error`` (= mse + noise) per capacity.
    """
    X_test = check_array(X_test, "X_test")
    f_test = np.asarray(y_true_test, dtype=np.float64)
    if f_test.shape != (len(X_test),) or not np.isfinite(f_test).all():
        raise ValueError(f"y_true_test must be a finite array of shape ({len(X_test)},), "
                         f"got shape {f_test.shape}")
    capacities = list(capacities)
    if not capacities:
        raise ValueError("capacities must hold at least one capacity")
    if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, numbers.Integral) or \
            n_bootstrap < 2:
        raise ValueError(f"n_bootstrap must be an int >= 2, got {n_bootstrap!r}")
    noise = 0.0
    if noise_variance is not None:
        if not (isinstance(noise_variance, numbers.Real) and np.isfinite(noise_variance)
                and noise_variance >= 0):
            raise ValueError(f"noise_variance must be a finite number >= 0, got {noise_variance!r}")
        noise = float(noise_variance)
    rng = check_random_state(random_state)
    if draw_training_set is None:
        X_train, y_train = training_set(X_train, y_train, X_test.shape[1])
        training_sets = [(X_train[rows], y_train[rows]) for rows in
                         rng.integers(0, len(X_train), size=(n_bootstrap, len(X_train)))]
    elif X_train is not None or y_train is not None:
        raise ValueError("pass X_train and y_train as None when draw_training_set draws them")
    else:
        training_sets = [training_set(*draw_training_set(rng), X_test.shape[1])
                         for _ in range(n_bootstrap)]

    bias2, variance, mse = (np.empty(len(capacities)) for _ in range(3))
    for c, capacity in enumerate(capacities):
        predictions = np.stack([
            np.asarray(make_model(capacity).fit(X, y).predict(X_test),
                       dtype=np.float64).reshape(len(X_test))
            for X, y in training_sets])                               # (n_bootstrap, m)
        bias2[c] = ((predictions.mean(axis=0) - f_test) ** 2).mean()
        variance[c] = predictions.var(axis=0).mean()
        mse[c] = ((predictions - f_test) ** 2).mean()
    return BiasVariance(capacities, bias2, variance, mse, noise, mse + noise)


def training_set(X, y, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """A training set checked: finite X (n, n_features) and y (n,)."""
    X = check_array(X, "X_train")
    y = np.asarray(y, dtype=np.float64)
    if y.shape != (len(X),) or not np.isfinite(y).all():
        raise ValueError(f"y_train must be a finite array of shape ({len(X)},), got shape {y.shape}")
    if X.shape[1] != n_features:
        raise ValueError(f"X_train has {X.shape[1]} features but X_test {n_features}")
    return X, y


def plot_bias_variance(result: BiasVariance, path: str | os.PathLike, *,
                       xlabel: str = "model capacity", title: str | None = None) -> str:
    """Save bias^2, variance and the expected test error against capacity to the PNG ``path``.

    Returns the path written. Raises ImportError (with the pip command) when
    matplotlib is missing.
    """
    from rosenblatt.plotting import new_figure, save_figure

    figure, (axes,) = new_figure(1)
    x = np.arange(len(result.capacities))
    axes.plot(x, result.bias2, marker="o", label="bias$^2$")
    axes.plot(x, result.variance, marker="s", label="variance")
    label = "expected test error" + (" (+ noise)" if result.noise else "")
    axes.plot(x, result.expected_error, marker="^", linewidth=2, label=label)
    if result.noise:
        axes.axhline(result.noise, color="gray", linestyle=":", label="noise $\\sigma^2$")
    best = int(np.argmin(result.expected_error))
    axes.axvline(best, color="gray", linestyle="--", alpha=0.5)
    axes.set_xticks(x, [str(c) for c in result.capacities])
    if min(result.bias2.min(), result.variance.min()) > 0:
        axes.set_yscale("log")
    axes.set_xlabel(xlabel)
    axes.set_ylabel("squared error")
    axes.grid(True, alpha=0.3)
    axes.legend()
    return save_figure(figure, path, title or "bias-variance trade-off")
