"""Optimizer: the base class holding param groups, per-parameter state and defaults.

Follows torch.optim.Optimizer. ``param_groups`` is a list of dicts, each with
``'params'`` (a list of Tensors) and that group's options; ``state`` maps a
parameter to its dict of state arrays (allocated lazily at its first step);
``defaults`` holds the options a new group gets when it does not set them.

A subclass validates its options in :meth:`_check_options` and updates one
group in :meth:`_update_group` with ONE call of a fused native kernel
(``rosenblatt.kernels.adam_`` ...) over the group's parameters that have a
gradient. A kernel call takes one dtype and one step count, so a group whose
parameters mix dtypes (or whose step counts differ, when some parameters
missed steps for lack of a gradient) is updated in one call per batch that
:meth:`_batches` forms: one call in the usual case.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from rosenblatt.tensor import Tensor

__all__ = ["Optimizer"]


class Optimizer:
    """Base class of the optimizers: param groups, state, zero_grad, state_dict."""

    def __init__(self, params, defaults: dict) -> None:
        self._check_options(defaults)
        self.defaults = dict(defaults)
        self.state: dict[Tensor, dict] = {}
        self.param_groups: list[dict] = []
        if isinstance(params, Tensor):
            raise TypeError("params must be an iterable of Tensors or of dicts, got a Tensor; "
                            "pass [tensor]")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # -- options -------------------------------------------------------------
    def _check_options(self, options: dict) -> None:
        """Raise ValueError naming the first invalid option of ``options``."""
        raise NotImplementedError

    def add_param_group(self, param_group: dict) -> None:
        """Add a group: a dict with ``'params'`` and any options to override."""
        if not isinstance(param_group, dict):
            raise TypeError(f"a param group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("a param group must have a 'params' entry")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("a param group's params must be an ordered sequence of Tensors, "
                            "not a set (its order changes between runs)")
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, got {type(p).__name__}")
            if p.data.dtype not in (np.float32, np.float64):
                raise TypeError(f"optimizer can only optimize float32 or float64 Tensors, "
                                f"got {p.data.dtype}")
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        if len({id(p) for p in params}) != len(params) or seen & {id(p) for p in params}:
            raise ValueError("a parameter appears more than once in the optimizer's param groups")
        unknown = set(param_group) - set(self.defaults) - {"params", "initial_lr"}
        if unknown:
            raise ValueError(f"unknown option(s) in param group: {sorted(unknown)}")
        group = {**self.defaults, **param_group, "params": params}
        self._check_options(group)
        self.param_groups.append(group)

    # -- step ----------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients: drop them (the default) or fill them with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.data[...] = 0
                    p.grad._version += 1

    def step(self, closure: Callable[[], object] | None = None):
        """Update every parameter that has a gradient; return ``closure()``'s loss.

        ``closure`` (optional) re-evaluates the model and returns the loss; it
        is called before the update.
        """
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if params:
                self._update_group(group, params)
                for p in params:
                    p._version += 1
        return loss

    def _update_group(self, group: dict, params: list[Tensor]) -> None:
        """Update ``params`` (the group's parameters that have a gradient)."""
        raise NotImplementedError

    def _batches(self, params: list[Tensor], key: Callable[[Tensor], object] = lambda p: None):
        """Split ``params`` into lists one kernel call can take: one dtype and one ``key(p)``."""
        batches: dict = {}
        for p in params:
            batches.setdefault((p.data.dtype, key(p)), []).append(p)
        return list(batches.values())

    def _zeros_state(self, p: Tensor, *names: str) -> None:
        """Give ``p`` zero-filled state arrays ``names`` it does not have yet."""
        state = self.state.setdefault(p, {})
        for name in names:
            if name not in state:
                state[name] = np.zeros_like(p.data)

    # -- checkpoints ---------------------------------------------------------
    def state_dict(self) -> dict:
        """The optimizer's state in torch's structure.

        ``{'state': {index: {'step': int, 'exp_avg': ndarray, ...}},
        'param_groups': [{'lr': ..., 'params': [index, ...]}, ...]}``, where a
        parameter's index counts through the groups in order. As in torch, the
        arrays are the live state: copy them to keep a snapshot.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            groups.append({**group, "params": [index[id(p)] for p in group["params"]]})
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if s}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a :meth:`state_dict` (state arrays are copied).

        Checks the number of groups, each group's size and options, and every
        state entry's shape before changing anything; raises ValueError naming
        the problem. Saved options this optimizer does not have are ignored
        (so a torch.optim state_dict with its tensors turned into NumPy arrays
        loads, leaving out torch's ``foreach``, ``fused`` ...).
        """
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            raise ValueError("state_dict must be a dict with exactly the keys 'state' and "
                             "'param_groups'")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"state_dict has {len(saved_groups)} parameter groups, the "
                             f"optimizer has {len(self.param_groups)}")
        by_index: dict[int, Tensor] = {}
        groups = []
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if not isinstance(saved, dict) or "params" not in saved:
                raise ValueError(f"param_groups[{i}] of state_dict must be a dict with 'params'")
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"param_groups[{i}] has {len(saved['params'])} parameters in "
                                 f"state_dict, {len(group['params'])} in the optimizer")
            by_index.update(zip(saved["params"], group["params"]))
            options = {k: v for k, v in saved.items() if k in self.defaults or k == "initial_lr"}
            new_group = {**group, **options}
            self._check_options(new_group)
            groups.append(new_group)
        if not isinstance(state_dict["state"], dict):
            raise ValueError("state_dict['state'] must be a dict keyed by parameter index")
        state = {}
        for index, entries in state_dict["state"].items():
            if index not in by_index:
                raise ValueError(f"state[{index!r}] belongs to no parameter of param_groups")
            if not isinstance(entries, dict):
                raise ValueError(f"state[{index!r}] must be a dict of state entries")
            p = by_index[index]
            state[p] = {key: _copy_state(key, value, p, f"state[{index}][{key!r}]")
                        for key, value in entries.items()}
        self.param_groups = groups
        self.state = state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines + [")"])


