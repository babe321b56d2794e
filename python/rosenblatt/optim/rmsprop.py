"""RMSprop: gradients scaled by a running root mean square, optionally centered."""

from __future__ import annotations

from rosenblatt import kernels
from rosenblatt.optim.optimizer import (
    Optimizer,
    check_flags,
    check_fraction,
    check_non_negative,
    params_of,
)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture 6e; torch.optim.RMSprop).

    Per parameter p with gradient g, v = square_avg, a = grad_avg, b the
    momentum buffer (all starting at 0) and mu = momentum::

        g <- -g if maximize;  g <- g + weight_decay * p
        v <- alpha * v + (1 - alpha) * g^2
        r = sqrt(v - a^2) + eps, with a <- alpha * a + (1 - alpha) * g,  if centered
        r = sqrt(v) + eps                                                 otherwise
        if mu > 0:  b <- mu * b + g / r;  p <- p - lr * b
        else:       p <- p - lr * g / r

    State per parameter: ``step``, ``square_avg``, ``momentum_buffer`` (when
    momentum > 0) and ``grad_avg`` (when centered).
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _check_options(self, options: dict) -> None:
        check_non_negative(options, "lr", "eps", "weight_decay", "momentum")
        check_fraction("alpha", options["alpha"], closed=False)
        check_flags(options, "centered", "maximize")

    def _update_group(self, group: dict, params: list) -> None:
        momentum, centered = group["momentum"], group["centered"]
        names = ["square_avg"] + ["momentum_buffer"] * (momentum > 0) + ["grad_avg"] * centered
        for p in params:
            self._zeros_state(p, *names)
            self.state[p].setdefault("step", 0)
        for batch in self._batches(params):
            states = [self.state[p] for p in batch]
            kernels.rmsprop_(
                *params_of(batch), [s["square_avg"] for s in states],
                [s["grad_avg"] for s in states] if centered else None,
                [s["momentum_buffer"] for s in states] if momentum > 0 else None,
                lr=group["lr"], alpha=group["alpha"], eps=group["eps"],
                weight_decay=group["weight_decay"], momentum=momentum, centered=centered,
                maximize=group["maximize"],
            )
            for s in states:
                s["step"] += 1
