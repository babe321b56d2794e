"""evaluate: a model's mean loss and metrics over a loader, without gradients.

Also holds what :func:`rosenblatt.train.fit` shares with it: splitting a
batch into ``(x, y)``, choosing default metrics, and the running,
batch-size-weighted means of the loss and metrics over an epoch.
"""

from __future__ import annotations

import numpy as np

from rosenblatt.autograd import no_grad
from rosenblatt.train.metrics import get_metric

__all__ = ["evaluate"]


def split_batch(batch) -> tuple:
    """``(x, y)`` from a loader's batch (a tuple or list of two Tensors)."""
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        got = f"{type(batch).__name__} of {len(batch)}" if isinstance(batch, (tuple, list)) \
            else type(batch).__name__
        raise ValueError(f"each batch must be a pair (inputs, targets), got a {got}")
    return batch[0], batch[1]


def batch_size_of(x) -> int:
    """The number of samples in a batch's inputs (its first dimension)."""
    shape = np.shape(getattr(x, "data", x))
    if not shape:
        raise ValueError("batch inputs must have a batch dimension, got a scalar")
    return int(shape[0])


def resolve_metrics(metrics, target) -> list[tuple[str, object]]:
    """``[(name, fn)]`` for ``metrics``: names/callables, None or () for none, or ``"auto"``.

    ``"auto"`` chooses from the targets: integer or bool labels mean
    classification (accuracy), floating-point targets mean regression (mse).
    """
    if metrics is None:
        return []
    if isinstance(metrics, str) and metrics == "auto":
        dtype = np.asarray(getattr(target, "data", target)).dtype
        classification = np.issubdtype(dtype, np.integer) or dtype == np.bool_
        metrics = ("accuracy",) if classification else ("mse",)
    elif isinstance(metrics, str) or callable(metrics):
        metrics = (metrics,)
    resolved = [get_metric(m) for m in metrics]
    names = [name for name, _ in resolved]
    if len(set(names)) != len(names) or {"loss", "lr", "epoch"} & set(names):
        raise ValueError(f"metric names must be distinct and not 'loss', 'lr' or 'epoch', got {names}")
    return resolved


class RunningMeans:
    """Batch-size-weighted means of the loss and metrics over the batches seen so far."""

    def __init__(self, metrics: list[tuple[str, object]]) -> None:
        self.metrics = metrics
        self.samples = 0
        self.sums: dict[str, float] = {}

    def add(self, n: int, output, target, loss: float | None) -> None:
        """Add one batch of ``n`` samples."""
        values = {} if loss is None else {"loss": loss}
        values.update((name, fn(output, target)) for name, fn in self.metrics)
        for name, value in values.items():
            self.sums[name] = self.sums.get(name, 0.0) + float(value) * n
        self.samples += n

    def means(self) -> dict[str, float]:
        """The means so far (``loss`` first, then the metrics in order)."""
        if self.samples == 0:
            raise ValueError("the loader yielded no batches")
        return {name: total / self.samples for name, total in self.sums.items()}


def evaluate(model, loader, loss_fn=None, metrics="auto") -> dict[str, float]:
    """Mean ``loss`` (when ``loss_fn`` is given) and metrics of ``model`` over ``loader``.

    Runs in eval mode under :func:`rosenblatt.no_grad` and puts the model back
    in the mode it was in. ``metrics``: names (``"accuracy"``, ``"mse"``,
    ``"top5_accuracy"``), callables ``fn(output, target) -> float``, None for
    none, or ``"auto"`` (accuracy for integer targets, mse for float ones).
    Returns e.g. ``{"loss": 0.12, "accuracy": 0.97}``.
    """
    return evaluate_resolved(model, loader, loss_fn, lambda target: resolve_metrics(metrics, target))


def evaluate_resolved(model, loader, loss_fn, metrics_for) -> dict[str, float]:
    """:func:`evaluate` with the metrics given as ``metrics_for(first_target) -> [(name, fn)]``."""
    was_training = getattr(model, "training", True)
    model.eval()
    running = None
    try:
        with no_grad():
            for batch in loader:
                x, y = split_batch(batch)
                if running is None:
                    running = RunningMeans(metrics_for(y))
                output = model(x)
                loss = float(loss_fn(output, y).item()) if loss_fn is not None else None
                running.add(batch_size_of(x), output, y, loss)
    finally:
        model.train() if was_training else model.eval()
    if running is None:
        raise ValueError("the loader yielded no batches")
    return running.means()
