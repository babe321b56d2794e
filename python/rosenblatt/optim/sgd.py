"""SGD with momentum, Nesterov momentum, weight decay and optional gradient noise."""

from __future__ import annotations

from rosenblatt import kernels, random
from rosenblatt.optim.optimizer import (
    Optimizer,
    check_finite,
    check_flags,
    check_non_negative,
    params_of,
)

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (torch.optim.SGD), with optional gradient noise.

    Per parameter p with gradient g, mu = momentum, b the momentum buffer::

        g <- g + sigma_t * N(0, I)             if noise_std > 0
        g <- -g if maximize;  g <- g + weight_decay * p
        if mu != 0:
            b <- g                             at the parameter's first step
            b <- mu * b + (1 - dampening) * g  afterwards
            g <- g + mu * b if nesterov else b
        p <- p - lr * g

    Gradient noise (Neelakantan et al., 2015, "Adding Gradient Noise Improves
    Learning for Very Deep Networks") helps leave saddle points and poor
    plateaus. At the parameter's t-th update (t = 0, 1, ...) its standard
    deviation is::

        sigma_t = noise_std / (1 + t) ** (noise_decay / 2)

    that is the paper's sigma_t^2 = eta / (1 + t)^gamma with
    eta = noise_std**2 and gamma = noise_decay (the paper uses 0.55;
    the default 0 keeps the noise constant). The noise is drawn from
    :func:`rosenblatt.random.generator`, so ``rb.manual_seed`` makes it
    repeatable; ``p.grad`` itself is left unchanged.

    State per parameter: ``momentum_buffer`` (when momentum != 0) and ``step``
    (the updates made so far, kept when noise_std > 0).
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        noise_std: float = 0.0,
        noise_decay: float = 0.0,
    ) -> None:
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        noise_std=noise_std, noise_decay=noise_decay)
        super().__init__(params, defaults)

    def _check_options(self, options: dict) -> None:
        check_non_negative(options, "lr", "momentum", "weight_decay", "noise_std", "noise_decay")
        check_finite(options, "dampening")
        check_flags(options, "nesterov", "maximize")
        if options["nesterov"] and (options["momentum"] <= 0 or options["dampening"] != 0):
            raise ValueError("nesterov=True requires momentum > 0 and dampening == 0, got "
                             f"momentum={options['momentum']}, dampening={options['dampening']}")

    def _update_group(self, group: dict, params: list) -> None:
        momentum = group["momentum"]

        def first_step(p) -> bool:  # torch's momentum buffer starts as the first gradient
            return momentum != 0 and "momentum_buffer" not in self.state.get(p, {})

        for batch in self._batches(params, key=first_step):
            fresh = first_step(batch[0])
            for p in batch:  # a fresh buffer's contents are ignored by the kernel
                self._zeros_state(p, *(["momentum_buffer"] if momentum else []))
            states = [self.state[p] for p in batch]
            param_arrays, grads = params_of(batch)
            if group["noise_std"] > 0:
                grads = [self._noisy(g, s, group) for g, s in zip(grads, states)]
            kernels.sgd_(
                param_arrays, grads,
                [s["momentum_buffer"] for s in states] if momentum else None,
                lr=group["lr"], momentum=momentum, dampening=group["dampening"],
                weight_decay=group["weight_decay"], nesterov=group["nesterov"],
                maximize=group["maximize"], fresh_buffers=fresh,
            )
            if group["noise_std"] > 0:
                for s in states:
                    s["step"] = s.get("step", 0) + 1

    @staticmethod
    def _noisy(grad, state: dict, group: dict):
        """``grad`` plus Gaussian noise of standard deviation sigma_t (a new array)."""
        t = state.get("step", 0)
        sigma = group["noise_std"] / (1.0 + t) ** (group["noise_decay"] / 2)
        noise = random.generator().standard_normal(grad.shape, dtype=grad.dtype)
        noise *= sigma
        noise += grad
        return noise
