"""Adam and AdamW: moment estimates of the gradient with bias correction."""

from __future__ import annotations

from rosenblatt import kernels
from rosenblatt.optim.optimizer import (
    Optimizer,
    check_flags,
    check_fraction,
    check_non_negative,
    params_of,
)

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam (Kingma and Ba, 2015; torch.optim.Adam), with AMSGrad and AdamW's decay.

    Per parameter p with gradient g, at its t-th update (t = 1, 2, ...), with
    m, v, vmax = exp_avg, exp_avg_sq, max_exp_avg_sq (all starting at 0)::

        g <- -g if maximize
        p <- p * (1 - lr * weight_decay)   if decoupled_weight_decay (AdamW)
        g <- g + weight_decay * p          otherwise (an L2 penalty)
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g^2
        if amsgrad: vmax <- max(vmax, v), and vmax replaces v below
        p <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    State per parameter: ``step``, ``exp_avg``, ``exp_avg_sq`` and
    ``max_exp_avg_sq`` (when amsgrad).
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _check_options(self, options: dict) -> None:
        check_non_negative(options, "lr", "eps", "weight_decay")
        betas = options["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        check_fraction("betas[0]", betas[0], closed=False)
        check_fraction("betas[1]", betas[1], closed=False)
        check_flags(options, "amsgrad", "maximize", "decoupled_weight_decay")

    def _update_group(self, group: dict, params: list) -> None:
        amsgrad = group["amsgrad"]
        names = ["exp_avg", "exp_avg_sq"] + ["max_exp_avg_sq"] * amsgrad
        for p in params:
            self._zeros_state(p, *names)
            self.state[p].setdefault("step", 0)
        fused = kernels.adamw_ if group["decoupled_weight_decay"] else kernels.adam_
        beta1, beta2 = group["betas"]
        for batch in self._batches(params, key=lambda p: self.state[p]["step"]):
            states = [self.state[p] for p in batch]
            step = states[0]["step"] + 1
            fused(
                *params_of(batch), [s["exp_avg"] for s in states],
                [s["exp_avg_sq"] for s in states],
                [s["max_exp_avg_sq"] for s in states] if amsgrad else None,
                step=step, lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"],
                weight_decay=group["weight_decay"], amsgrad=amsgrad, maximize=group["maximize"],
            )
            for s in states:
                s["step"] = step


class AdamW(Adam):
    r"""AdamW (Loshchilov and Hutter, 2019; torch.optim.AdamW): Adam with decoupled
    weight decay ``p <- p * (1 - lr * weight_decay)`` instead of an L2 penalty
    in the gradient. The update rule is :class:`Adam`'s with
    ``decoupled_weight_decay=True``; note the default ``weight_decay=1e-2``.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
