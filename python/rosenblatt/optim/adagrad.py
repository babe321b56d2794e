"""Adagrad: per-coordinate step sizes from the accumulated squared gradients."""

from __future__ import annotations

import numpy as np

from rosenblatt import kernels
from rosenblatt.optim.optimizer import Optimizer, check_flags, check_non_negative, params_of

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011; torch.optim.Adagrad).

    Per parameter p with gradient g, at its t-th update (t = 1, 2, ...)::

        g <- -g if maximize;  g <- g + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        sum <- sum + g^2
        p <- p - clr * g / (sqrt(sum) + eps)

    State per parameter: ``step`` and ``sum`` (starting at
    ``initial_accumulator_value``).
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_options(self, options: dict) -> None:
        check_non_negative(options, "lr", "lr_decay", "weight_decay",
                           "initial_accumulator_value", "eps")
        check_flags(options, "maximize")

    def _update_group(self, group: dict, params: list) -> None:
        for p in params:
            state = self.state.setdefault(p, {})
            if "sum" not in state:
                state["step"] = 0
                state["sum"] = np.full_like(p.data, group["initial_accumulator_value"])
        for batch in self._batches(params, key=lambda p: self.state[p]["step"]):
            states = [self.state[p] for p in batch]
            step = states[0]["step"] + 1
            kernels.adagrad_(
                *params_of(batch), [s["sum"] for s in states],
                step=step, lr=group["lr"], lr_decay=group["lr_decay"],
                weight_decay=group["weight_decay"], eps=group["eps"], maximize=group["maximize"],
            )
            for s in states:
                s["step"] = step
