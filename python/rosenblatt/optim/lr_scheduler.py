"""Learning-rate schedules with torch.optim.lr_scheduler's names and semantics.

A scheduler sets ``group['lr']`` of every param group of its optimizer; call
``scheduler.step()`` once per epoch (or per iteration) AFTER
``optimizer.step()``. Construction performs step 0, so the first
``optimizer.step()`` already uses the schedule's first learning rate.
``last_epoch`` counts the steps taken (0 after construction) and
``base_lrs`` are the groups' initial learning rates (stored in the groups as
``'initial_lr'``).

As in torch, each step computes the new rates from the groups' current ones
(:meth:`LRScheduler.get_lr`), so schedulers compose:
:class:`ChainedScheduler` steps several at once (their factors multiply) and
:class:`SequentialLR` runs them one after another. With t = last_epoch and
lr0 = base_lr:

================  ====================================================
StepLR            lr0 * gamma ** (t // step_size)
ExponentialLR     lr0 * gamma ** t
InverseTimeLR     lr0 / (1 + decay_rate * t)
InverseSqrtLR     lr0 * sqrt(warmup_steps / max(t, warmup_steps))
CosineAnnealingLR eta_min + (lr0 - eta_min) * (1 + cos(pi t / T_max)) / 2
LinearLR          lr0 * (start_factor + (end_factor - start_factor)
                  * min(t, total_iters) / total_iters)
LambdaLR          lr0 * lr_lambda(t)
================  ====================================================

LinearLR gives linear decay (``start_factor=1, end_factor=0``) and linear
warm-up (``start_factor=0.01, end_factor=1, total_iters=W``); warm-up
followed by a decay is ``SequentialLR(opt, [warmup, decay], milestones=[W])``.
"""

from __future__ import annotations

import math
import numbers
import types
from bisect import bisect_right
from collections.abc import Callable, Sequence

from rosenblatt.optim.optimizer import Optimizer

__all__ = [
    "ChainedScheduler",
    "CosineAnnealingLR",
    "ExponentialLR",
    "InverseSqrtLR",
    "InverseTimeLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "SequentialLR",
    "StepLR",
]


def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _check_number(name: str, value, low: float, high: float = math.inf) -> float:
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not math.isfinite(value) or not low <= value <= high):
        where = f"in [{low}, {high}]" if high < math.inf else f">= {low}"
        raise ValueError(f"{name} must be a finite number {where}, got {value!r}")
    return float(value)


class LRScheduler:
    """Base class: holds the optimizer, ``last_epoch`` and ``base_lrs``.

    A subclass defines :meth:`get_lr`, the learning rates at ``last_epoch``
    computed from the groups' current ones (torch's chainable form), and may
    define :meth:`_closed_form_lr`, the rates at ``last_epoch`` from
    ``base_lrs`` alone (used when :class:`SequentialLR` restarts it).
    """

    _initial = False  # True during step 0, which the constructor takes

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        last_epoch = _check_int("last_epoch", last_epoch, -1)
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise ValueError(f"param_groups[{i}] has no 'initial_lr': a scheduler resumed "
                                 "with last_epoch >= 0 needs the optimizer's loaded state")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        self._initial = True
        try:
            self.step()
        finally:
            del self._initial

    def get_lr(self) -> list[float]:
        """The learning rates at ``last_epoch`` (chainable form)."""
        raise NotImplementedError

    def _closed_form_lr(self) -> list[float]:
        return self.get_lr()

    def get_last_lr(self) -> list[float]:
        """The learning rates the last step set."""
        return list(self._last_lr)

    def step(self) -> None:
        """Advance the schedule by one and set the groups' learning rates."""
        self.last_epoch += 1
        self._set_lrs(self.get_lr())

    def _restart(self) -> None:
        """Go back to epoch 0 from ``base_lrs`` (SequentialLR, at a milestone)."""
        self.last_epoch = 0
        self._set_lrs(self._closed_form_lr())

    def _set_lrs(self, lrs: list[float]) -> None:
        for group, lr in zip(self.optimizer.param_groups, lrs, strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _scaled(self, factor: float) -> list[float]:
        """The groups' current learning rates times ``factor``."""
        return [group["lr"] * factor for group in self.optimizer.param_groups]

    def state_dict(self) -> dict:
        """Every attribute but the optimizer."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a :meth:`state_dict`; raises ValueError if its keys are not this scheduler's."""
        expected = set(self.state_dict())
        if not isinstance(state_dict, dict) or set(state_dict) != expected:
            got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"{type(self).__name__} state_dict must have the keys "
                             f"{sorted(expected)}, got {got}")
        self.__dict__.update(state_dict)


