"""Evaluation metrics on model outputs: plain NumPy on arrays or Tensors.

Every metric takes ``(output, target)`` as the model produced them (no
gradient is recorded) and returns a Python float, except
:func:`confusion_matrix`, which returns an int64 array. Metrics whose value
is a mean over samples (all but the confusion matrix) can be averaged over
batches weighted by batch size, which is how :func:`rosenblatt.train.fit`
accumulates them over an epoch.

Classification outputs are read as follows:

- ``(N, C)`` with C >= 2: scores (logits or probabilities) of C classes;
  the prediction is the argmax.
- ``(N,)`` or ``(N, 1)``: one score per sample for two classes. Logits are
  thresholded at 0, probabilities (and 0/1 predictions) at 0.5; with
  ``from_logits=None`` a score outside [0, 1] means logits.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

__all__ = [
    "accuracy",
    "confusion_matrix",
    "get_metric",
    "mean_squared_error",
    "predicted_classes",
    "top_k_accuracy",
]


def _array(x, name: str) -> np.ndarray:
    """``x`` as a NumPy array (a Tensor's data; CuPy arrays are copied to the host)."""
    data = getattr(x, "data", x) if not isinstance(x, np.ndarray) else x
    if hasattr(data, "get") and not isinstance(data, np.ndarray):  # cupy.ndarray
        data = data.get()
    array = np.asarray(data)
    if array.dtype == object:
        raise TypeError(f"{name} must be numeric, got an object array")
    return array


def _labels(target, n: int) -> np.ndarray:
    """Integer class labels from ``target`` (int labels, or 0/1 floats), checked against ``n`` samples."""
    y = _array(target, "target")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"target must hold one class label per sample, got shape {y.shape}")
    if y.shape[0] != n:
        raise ValueError(f"output has {n} samples, target has {y.shape[0]}")
    if not np.issubdtype(y.dtype, np.integer) and y.dtype != np.bool_:
        if not np.all(y == np.round(y)):
            raise ValueError("target holds non-integer values; class labels expected")
    return y.astype(np.int64)


def predicted_classes(output, *, from_logits: bool | None = None) -> np.ndarray:
    """The predicted class of each sample (int64, shape ``(N,)``); see the module docstring."""
    scores = _array(output, "output")
    if scores.ndim == 2 and scores.shape[1] >= 2:
        return scores.argmax(axis=1).astype(np.int64)
    if scores.ndim == 2 and scores.shape[1] == 1:
        scores = scores[:, 0]
    if scores.ndim != 1:
        raise ValueError(f"output must have shape (N, C) or (N,), got {scores.shape}")
    if scores.dtype == np.bool_ or np.issubdtype(scores.dtype, np.integer):
        return scores.astype(np.int64)
    if from_logits is None:
        from_logits = bool(scores.size) and not (scores.min() >= 0 and scores.max() <= 1)
    return (scores > (0.0 if from_logits else 0.5)).astype(np.int64)


def accuracy(output, target, *, from_logits: bool | None = None) -> float:
    """Fraction of samples whose predicted class equals the target label."""
    predicted = predicted_classes(output, from_logits=from_logits)
    labels = _labels(target, predicted.shape[0])
    if predicted.size == 0:
        raise ValueError("accuracy of zero samples is undefined")
    return float(np.mean(predicted == labels))


def top_k_accuracy(output, target, k: int = 5) -> float:
    """Fraction of samples whose label is among the ``k`` highest scores of ``output`` (N, C).

    Ties are broken as ``numpy.argsort`` does; ``k >= C`` counts every sample.
    """
    scores = _array(output, "output")
    if scores.ndim != 2:
        raise ValueError(f"top_k_accuracy needs scores of shape (N, C), got {scores.shape}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be an int >= 1, got {k!r}")
    labels = _labels(target, scores.shape[0])
    if scores.shape[0] == 0:
        raise ValueError("top_k_accuracy of zero samples is undefined")
    if np.any((labels < 0) | (labels >= scores.shape[1])):
        raise ValueError(f"target labels must be in [0, {scores.shape[1]}), got "
                         f"[{labels.min()}, {labels.max()}]")
    k = min(int(k), scores.shape[1])
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    return float(np.mean(np.any(top == labels[:, None], axis=1)))


def mean_squared_error(output, target) -> float:
    """Mean of ``(output - target) ** 2`` over all elements (shapes must match, up to a trailing 1)."""
    predicted = _array(output, "output").astype(np.float64)
    actual = _array(target, "target").astype(np.float64)
    if predicted.shape != actual.shape:
        if predicted.reshape(predicted.shape[0], -1).shape != actual.reshape(actual.shape[0], -1).shape:
            raise ValueError(f"output shape {predicted.shape} does not match target shape {actual.shape}")
        actual = actual.reshape(predicted.shape)
    if predicted.size == 0:
        raise ValueError("mean_squared_error of zero elements is undefined")
    return float(np.mean((predicted - actual) ** 2))


def confusion_matrix(target, output, num_classes: int | None = None, *,
                     from_logits: bool | None = None) -> np.ndarray:
    """Counts ``M[i, j]`` of samples of true class i predicted as class j (int64, C x C).

    ``output`` may be scores (as for :func:`accuracy`) or predicted labels of
    shape ``(N,)``. ``num_classes`` defaults to the largest label seen plus one.
    Argument order follows scikit-learn: true labels first.
    """
    scores = _array(output, "output")
    if scores.ndim == 1 and (np.issubdtype(scores.dtype, np.integer) or scores.dtype == np.bool_):
        predicted = scores.astype(np.int64)
    else:
        predicted = predicted_classes(scores, from_logits=from_logits)
    labels = _labels(target, predicted.shape[0])
    if min(labels.min(initial=0), predicted.min(initial=0)) < 0:
        raise ValueError("class labels must be >= 0")
    seen = int(max(labels.max(initial=-1), predicted.max(initial=-1))) + 1
    if num_classes is None:
        num_classes = seen
    elif num_classes < seen:
        raise ValueError(f"num_classes is {num_classes} but label {seen - 1} occurs")
    counts = np.bincount(labels * num_classes + predicted, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes).astype(np.int64)


_METRICS: dict[str, Callable] = {
    "accuracy": accuracy,
    "acc": accuracy,
    "mse": mean_squared_error,
    "mean_squared_error": mean_squared_error,
}


def get_metric(metric) -> tuple[str, Callable]:
    """``(name, fn)`` for a metric given by name or as a callable ``fn(output, target) -> float``.

    Names: ``"accuracy"``, ``"mse"``, and ``"top<k>_accuracy"`` (e.g. ``"top5_accuracy"``).
    A callable's name is its ``__name__``.
    """
    if callable(metric):
        return getattr(metric, "__name__", type(metric).__name__), metric
    if not isinstance(metric, str):
        raise TypeError(f"a metric must be a name or a callable, got {type(metric).__name__}")
    if metric in _METRICS:
        fn = _METRICS[metric]
        return ("accuracy" if fn is accuracy else "mse"), fn
    match = re.fullmatch(r"top_?(\d+)(?:_accuracy)?", metric)
    if match and int(match.group(1)) >= 1:
        k = int(match.group(1))

        def top_k(output, target):
            return top_k_accuracy(output, target, k)

        return f"top{k}_accuracy", top_k
    raise ValueError(f"unknown metric {metric!r}; expected 'accuracy', 'mse', 'top<k>_accuracy' "
                     "or a callable")
