"""Splitting data: :func:`random_split` of a Dataset, :func:`train_test_split` of arrays."""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Sequence

import numpy as np

from rosenblatt import backend
from rosenblatt import random as rb_random
from rosenblatt.data.dataset import Dataset, Subset
from rosenblatt.tensor import Tensor


def _split_sizes(lengths: Sequence, n: int) -> list[int]:
    """Sizes from ints summing to ``n`` or fractions summing to 1 (as in PyTorch)."""
    if len(lengths) == 0:
        raise ValueError("lengths must not be empty")
    if all(isinstance(x, numbers.Integral) and not isinstance(x, bool) for x in lengths):
        sizes = [int(x) for x in lengths]
        if any(s < 0 for s in sizes):
            raise ValueError(f"lengths must be >= 0, got {sizes}")
        if sum(sizes) != n:
            raise ValueError(f"lengths {sizes} sum to {sum(sizes)}, but the dataset has {n} samples")
        return sizes
    fractions = [float(x) for x in lengths]
    if any(not 0.0 <= f <= 1.0 for f in fractions) or not math.isclose(sum(fractions), 1.0, abs_tol=1e-9):
        raise ValueError(f"fractional lengths must lie in [0, 1] and sum to 1, got {fractions}")
    sizes = [math.floor(n * f) for f in fractions]
    for k in range(n - sum(sizes)):  # the remainder goes round-robin, as in PyTorch
        sizes[k % len(sizes)] += 1
    return sizes


def random_split(dataset: Dataset, lengths: Sequence, generator: np.random.Generator | None = None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random :class:`Subset` s.

    ``lengths`` are sizes summing to ``len(dataset)`` or fractions summing to
    1 (``floor(n * f)`` samples each, the remainder handed out one by one from
    the first subset on). The permutation is drawn from ``generator``, else
    from the library generator (so :func:`rosenblatt.manual_seed` fixes it).
    """
    n = len(dataset)
    sizes = _split_sizes(lengths, n)
    rng = generator if generator is not None else rb_random.generator()
    order = rng.permutation(n)
    bounds = np.cumsum([0, *sizes])
    return [Subset(dataset, order[lo:hi]) for lo, hi in zip(bounds[:-1], bounds[1:])]


def _as_numpy(x, name: str) -> np.ndarray:
    if isinstance(x, Tensor):
        x = backend.to_device(x.data, "cpu")
    array = np.asarray(x)
    if array.ndim == 0:
        raise ValueError(f"{name} must have a first (sample) dimension, got a scalar")
    return array


def _test_count(test_size, n: int) -> int:
    if isinstance(test_size, numbers.Integral) and not isinstance(test_size, bool):
        n_test = operator.index(test_size)
    elif isinstance(test_size, numbers.Real) and 0.0 < test_size < 1.0:
        n_test = math.ceil(test_size * n)
    else:
        raise ValueError(f"test_size must be a fraction in (0, 1) or a number of samples, got {test_size!r}")
    if not 0 < n_test < n:
        raise ValueError(f"test_size={test_size!r} leaves {n_test} of {n} samples for testing; both splits need samples")
    return n_test


def _stratified_test_indices(labels: np.ndarray, n_test: int, rng: np.random.Generator) -> np.ndarray:
    """Test indices with each class in proportion (largest-remainder rounding)."""
    classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    if counts.min() < 2:
        raise ValueError(f"stratify: class {classes[counts.argmin()]!r} has only 1 sample; each class needs 2")
    exact = counts * n_test / labels.size
    per_class = np.floor(exact).astype(np.int64)
    extra = n_test - per_class.sum()
    per_class[np.argsort(per_class - exact, kind="stable")[:extra]] += 1
    chosen = [rng.permutation(np.flatnonzero(inverse == c))[:k] for c, k in enumerate(per_class)]
    return np.concatenate(chosen)


def train_test_split(X, y, test_size=0.2, seed: int | None = 0, stratify=None):
    """Split ``X`` and ``y`` into a random train part and test part.

    Returns ``X_train, X_test, y_train, y_test`` as NumPy arrays (the order
    scikit-learn uses). ``test_size`` is a fraction (``ceil(test_size * n)``
    test samples: 360 of 1,797 digits, 1,000 of 5,000 for mnist5k) or a count.
    With an int ``seed`` the split is fixed: the same for every call whatever
    the library generator's state; ``seed=None`` draws from the library
    generator. ``stratify`` (usually ``y``) keeps each class's share in both
    parts. Both parts come out in random order.
    """
    X, y = _as_numpy(X, "X"), _as_numpy(y, "y")
    n = X.shape[0]
    if y.shape[0] != n:
        raise ValueError(f"X and y must have the same number of samples, got {n} and {y.shape[0]}")
    n_test = _test_count(test_size, n)
    rng = rb_random.generator() if seed is None else np.random.default_rng(seed)
    if stratify is None:
        test = rng.permutation(n)[:n_test]
    else:
        labels = _as_numpy(stratify, "stratify")
        if labels.shape != (n,):
            raise ValueError(f"stratify must have shape ({n},), got {labels.shape}")
        test = rng.permutation(_stratified_test_indices(labels, n_test, rng))
    in_test = np.zeros(n, dtype=bool)
    in_test[test] = True
    train = rng.permutation(np.flatnonzero(~in_test))
    return X[train], X[test], y[train], y[test]
