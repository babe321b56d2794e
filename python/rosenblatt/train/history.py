"""History: what :func:`rosenblatt.train.fit` measured, one row per epoch."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping

__all__ = ["History"]


class History(Mapping):
    """Per-epoch records of a training run, readable as a dict of lists.

    Keys (each a list with one entry per epoch): ``epoch`` (1-based),
    ``loss`` (mean training loss over the epoch's samples), one entry per
    metric (``accuracy`` ... measured on the training batches as they were
    trained), ``val_loss`` and ``val_<metric>`` when there is a validation
    loader, ``lr`` (the first param group's learning rate during the epoch),
    ``seconds`` (the whole epoch, validation included) and ``samples_per_s``
    (training samples per second of the training pass). ``history["val_accuracy"][-1]`` is
    the last validation accuracy.

    Attributes
    ----------
    stopped_epoch : the epoch at which early stopping ended the run, or None.
    best_epoch : the epoch with the best monitored value under early stopping, or None.
    """

    def __init__(self, records: Mapping[str, list] | None = None, *, stopped_epoch: int | None = None,
                 best_epoch: int | None = None) -> None:
        self._records: dict[str, list] = {key: list(values) for key, values in (records or {}).items()}
        self.stopped_epoch = stopped_epoch
        self.best_epoch = best_epoch

    def append(self, row: Mapping[str, float]) -> None:
        """Add one epoch's values; a key new in this row is filled with NaN for earlier epochs."""
        epochs = self.epochs
        for key in row:
            self._records.setdefault(key, [math.nan] * epochs)
        for key, values in self._records.items():
            values.append(row.get(key, math.nan))

    def __getitem__(self, key: str) -> list:
        return self._records[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._records)

    def __len__(self) -> int:
        """The number of keys (as for a dict); :attr:`epochs` counts the epochs."""
        return len(self._records)

    @property
    def epochs(self) -> int:
        """The number of epochs recorded."""
        return len(next(iter(self._records.values()), []))

    def last(self) -> dict:
        """The last epoch's row as a dict (empty before the first epoch)."""
        return {key: values[-1] for key, values in self._records.items() if values}

    def to_dict(self) -> dict:
        """A JSON-ready copy: ``{key: [values]}`` plus ``stopped_epoch`` and ``best_epoch``."""
        return {**{key: list(values) for key, values in self._records.items()},
                "stopped_epoch": self.stopped_epoch, "best_epoch": self.best_epoch}

    @classmethod
    def from_dict(cls, data: Mapping) -> History:
        """Rebuild a History from :meth:`to_dict`'s output."""
        records = {key: value for key, value in data.items() if key not in ("stopped_epoch", "best_epoch")}
        if not all(isinstance(values, list) for values in records.values()):
            raise ValueError("a History dict must map each key to a list of per-epoch values")
        return cls(records, stopped_epoch=data.get("stopped_epoch"), best_epoch=data.get("best_epoch"))

    def __repr__(self) -> str:
        last = ", ".join(f"{key}={value:.4g}" if isinstance(value, float) else f"{key}={value}"
                         for key, value in self.last().items())
        return f"History({self.epochs} epochs; last: {last})"
