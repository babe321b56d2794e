"""Training curves saved as PNG: a History's loss and metric (train and validation), or any curves.

Uses matplotlib's object API with the Agg canvas (no display, no pyplot
global state), so it works on headless machines and inside threads.
matplotlib is optional: ``pip install matplotlib`` (or ``rosenblatt[plot]``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from rosenblatt.plotting import new_figure, save_figure

__all__ = ["plot_curves", "plot_history"]


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
    reserved = {"epoch", "loss", "lr", "seconds", "samples_per_s", "stopped_epoch", "best_epoch"}
    if metric is None:
        candidates = [k for k in history if k not in reserved and not k.startswith("val_")]
        metric = "accuracy" if "accuracy" in candidates else (candidates[0] if candidates else None)
    elif metric not in history:
        raise ValueError(f"history has no {metric!r}; it has {sorted(history)}")
    epochs = list(history["epoch"]) if "epoch" in history else list(range(1, len(history["loss"]) + 1))
    figure, panels = new_figure(2 if metric else 1)
    _panel(panels[0], history, "loss", epochs, "loss")
    if metric:
        _panel(panels[1], history, metric, epochs, metric.replace("_", " "))
    return save_figure(figure, path, title)


def plot_curves(path: str | os.PathLike, curves: Mapping[str, list], *, xlabel: str = "epoch",
                ylabel: str | None = None, title: str | None = None) -> str:
    """Save named curves (``{"mistakes": [...], ...}``, x = 1, 2, ...) on one axes to the PNG ``path``.

    Returns the path written; raises ImportError (with the pip command) when
    matplotlib is missing.
    """
    if not curves or not all(len(values) for values in curves.values()):
        raise ValueError("plot_curves needs at least one non-empty curve")
    figure, (axes,) = new_figure(1)
    for name, values in curves.items():
        axes.plot(range(1, len(values) + 1), list(values), marker="o", markersize=3, label=name)
    axes.set_xlabel(xlabel)
    if ylabel:
        axes.set_ylabel(ylabel)
    axes.grid(True, alpha=0.3)
    axes.legend()
    return save_figure(figure, path, title)
