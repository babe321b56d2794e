"""Dropout module: inverted dropout in training, the identity in evaluation."""

from __future__ import annotations

from rosenblatt import functional as F
from rosenblatt.functional.dropout import check_probability
from rosenblatt.nn.module import Module
from rosenblatt.tensor import Tensor


class Dropout(Module):
    """Zeroes each element with probability ``p`` and scales the rest by 1 / (1 - p) in training.

    The mask comes from the library generator (``rb.manual_seed`` repeats it);
    after ``eval()`` the module returns its input unchanged.
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = check_probability(p)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Dropout2d(Module):
    """Zeroes whole channels (each (n, c) plane) with probability ``p`` in training, scaling the rest."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = check_probability(p)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.dropout2d(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
