"""Progress display for :func:`rosenblatt.train.fit`: a tqdm bar on a terminal, plain lines elsewhere.

- ``progress=False``: nothing is printed.
- ``progress=True`` and stderr is a terminal: one tqdm bar per epoch
  (loss, accuracy and samples/s updated as batches finish), left on screen
  with the epoch's validation results when it ends.
- ``progress=True`` and stderr is not a terminal (logs, pipes, pytest): one
  plain summary line per epoch, no carriage returns or bar redraws.
"""

from __future__ import annotations

import sys

from tqdm import tqdm

__all__ = ["EpochProgress", "format_row"]

_SHOWN = ("loss", "accuracy")


def _short(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def format_row(row: dict) -> str:
    """One epoch's results as a line: ``epoch 3/10  loss 0.1234  accuracy 0.95 ...``."""
    parts = [f"{key} {_short(value)}" for key, value in row.items()
             if key not in ("epoch", "seconds", "samples_per_s")]
    if "seconds" in row:
        parts.append(f"{row['seconds']:.2f}s")
    if "samples_per_s" in row:
        parts.append(f"{row['samples_per_s']:.0f} samples/s")
    return "  ".join(parts)


class EpochProgress:
    """The display of one epoch; ``update`` after each batch, ``close`` with the epoch's row."""

    def __init__(self, enabled: bool, epoch: int, epochs: int, batches: int | None) -> None:
        self.enabled = bool(enabled)
        self.prefix = f"epoch {epoch}/{epochs}"
        interactive = self.enabled and _is_terminal(sys.stderr)
        self.bar = tqdm(total=batches, desc=self.prefix, unit="batch", leave=True, dynamic_ncols=True,
                        file=sys.stderr, disable=not interactive)

    def update(self, means: dict, samples_per_s: float) -> None:
        """Show the running means after one more batch."""
        if self.bar.disable:
            return
        shown = {key: f"{means[key]:.4f}" for key in _SHOWN if key in means}
        self.bar.set_postfix(shown | {"samples/s": f"{samples_per_s:.0f}"}, refresh=False)
        self.bar.update(1)

    def close(self, row: dict) -> None:
        """End the epoch: the bar shows the final results, or a plain line is printed."""
        if not self.bar.disable:
            shown = {key: f"{value:.4f}" for key, value in row.items()
                     if key not in ("epoch", "lr", "seconds", "samples_per_s")}
            self.bar.set_postfix(shown | {"samples/s": f"{row['samples_per_s']:.0f}"}, refresh=False)
            self.bar.close()
        elif self.enabled:
            print(f"{self.prefix}  {format_row(row)}", file=sys.stderr, flush=True)


    def abort(self) -> None:
        """End the epoch early (an error is about to be raised): close the bar, print nothing."""
        self.bar.close()


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
