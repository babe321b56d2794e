"""Adadelta: step sizes from running averages of squared gradients and updates."""

from __future__ import annotations

from rosenblatt import kernels
from rosenblatt.optim.optimizer import (
    Optimizer,
    check_flags,
    check_fraction,
    check_non_negative,
    params_of,
)

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012; torch.optim.Adadelta).

    Per parameter p with gradient g, v = square_avg and u = acc_delta (both
    starting at 0)::

        g <- -g if maximize;  g <- g + weight_decay * p
        v <- rho * v + (1 - rho) * g^2
        dx = sqrt(u + eps) / sqrt(v + eps) * g
        u <- rho * u + (1 - rho) * dx^2
        p <- p - lr * dx

    State per parameter: ``step``, ``square_avg`` and ``acc_delta``.
    """

    def __init__(
        self,
        params,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_options(self, options: dict) -> None:
        check_non_negative(options, "lr", "eps", "weight_decay")
        check_fraction("rho", options["rho"], closed=True)
        check_flags(options, "maximize")

    def _update_group(self, group: dict, params: list) -> None:
        for p in params:
            self._zeros_state(p, "square_avg", "acc_delta")
            self.state[p].setdefault("step", 0)
        for batch in self._batches(params):
            states = [self.state[p] for p in batch]
            kernels.adadelta_(
                *params_of(batch), [s["square_avg"] for s in states],
                [s["acc_delta"] for s in states],
                lr=group["lr"], rho=group["rho"], eps=group["eps"],
                weight_decay=group["weight_decay"], maximize=group["maximize"],
            )
            for s in states:
                s["step"] += 1
