"""Training curves: loss and a metric (train and validation) per epoch, saved as a PNG.

Uses matplotlib's object API with the Agg canvas (no display, no pyplot
global state), so it works on headless machines and inside threads.
matplotlib is optional: ``pip install matplotlib`` (or ``rosenblatt[plot]``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = ["plot_history"]


def _matplotlib():
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plotting training curves needs matplotlib: pip install matplotlib "
                          "(or pip install 'rosenblatt[plot]')") from None
    return Figure, FigureCanvasAgg


def _panel(axes, history: Mapping, key: str, epochs: list, title: str) -> None:
    for name, label, style in ((key, "train", "-"), (f"val_{key}", "validation", "--")):
        if name in history:
            axes.plot(epochs, history[name], style, marker="o", markersize=3, label=label)
    axes.set_title(title)
    axes.set_xlabel("epoch")
    axes.grid(True, alpha=0.3)
    axes.legend()


def plot_history(history: Mapping, path: str | os.PathLike, *, metric: str | None = None,
                 title: str | None = None) -> str:
    """Save the loss curve and one metric's curve (train and validation) to the PNG ``path``.

    ``history`` is a :class:`rosenblatt.train.History` or a dict of per-epoch
    lists with ``loss`` (and ``val_loss``, ``<metric>``, ``val_<metric>``).
    ``metric`` defaults to ``accuracy`` when recorded, else the first other
    metric; with none, only the loss is drawn. Returns the path written.
    Raises ImportError (with the pip command) when matplotlib is missing.
    """
    if "loss" not in history or not len(history["loss"]):
        raise ValueError("history has no 'loss' values to plot")
    Figure, FigureCanvasAgg = _matplotlib()
    reserved = {"epoch", "loss", "lr", "seconds", "samples_per_s", "stopped_epoch", "best_epoch"}
    if metric is None:
        candidates = [k for k in history if k not in reserved and not k.startswith("val_")]
        metric = "accuracy" if "accuracy" in candidates else (candidates[0] if candidates else None)
    elif metric not in history:
        raise ValueError(f"history has no {metric!r}; it has {sorted(history)}")
    epochs = list(history["epoch"]) if "epoch" in history else list(range(1, len(history["loss"]) + 1))
    figure = Figure(figsize=(10 if metric else 5, 4), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    panels = figure.subplots(1, 2 if metric else 1, squeeze=False)[0]
    _panel(panels[0], history, "loss", epochs, "loss")
    if metric:
        _panel(panels[1], history, metric, epochs, metric.replace("_", " "))
    if title:
        figure.suptitle(title)
    path = os.fspath(path)
    figure.savefig(path, format="png")
    return path