def _copy_state(key: str, value, p: Tensor, name: str):
    """A fresh copy of one loaded state entry: an int step count, or an array of p's shape."""
    if key == "step":
        step = float(value)
        if not (step >= 0 and step.is_integer()):
            raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
        return int(step)
    array = np.asarray(value)
    if array.shape != p.data.shape:
        raise ValueError(f"{name} has shape {array.shape}, the parameter has {p.data.shape}")
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise ValueError(f"{name} must hold real numbers, got dtype {array.dtype}")
    return np.array(array, dtype=p.data.dtype, order="C", copy=True)


# -- option checks shared by the optimizers ----------------------------------
def check_non_negative(options: dict, *names: str) -> None:
    """Raise ValueError unless every option ``names`` is a finite number >= 0."""
    for name in names:
        value = options[name]
        if not _is_real(value) or not (0 <= value < math.inf):
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")


def check_finite(options: dict, *names: str) -> None:
    """Raise ValueError unless every option ``names`` is a finite number."""
    for name in names:
        value = options[name]
        if not _is_real(value) or not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value!r}")


def check_fraction(name: str, value, *, closed: bool) -> None:
    """Raise ValueError unless ``value`` is in [0, 1] (closed) or [0, 1) (not closed)."""
    if not _is_real(value) or not (0 <= value <= 1 if closed else 0 <= value < 1):
        interval = "[0, 1]" if closed else "[0, 1)"
        raise ValueError(f"{name} must be in {interval}, got {value!r}")


def check_flags(options: dict, *names: str) -> None:
    """Raise TypeError unless every option ``names`` is a bool."""
    for name in names:
        if not isinstance(options[name], bool):
            raise TypeError(f"{name} must be a bool, got {type(options[name]).__name__}")


def _is_real(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def params_of(batch: list[Tensor]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The parameter arrays and gradient arrays of a batch, for a kernel call."""
    return [p.data for p in batch], [p.grad.data for p in batch]
