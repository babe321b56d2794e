"""Fused in-place optimizer steps on lists of NumPy arrays.

Each function performs one step of the torch.optim optimizer of the same name
on a whole list of parameters in ONE native call (the loop over the list runs
in C++ on ``rosenblatt.get_num_threads()`` threads, in a single pass over
memory, with the GIL released), updating the
parameters and the optimizer state arrays in place. Argument names are those
of torch.optim's functional forms (``torch.optim.adam.adam`` ...), and float32
results equal torch's to rounding.

Rules shared by all six functions:

- Array arguments are lists (or tuples) with one array per parameter:
  ``params[i]``, ``grads[i]`` and the state arrays ``...[i]`` are float32 or
  float64 (one dtype per call), have the shape of ``params[i]``, and are
  C-contiguous and aligned; every array but the grads is writeable and shares
  memory with no other array of the call.
- Hyper-parameters are keyword-only, with torch.optim's defaults.
- ``maximize=True`` follows the gradient upwards (``g <- -g``).
- ``weight_decay`` adds the L2 term ``g <- g + weight_decay * p`` (AdamW:
  decays the parameter instead).
- ``step`` (Adagrad, Adam, AdamW) is the step count AFTER this update's
  increment, an int >= 1: torch increments ``state_steps`` before using them,
  so the first update has ``step=1``.
- A state list that the options do not use (``max_exp_avg_sqs`` without
  amsgrad, ``grad_avgs`` when not centered, ``momentum_buffer_list`` without
  momentum) is ignored and may be None.
- Every argument is checked before any array is written: a bad one raises
  ValueError or TypeError naming it (and the list index, for an array).
- State arrays start as torch initialises them: zeros, except Adagrad's
  ``state_sums`` (filled with ``initial_accumulator_value``) and SGD's
  momentum buffers (see ``fresh_buffers``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rosenblatt import _C

Arrays = Sequence[np.ndarray]

__all__ = ["adadelta_", "adagrad_", "adam_", "adamw_", "rmsprop_", "sgd_"]


def sgd_(
    params: Arrays,
    grads: Arrays,
    momentum_buffer_list: Arrays | None = None,
    *,
    lr: float = 1e-3,
    momentum: float = 0.0,
    dampening: float = 0.0,
    weight_decay: float = 0.0,
    nesterov: bool = False,
    maximize: bool = False,
    fresh_buffers: bool = False,
) -> None:
    r"""One step of SGD (torch.optim.SGD), in place.

    Per element, with mu = momentum and b the momentum buffer::

        g <- -g if maximize;  g <- g + weight_decay * p
        if mu != 0:
            b <- g                           if fresh_buffers (the first step)
            b <- mu * b + (1 - dampening) * g    otherwise
            g <- g + mu * b if nesterov else b
        p <- p - lr * g

    ``momentum_buffer_list`` is required when ``momentum > 0``. torch keeps no
    buffer before the first step (a ``None`` entry) and then sets it to the
    gradient; here the buffers are arrays, so pass ``fresh_buffers=True`` on
    the first step: the buffers' contents are then ignored (they may come from
    ``np.empty_like``) and overwritten with the gradient. ``nesterov``
    requires ``momentum > 0`` and ``dampening == 0``.
    """
    _C.sgd_(
        params, grads, momentum_buffer_list,
        lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
        nesterov=nesterov, maximize=maximize, fresh_buffers=fresh_buffers,
    )


def adagrad_(
    params: Arrays,
    grads: Arrays,
    state_sums: Arrays,
    *,
    step: int,
    lr: float = 1e-2,
    lr_decay: float = 0.0,
    weight_decay: float = 0.0,
    eps: float = 1e-10,
    maximize: bool = False,
) -> None:
    r"""One step of Adagrad (torch.optim.Adagrad), in place.

    Per element, with t = step (the count after this update, >= 1)::

        g <- -g if maximize;  g <- g + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        s <- s + g^2
        p <- p - clr * g / (sqrt(s) + eps)

    Initialise each ``state_sums[i]`` as torch does, to
    ``np.full_like(params[i], initial_accumulator_value)`` (0 by default).
    """
    _C.adagrad_(
        params, grads, state_sums,
        step=step, lr=lr, lr_decay=lr_decay, weight_decay=weight_decay, eps=eps,
        maximize=maximize,
    )


def adadelta_(
    params: Arrays,
    grads: Arrays,
    square_avgs: Arrays,
    acc_deltas: Arrays,
    *,
    lr: float = 1.0,
    rho: float = 0.9,
    eps: float = 1e-6,
    weight_decay: float = 0.0,
    maximize: bool = False,
) -> None:
    r"""One step of Adadelta (torch.optim.Adadelta), in place.

    Per element, with v = square_avg and u = acc_delta (both start at 0)::

        g <- -g if maximize;  g <- g + weight_decay * p
        v <- rho * v + (1 - rho) * g^2
        dx = sqrt(u + eps) / sqrt(v + eps) * g
        u <- rho * u + (1 - rho) * dx^2
        p <- p - lr * dx

    ``rho`` is in [0, 1].
    """
    _C.adadelta_(
        params, grads, square_avgs, acc_deltas,
        lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
    )


def rmsprop_(
    params: Arrays,
    grads: Arrays,
    square_avgs: Arrays,
    grad_avgs: Arrays | None = None,
    momentum_buffer_list: Arrays | None = None,
    *,
    lr: float = 1e-2,
    alpha: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    centered: bool = False,
    maximize: bool = False,
) -> None:
    r"""One step of RMSprop (torch.optim.RMSprop), in place.

    Per element, with v = square_avg, a = grad_avg, b = momentum buffer (all
    start at 0) and mu = momentum::

        g <- -g if maximize;  g <- g + weight_decay * p
        v <- alpha * v + (1 - alpha) * g^2
        if centered:
            a <- alpha * a + (1 - alpha) * g
            r = sqrt(v - a^2) + eps
        else:
            r = sqrt(v) + eps
        if mu > 0:  b <- mu * b + g / r;  p <- p - lr * b
        else:       p <- p - lr * g / r

    ``grad_avgs`` is required when ``centered``, ``momentum_buffer_list`` when
    ``momentum > 0``. ``alpha`` is in [0, 1).
    """
    _C.rmsprop_(
        params, grads, square_avgs, grad_avgs, momentum_buffer_list,
        lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
        centered=centered, maximize=maximize,
    )


_ADAM_MATH = r"""
    Per element, with t = step (the count after this update, >= 1) and m, v,
    vmax = exp_avg, exp_avg_sq, max_exp_avg_sq (all start at 0)::

        g <- -g if maximize
        {decay}
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g^2
        if amsgrad: vmax <- max(vmax, v), and vmax replaces v below
        p <- p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    The last line is torch's order of operations (step size and denominator
    formed separately). ``max_exp_avg_sqs`` is required when ``amsgrad``.
    ``beta1`` and ``beta2`` are in [0, 1).
