"""Figures saved as PNG, for every plot the library draws (curves, clusters, decision regions).

Uses matplotlib's object API with the Agg canvas (no display, no pyplot
global state), so it works on headless machines and inside threads.
matplotlib is optional: ``pip install matplotlib`` (or ``rosenblatt[plot]``).
"""

from __future__ import annotations

import os


def new_figure(panels: int = 1, *, width: float = 5.0, height: float = 4.0):
    """(figure, axes): a Figure with ``panels`` side-by-side axes (each ``width`` x ``height``)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install matplotlib "
                          "(or pip install 'rosenblatt[plot]')") from None
    figure = Figure(figsize=(width * panels, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.subplots(1, panels, squeeze=False)[0]


def save_figure(figure, path: str | os.PathLike, title: str | None = None) -> str:
    """Write ``figure`` (with ``title`` above its panels) to ``path`` as PNG; returns the path."""
    if title:
        figure.suptitle(title)
    path = os.fspath(path)
    figure.savefig(path, format="png")
    return path