class LambdaLR(LRScheduler):
    """lr = base_lr * lr_lambda(last_epoch); one function, or one per param group.

    The state_dict keeps the attributes of callable objects, not functions
    (which cannot be saved): reconstruct with the same functions.
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | Sequence,
                 last_epoch: int = -1) -> None:
        groups = len(optimizer.param_groups) if isinstance(optimizer, Optimizer) else 0
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != groups:
                raise ValueError(f"lr_lambda has {len(lr_lambda)} functions for {groups} "
                                 "param groups")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * groups
        if not all(callable(f) for f in self.lr_lambdas):
            raise TypeError("lr_lambda must be callable (or a list of callables)")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * f(self.last_epoch) for f, base in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self) -> dict:
        state = super().state_dict()
        state["lr_lambdas"] = [None if isinstance(f, types.FunctionType) else dict(f.__dict__)
                               for f in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        functions, saved = self.lr_lambdas, state_dict.get("lr_lambdas")
        if not isinstance(saved, list) or len(saved) != len(functions):
            raise ValueError(f"lr_lambdas of the state_dict must be a list of {len(functions)}")
        super().load_state_dict(state_dict)
        self.lr_lambdas = functions
        for f, attributes in zip(functions, saved):
            if attributes is not None:
                f.__dict__.update(attributes)


class StepLR(LRScheduler):
    """lr = base_lr * gamma ** (last_epoch // step_size): decay by gamma every step_size steps."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.step_size = _check_int("step_size", step_size, 1)
        self.gamma = _check_number("gamma", gamma, 0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        at_boundary = self.last_epoch > 0 and self.last_epoch % self.step_size == 0
        return self._scaled(self.gamma if at_boundary else 1.0)

    def _closed_form_lr(self) -> list[float]:
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """lr = base_lr * gamma ** last_epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = _check_number("gamma", gamma, 0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return self._scaled(1.0 if self._initial else self.gamma)

    def _closed_form_lr(self) -> list[float]:
        return [base * self.gamma**self.last_epoch for base in self.base_lrs]


class InverseTimeLR(LRScheduler):
    """Inverse-time decay: lr = base_lr / (1 + decay_rate * last_epoch).

    The classic Robbins-Monro rate: its sum diverges while the sum of its
    squares converges.
    """

    def __init__(self, optimizer: Optimizer, decay_rate: float, last_epoch: int = -1) -> None:
        self.decay_rate = _check_number("decay_rate", decay_rate, 0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._initial:
            return self._scaled(1.0)
        t, k = self.last_epoch, self.decay_rate
        return self._scaled((1 + k * (t - 1)) / (1 + k * t))

    def _closed_form_lr(self) -> list[float]:
        return [base / (1 + self.decay_rate * self.last_epoch) for base in self.base_lrs]


class InverseSqrtLR(LRScheduler):
    """Inverse square-root decay after a constant phase.

    lr = base_lr * sqrt(warmup_steps / max(last_epoch, warmup_steps)): base_lr
    for the first ``warmup_steps`` steps, then proportional to
    1 / sqrt(last_epoch) (the Transformer's and T5's rsqrt schedule, scaled so
    that base_lr is the peak). For a linear ramp up to the peak, chain it with
    ``LinearLR(opt, start_factor, total_iters=warmup_steps)`` in a
    :class:`ChainedScheduler`.
    """

    def __init__(self, optimizer: Optimizer, warmup_steps: int = 1, last_epoch: int = -1) -> None:
        self.warmup_steps = _check_int("warmup_steps", warmup_steps, 1)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._initial:
            return self._scaled(1.0)
        t, w = self.last_epoch, self.warmup_steps
        return self._scaled(math.sqrt(max(t - 1, w) / max(t, w)))

    def _closed_form_lr(self) -> list[float]:
        w = self.warmup_steps
        return [base * math.sqrt(w / max(self.last_epoch, w)) for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * last_epoch / T_max)) / 2.

    Half a cosine from base_lr down to eta_min over T_max steps (SGDR without
    restarts); as in torch, past T_max the rate rises again along the cosine.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,  # noqa: N803
                 last_epoch: int = -1) -> None:
        self.T_max = _check_int("T_max", T_max, 1)
        self.eta_min = _check_number("eta_min", eta_min, 0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, period, low = self.last_epoch, self.T_max, self.eta_min
        if self._initial:
            return self._scaled(1.0)
        if (t - 1 - period) % (2 * period) == 0:  # leaving the minimum: the ratio below is 0/0
            rise = (1 - math.cos(math.pi / period)) / 2
            return [g["lr"] + (base - low) * rise
                    for base, g in zip(self.base_lrs, self.optimizer.param_groups)]
        ratio = (1 + math.cos(math.pi * t / period)) / (1 + math.cos(math.pi * (t - 1) / period))
        return [low + ratio * (g["lr"] - low) for g in self.optimizer.param_groups]

    def _closed_form_lr(self) -> list[float]:
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]


class LinearLR(LRScheduler):
    """lr = base_lr * factor, the factor moving linearly from start_factor to
    end_factor over total_iters steps, then staying at end_factor.

    Linear decay: ``start_factor=1.0, end_factor=0.0``; linear warm-up:
    ``start_factor=0.01`` (> 0), ``end_factor=1.0``.
    """

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5, last_epoch: int = -1) -> None:
        if not (isinstance(start_factor, numbers.Real) and 0 < start_factor <= 1):
            raise ValueError(f"start_factor must be in (0, 1], got {start_factor!r}")
        self.start_factor = float(start_factor)
        self.end_factor = _check_number("end_factor", end_factor, 0.0, 1.0)
        self.total_iters = _check_int("total_iters", total_iters, 1)
        super().__init__(optimizer, last_epoch)

    def _factor(self, t: int) -> float:
        fraction = min(t, self.total_iters) / self.total_iters
        return self.start_factor + (self.end_factor - self.start_factor) * fraction

    def get_lr(self) -> list[float]:
        t = self.last_epoch
        if t == 0:
            return self._scaled(self.start_factor)
        if self._initial or t > self.total_iters:
            return self._scaled(1.0)
        return self._scaled(self._factor(t) / self._factor(t - 1))

    def _closed_form_lr(self) -> list[float]:
        return [base * self._factor(self.last_epoch) for base in self.base_lrs]


def _check_schedulers(kind: str, schedulers, optimizer) -> list[LRScheduler]:
    schedulers = list(schedulers)
    if not schedulers:
        raise ValueError(f"{kind} needs at least one scheduler")
    for i, scheduler in enumerate(schedulers):
        if not isinstance(scheduler, LRScheduler):
            raise TypeError(f"schedulers[{i}] is a {type(scheduler).__name__}, not an LRScheduler")
        if scheduler.optimizer is not optimizer:
            raise ValueError(f"schedulers[{i}] belongs to another optimizer")
    return schedulers


class _Composite(LRScheduler):
    """A scheduler made of others: its state_dict holds theirs under '_schedulers'."""

    _schedulers: list[LRScheduler]

    def state_dict(self) -> dict:
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        saved = state_dict.get("_schedulers") if isinstance(state_dict, dict) else None
        if not isinstance(saved, list) or len(saved) != len(self._schedulers):
            raise ValueError(f"{type(self).__name__} state_dict must hold the states of "
                             f"{len(self._schedulers)} schedulers under '_schedulers'")
        own = {k: v for k, v in state_dict.items() if k != "_schedulers"}
        expected = set(self.state_dict()) - {"_schedulers"}
        if set(own) != expected:
            raise ValueError(f"{type(self).__name__} state_dict must have the keys "
                             f"{sorted(expected | {'_schedulers'})}, got {sorted(state_dict)}")
        for scheduler, state in zip(self._schedulers, saved):
            scheduler.load_state_dict(state)
        self.__dict__.update(own)


class ChainedScheduler(_Composite):
    """Steps several schedulers of one optimizer together: their changes compose.

    E.g. ``ChainedScheduler([LinearLR(opt, 0.1, total_iters=5), ExponentialLR(opt, 0.9)])``
    warms up linearly while decaying exponentially.
    """

    def __init__(self, schedulers: Sequence[LRScheduler], optimizer: Optimizer | None = None) -> None:
        schedulers = list(schedulers)
        if optimizer is None and schedulers:
            optimizer = schedulers[0].optimizer
        self._schedulers = _check_schedulers("ChainedScheduler", schedulers, optimizer)
        self.optimizer = optimizer
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def step(self) -> None:
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]


class SequentialLR(_Composite):
    """Runs ``schedulers[i]`` from step ``milestones[i-1]`` on (each restarted at its epoch 0).

    E.g. 5 steps of linear warm-up, then cosine decay::

        SequentialLR(opt, [LinearLR(opt, 0.01, total_iters=5),
                           CosineAnnealingLR(opt, T_max=95)], milestones=[5])
    """

    def __init__(self, optimizer: Optimizer, schedulers: Sequence[LRScheduler],
                 milestones: Sequence[int], last_epoch: int = -1) -> None:
        self._schedulers = _check_schedulers("SequentialLR", schedulers, optimizer)
        milestones = [_check_int(f"milestones[{i}]", m, 1) for i, m in enumerate(milestones)]
        if len(milestones) != len(self._schedulers) - 1:
            raise ValueError(f"SequentialLR needs one milestone fewer than schedulers, got "
                             f"{len(milestones)} milestones for {len(self._schedulers)} schedulers")
        if any(a >= b for a, b in zip(milestones, milestones[1:])):
            raise ValueError(f"milestones must be increasing, got {milestones}")
        self._milestones = milestones
        self.optimizer = optimizer
        self.last_epoch = _check_int("last_epoch", last_epoch, -1) + 1
        # Undo the step 0 each scheduler took when it was built, then take the first one's.
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        for scheduler in self._schedulers:
            _undo_step(scheduler)
        first = self._schedulers[bisect_right(milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def step(self) -> None:
        self.last_epoch += 1
        i = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[i]
        if i > 0 and self._milestones[i - 1] == self.last_epoch:
            scheduler._restart()
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


def _undo_step(scheduler: LRScheduler) -> None:
    if isinstance(scheduler, _Composite):
        for inner in scheduler._schedulers:
            _undo_step(inner)
    else:
        scheduler.last_epoch -= 1