"""


def adam_(
    params: Arrays,
    grads: Arrays,
    exp_avgs: Arrays,
    exp_avg_sqs: Arrays,
    max_exp_avg_sqs: Arrays | None = None,
    *,
    step: int,
    lr: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    amsgrad: bool = False,
    maximize: bool = False,
) -> None:
    _C.adam_(
        params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs,
        step=step, lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay,
        amsgrad=amsgrad, maximize=maximize,
    )


def adamw_(
    params: Arrays,
    grads: Arrays,
    exp_avgs: Arrays,
    exp_avg_sqs: Arrays,
    max_exp_avg_sqs: Arrays | None = None,
    *,
    step: int,
    lr: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
    amsgrad: bool = False,
    maximize: bool = False,
) -> None:
    _C.adamw_(
        params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs,
        step=step, lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay,
        amsgrad=amsgrad, maximize=maximize,
    )


adam_.__doc__ = "One step of Adam (torch.optim.Adam), in place.\n" + _ADAM_MATH.format(
    decay="g <- g + weight_decay * p            (L2 penalty)"
)
adamw_.__doc__ = "One step of AdamW (torch.optim.AdamW), in place.\n" + _ADAM_MATH.format(
    decay="p <- p * (1 - lr * weight_decay)     (decoupled weight decay)"
)
