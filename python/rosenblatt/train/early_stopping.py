"""EarlyStopping: stop training when a monitored value stops improving."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["EarlyStopping"]


@dataclass
class EarlyStopping:
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    Parameters
    ----------
    patience : epochs without improvement tolerated before stopping (>= 1).
    monitor : a History key, e.g. ``"val_loss"`` or ``"val_accuracy"``; None
        means ``"val_loss"`` with a validation loader, else ``"loss"``.
    mode : ``"min"``, ``"max"``, or ``"auto"`` (max for names containing
        "acc", min otherwise).
    min_delta : the smallest change that counts as an improvement.
    restore_best : at the end of training, load the weights of the best epoch.

    The fields after ``restore_best`` are the running state (saved in
    checkpoints so that a resumed run stops where the uninterrupted one would).
    """

    patience: int = 5
    monitor: str | None = None
    mode: str = "auto"
    min_delta: float = 0.0
    restore_best: bool = True
    best: float | None = None
    best_epoch: int | None = None
    wait: int = 0
    best_state: dict | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.patience, bool) or not isinstance(self.patience, (int, np.integer)) \
                or self.patience < 1:
            raise ValueError(f"patience must be an int >= 1, got {self.patience!r}")
        if self.mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {self.mode!r}")
        if not (isinstance(self.min_delta, (int, float)) and 0 <= self.min_delta < math.inf):
            raise ValueError(f"min_delta must be a finite number >= 0, got {self.min_delta!r}")

    def resolve(self, has_validation: bool) -> None:
        """Fix ``monitor`` and ``mode`` once fit knows whether there is a validation loader."""
        if self.monitor is None:
            self.monitor = "val_loss" if has_validation else "loss"
        if self.monitor.startswith("val_") and not has_validation:
            raise ValueError(f"early stopping monitors {self.monitor!r} but fit got no val_loader")
        if self.mode == "auto":
            self.mode = "max" if "acc" in self.monitor else "min"

    def update(self, epoch: int, row: dict, model) -> bool:
        """Record epoch ``epoch``'s ``row``; return True when training should stop."""
        if self.monitor not in row:
            raise ValueError(f"early stopping monitors {self.monitor!r}, which is not measured; "
                             f"available: {sorted(k for k in row if k != 'epoch')}")
        value = float(row[self.monitor])
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self.best_state = {name: np.array(t.data, copy=True)
                                   for name, t in model.state_dict().items()}
            return False
        self.wait += 1
        return self.wait >= self.patience

    def _improved(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if self.best is None:
            return True
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def restore(self, model) -> None:
        """Load the best epoch's weights into ``model`` (with ``restore_best`` and a best epoch)."""
        if self.restore_best and self.best_state is not None:
            model.load_state_dict(self.best_state)

    def state(self) -> dict:
        """The JSON part of the running state (``best_state`` is saved as arrays)."""
        return {"monitor": self.monitor, "mode": self.mode, "best": self.best,
                "best_epoch": self.best_epoch, "wait": self.wait}

    def load_state(self, state: dict, best_state: dict | None) -> None:
        """Restore :meth:`state` and the best weights from a checkpoint."""
        if state.get("monitor") != self.monitor:
            raise ValueError(f"the checkpoint's early stopping monitored {state.get('monitor')!r}, "
                             f"this run monitors {self.monitor!r}")
        self.mode, self.best = state["mode"], state["best"]
        self.best_epoch, self.wait = state["best_epoch"], int(state["wait"])
        self.best_state = best_state or None
