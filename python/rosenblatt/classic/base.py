"""scikit-learn's estimator conventions, shared by every classical model.

An estimator's ``__init__`` takes keyword-only hyper-parameters and only
stores them (so ``get_params`` can read them back by name); ``fit`` validates
its input, learns attributes whose names end in ``_`` and returns ``self``.
Every public method that needs a fitted model calls :func:`check_is_fitted`.
"""

from __future__ import annotations

import inspect
import numbers

import numpy as np


class NotFittedError(ValueError, AttributeError):
    """A method that needs a fitted estimator was called before ``fit`` (as scikit-learn's)."""


class BaseEstimator:
    """``get_params`` / ``set_params`` / ``repr`` from the keyword-only ``__init__`` signature."""

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [name for name, p in signature.parameters.items()
                if name != "self" and p.kind is p.KEYWORD_ONLY]

    def get_params(self, deep: bool = True) -> dict:
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params) -> BaseEstimator:
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"invalid parameter {name!r} for {type(self).__name__}; "
                                 f"valid parameters are {valid}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {name: p.default for name, p in inspect.signature(type(self).__init__).parameters.items()}
        changed = [f"{name}={value!r}" for name, value in self.get_params().items()
                   if not _same(value, defaults.get(name))]
        return f"{type(self).__name__}({', '.join(changed)})"


def _same(a, b) -> bool:
    try:
        return bool(a == b) if not isinstance(a, np.ndarray) else False
    except (TypeError, ValueError):
        return False


class ClassifierMixin:
    """``score`` is the mean accuracy of ``predict``."""

    def score(self, X, y) -> float:
        return float(np.mean(self.predict(X) == np.asarray(y)))


class ConvergenceWarning(UserWarning):
    """An iterative solver stopped at its iteration limit before its tolerance (as scikit-learn's)."""


class LinearClassifierMixin(ClassifierMixin):
    """decision_function and predict from ``_scores(X)``, one column per output row.

    ``_scores`` defaults to the linear w . x + b of fitted ``coef_`` (R, d) and
    ``intercept_`` (R,), with R = 1 for two classes (positive: ``classes_[1]``)
    and R = n_classes otherwise (one-vs-rest or multinomial); the kernel
    perceptron overrides it.
    """

    def _scores(self, X) -> np.ndarray:
        check_is_fitted(self, "coef_")
        X = check_array(X)
        check_n_features(self, X)
        return X @ self.coef_.T + self.intercept_

    def decision_function(self, X) -> np.ndarray:
        """The scores: (n,) for two classes (positive: ``classes_[1]``), else (n, n_classes)."""
        scores = self._scores(X)
        return scores[:, 0] if len(self.classes_) == 2 else scores

    def predict(self, X) -> np.ndarray:
        scores = self._scores(X)          # first: it checks that the model is fitted
        return predict_from_scores(self.classes_, scores)


class RegressorMixin:
    """``score`` is the coefficient of determination R^2 of ``predict``.

    For several outputs it is the mean of the per-output R^2 (scikit-learn's
    'uniform_average'); an output with no variance scores 1 if predicted
    exactly, else 0.
    """

    def score(self, X, y) -> float:
        y = np.asarray(y, dtype=np.float64)
        prediction = np.asarray(self.predict(X), dtype=np.float64).reshape(y.shape)
        y2, p2 = y.reshape(len(y), -1), prediction.reshape(len(y), -1)
        residual = ((y2 - p2) ** 2).sum(axis=0)
        total = ((y2 - y2.mean(axis=0)) ** 2).sum(axis=0)
        safe = np.where(total > 0, total, 1.0)
        r2 = np.where(total > 0, 1.0 - residual / safe, np.where(residual == 0, 1.0, 0.0))
        return float(r2.mean())


class TransformerMixin:
    """``fit_transform`` is ``fit`` then ``transform``."""

    def fit_transform(self, X, y=None):
        return self.fit(X, y).transform(X)


def check_array(X, name: str = "X", *, dtype=None, min_samples: int = 1) -> np.ndarray:
    """``X`` as a finite 2-D float32 or float64 array (other inputs become float64).

    Raises ValueError naming ``name`` for a wrong number of dimensions, too
    few samples, no features, or NaN/infinity.
    """
    array = np.asarray(X)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold numbers, got dtype {array.dtype}")
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    elif array.dtype not in (np.float32, np.float64):
        array = array.astype(np.float64)
    if array.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {array.shape}")
    if array.shape[0] < min_samples:
        raise ValueError(f"{name} has {array.shape[0]} samples; at least {min_samples} required")
    if array.shape[1] == 0:
        raise ValueError(f"{name} has 0 features")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinity")
    return np.ascontiguousarray(array)


def check_X_y(X, y, *, dtype=None, min_samples: int = 1, y_numeric: bool = False):
    """``X`` through :func:`check_array` and ``y`` as a finite 1-D array of the same length."""
    X = check_array(X, dtype=dtype, min_samples=min_samples)
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D, got shape {y.shape}")
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)}")
    if y_numeric or y.dtype.kind == "f":
        y = y.astype(np.float64 if y.dtype.kind != "f" else y.dtype, copy=False)
        if not np.isfinite(y).all():
            raise ValueError("y contains NaN or infinity")
    return X, y


def check_is_fitted(estimator, attribute: str) -> None:
    """Raise :class:`NotFittedError` unless ``estimator`` has the fitted ``attribute``."""
    if not hasattr(estimator, attribute):
        raise NotFittedError(f"this {type(estimator).__name__} is not fitted yet; "
                             "call fit before using it")


def check_n_features(estimator, X: np.ndarray) -> None:
    """Raise ValueError when ``X`` has a different number of features than ``fit`` saw."""
    if X.shape[1] != estimator.n_features_in_:
        raise ValueError(f"X has {X.shape[1]} features, but {type(estimator).__name__} "
                         f"was fitted with {estimator.n_features_in_} features")


def check_random_state(seed) -> np.random.Generator:
    """A NumPy Generator from None (rosenblatt's global generator), an int, or a Generator."""
    if seed is None:
        from rosenblatt.random import generator
        return generator()
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(int(seed))
    raise ValueError(f"random_state must be None, an int or a numpy Generator, got {seed!r}")


def positive_number(value, name: str) -> float:
    """``value`` as a finite float > 0, else ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value) \
            or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def iteration_limit(value, name: str = "max_iter", *, unlimited: bool = False) -> int:
    """``value`` as an int >= 1 (or -1 when ``unlimited`` allows it), else ValueError."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool) and \
        (value >= 1 or (unlimited and value == -1))
    if not ok:
        raise ValueError(f"{name} must be an int >= 1{' or -1 (no limit)' if unlimited else ''}, "
                         f"got {value!r}")
    return int(value)


def class_labels(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(classes_, index of each sample's class); ValueError with fewer than two classes."""
    classes, index = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"the number of classes has to be at least 2, got {len(classes)} "
                         f"(y holds only {classes.tolist()})")
    return classes, index


def one_vs_rest_signs(index: np.ndarray, n_classes: int) -> np.ndarray:
    """(n, 1) signs (+1 for class 1) for two classes, else (n, n_classes) one-vs-rest signs."""
    if n_classes == 2:
        return np.where(index == 1, 1.0, -1.0)[:, None]
    return np.where(index[:, None] == np.arange(n_classes), 1.0, -1.0)


def predict_from_scores(classes: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Labels from (n, R) scores: the sign of the single column for two classes, else the argmax."""
    if len(classes) == 2:
        return classes[(scores[:, 0] > 0).astype(np.int64)]
    return classes[scores.argmax(axis=1)]
