"""Standardization: scale each feature to zero mean and unit variance.

:class:`Standardizer` works like scikit-learn's ``StandardScaler``: ``fit`` on
the training split only, then ``transform`` the training, validation and
test splits with the training statistics (fitting on the test split would
leak it into the model).
"""

from __future__ import annotations

import numpy as np

from rosenblatt import backend
from rosenblatt.tensor import Tensor


class Standardizer:
    """``z = (x - mean_) / scale_`` per feature, with statistics from ``fit``.

    Inputs are NumPy arrays or Tensors of shape ``(n_samples, *features)``
    (a table ``(n, d)``, or images ``(n, c, h, w)`` standardized per pixel).
    ``transform`` returns the kind it was given (an array or a Tensor); float
    inputs keep their dtype and other inputs become float32.

    Fitted attributes: ``mean_`` and ``var_`` (float64, the population
    variance, ``ddof=0``), ``scale_`` (the standard deviation, 1 where a
    feature is constant on the training data, so constant features map to 0
    instead of dividing by zero), ``n_samples_seen_``.

    Parameters
    ----------
    with_mean : subtract the mean (else ``mean_`` is 0).
    with_std : divide by the standard deviation (else ``scale_`` is 1).
    """

    def __init__(self, *, with_mean: bool = True, with_std: bool = True) -> None:
        self.with_mean = with_mean
        self.with_std = with_std

    @staticmethod
    def _unwrap(X, name: str):
        """(array, was_tensor); the array must be (n, *features) and finite."""
        is_tensor = isinstance(X, Tensor)
        array = X.data if is_tensor else np.asarray(X)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"{name}: expected a numeric array, got dtype {array.dtype}")
        if array.ndim < 2:
            raise ValueError(
                f"{name}: expected shape (n_samples, n_features), got {array.shape}; use reshape(-1, 1) for one feature"
            )
        if array.shape[0] == 0:
            raise ValueError(f"{name}: got 0 samples")
        if array.dtype.kind == "f" and not bool(np.isfinite(array).all()):
            raise ValueError(f"{name}: contains NaN or infinity")
        return array, is_tensor

    def fit(self, X) -> Standardizer:
        """Compute the mean and standard deviation of each feature of ``X``."""
        array, _ = self._unwrap(X, "fit")
        data = backend.to_device(array, "cpu").astype(np.float64, copy=False)
        mean = data.mean(axis=0)
        var = data.var(axis=0)
        constant = (data == data[0]).all(axis=0)
        mean[constant] = data[0][constant]  # exact, so constant features become exactly 0
        var[constant] = 0.0
        self.mean_ = mean if self.with_mean else np.zeros_like(mean)
        self.var_ = var
        self.scale_ = np.where(constant, 1.0, np.sqrt(var)) if self.with_std else np.ones_like(var)
        self.n_samples_seen_ = int(data.shape[0])
        return self

    def _checked(self, X, name: str):
        if not hasattr(self, "mean_"):
            raise RuntimeError(f"this Standardizer is not fitted yet; call fit(X_train) before {name}")
        array, is_tensor = self._unwrap(X, name)
        if array.shape[1:] != self.mean_.shape:
            raise ValueError(
                f"{name}: expected samples of shape {self.mean_.shape} as in fit, got {array.shape[1:]}"
            )
        dtype = array.dtype if array.dtype.kind == "f" else np.dtype(np.float32)
        xp = backend.xp(array)
        mean = xp.asarray(self.mean_, dtype=dtype)
        scale = xp.asarray(self.scale_, dtype=dtype)
        return array.astype(dtype, copy=False), mean, scale, is_tensor

    def transform(self, X):
        """``(X - mean_) / scale_``, an array or Tensor like ``X``."""
        array, mean, scale, is_tensor = self._checked(X, "transform")
        out = (array - mean) / scale
        return Tensor(out) if is_tensor else out

    def inverse_transform(self, Z):
        """``Z * scale_ + mean_``: undo :meth:`transform`."""
        array, mean, scale, is_tensor = self._checked(Z, "inverse_transform")
        out = array * scale + mean
        return Tensor(out) if is_tensor else out

    def fit_transform(self, X):
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def __repr__(self) -> str:
        return f"Standardizer(with_mean={self.with_mean}, with_std={self.with_std})"
