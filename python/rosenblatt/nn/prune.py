"""Magnitude pruning with masks that survive fine-tuning (torch.nn.utils.prune's scheme).

Pruning a parameter ``name`` of a module replaces it by a trainable
``name_orig`` and a 0/1 buffer ``name_mask``; the module then reads

    name = name_orig * name_mask

on every access, so the forward uses the masked weight and the backward gives
the pruned entries of ``name_orig`` a zero gradient (d name / d name_orig is
the mask). Whatever the optimizer does to ``name_orig`` (momentum, weight
decay), the weight the module computes with stays exactly zero where the mask
is. :func:`remove` makes the pruning permanent: ``name`` becomes a plain
Parameter holding ``name_orig * name_mask`` again.

Magnitude pruning zeroes the entries of smallest |w|: per tensor
(:func:`l1_unstructured`, "per layer"), or with one threshold across several
tensors (:func:`global_unstructured`). ``amount`` is a fraction in [0, 1] or
a count of entries, taken among the entries not pruned yet, so pruning twice
by 0.5 leaves a quarter. :func:`magnitude_prune` does either to every Linear
weight of a model; :func:`sparsity` reports the fraction of zeros.

The computed attribute needs a hook on attribute access: as PyTorch's
``parametrize`` does, a pruned module's class is swapped for a subclass
(``PrunedLinear`` ...) whose ``__getattr__`` computes the masked tensors; the
module stays an instance of its class and :func:`remove` swaps it back.
"""

from __future__ import annotations

import numbers

import numpy as np

from rosenblatt.autograd import no_grad
from rosenblatt.nn.linear import Linear
from rosenblatt.nn.module import Module
from rosenblatt.nn.parameter import Parameter
from rosenblatt.tensor import Tensor

__all__ = ["global_unstructured", "is_pruned", "l1_unstructured", "magnitude_prune", "remove",
           "sparsity"]


class _Pruned:
    """Mixin of the swapped-in classes: ``name`` reads ``name_orig * name_mask``."""

    def __getattr__(self, name: str):
        pruned = self.__dict__.get("_pruned_names", ())
        if name in pruned:
            return getattr(self, name + "_orig") * getattr(self, name + "_mask")
        return super().__getattr__(name)


_PRUNED_CLASSES: dict[type, type] = {}


def _pruned_class(cls: type) -> type:
    if issubclass(cls, _Pruned):
        return cls
    if cls not in _PRUNED_CLASSES:
        _PRUNED_CLASSES[cls] = type(f"Pruned{cls.__name__}", (_Pruned, cls),
                                    {"__module__": cls.__module__})
    return _PRUNED_CLASSES[cls]


def is_pruned(module: Module) -> bool:
    """Whether ``module`` or any descendant has a pruned parameter."""
    return any(getattr(m, "_pruned_names", ()) for m in module.modules())


def _current(module: Module, name: str) -> np.ndarray:
    """The weight as the module computes with it, and the mask so far (ones if none)."""
    if name in module.__dict__.get("_pruned_names", ()):
        return getattr(module, name + "_orig").data * getattr(module, name + "_mask").data
    param = module._parameters.get(name)
    if not isinstance(param, Parameter):
        raise ValueError(f"{type(module).__name__} has no parameter named {name!r}")
    return param.data


def _mask_of(module: Module, name: str) -> np.ndarray:
    if name in module.__dict__.get("_pruned_names", ()):
        return getattr(module, name + "_mask").data
    return np.ones_like(_current(module, name))


def _count(amount, remaining: int) -> int:
    """How many of ``remaining`` entries ``amount`` (a fraction or a count) prunes."""
    if isinstance(amount, bool) or not isinstance(amount, numbers.Real):
        raise TypeError(f"amount must be a float in [0, 1] or an int count, got {amount!r}")
    if isinstance(amount, numbers.Integral):
        if amount < 0 or amount > remaining:
            raise ValueError(f"amount={amount} entries, but {remaining} remain unpruned")
        return int(amount)
    if not 0.0 <= amount <= 1.0:
        raise ValueError(f"amount must be a fraction in [0, 1], got {amount}")
    return int(round(amount * remaining))


def _smallest_mask(values: list[np.ndarray], masks: list[np.ndarray], amount) -> list[np.ndarray]:
    """New masks zeroing the ``amount`` smallest |value| among the entries still unmasked."""
    flat_values = np.concatenate([np.abs(v).ravel() for v in values])
    flat_masks = np.concatenate([m.ravel() for m in masks])
    alive = np.flatnonzero(flat_masks)
    k = _count(amount, alive.size)
    new = flat_masks.copy()
    if k:
        order = np.argsort(flat_values[alive], kind="stable")
        new[alive[order[:k]]] = 0
    out, start = [], 0
    for m in masks:
        out.append(new[start:start + m.size].reshape(m.shape))
        start += m.size
    return out


def _install_mask(module: Module, name: str, mask: np.ndarray) -> None:
    """Reparametrize ``module.name`` as ``name_orig * name_mask`` (or update the mask)."""
    if name in module.__dict__.get("_pruned_names", ()):
        buffer = getattr(module, name + "_mask")
        buffer.data[...] = mask
        buffer._version += 1
        return
    param = module._parameters[name]
    del module._parameters[name]
    module.register_parameter(name + "_orig", param)
    module.register_buffer(name + "_mask", Tensor(mask.astype(param.dtype)))
    object.__setattr__(module, "_pruned_names",
                       module.__dict__.get("_pruned_names", ()) + (name,))
    module.__class__ = _pruned_class(type(module))
    with no_grad():  # the stored weight holds zeros too, so state_dict readers see them
        param.data *= getattr(module, name + "_mask").data
        param._version += 1


def l1_unstructured(module: Module, name: str = "weight", amount=0.5) -> Module:
    """Prune the ``amount`` entries of ``module.name`` with the smallest magnitude (per layer)."""
    (mask,) = _smallest_mask([_current(module, name)], [_mask_of(module, name)], amount)
    _install_mask(module, name, mask)
    return module


def global_unstructured(parameters, amount=0.5) -> None:
    """Prune the ``amount`` smallest-magnitude entries across all ``(module, name)`` pairs at once.

    One threshold for every tensor: layers whose weights are small lose more
    entries than layers whose weights are large.
    """
    parameters = list(parameters)
    if not parameters:
        raise ValueError("global_unstructured: parameters is empty")
    values = [_current(m, n) for m, n in parameters]
    masks = _smallest_mask(values, [_mask_of(m, n) for m, n in parameters], amount)
    for (module, name), mask in zip(parameters, masks):
        _install_mask(module, name, mask)


def magnitude_prune(model: Module, amount=0.5, scope: str = "global",
                    module_types: tuple = (Linear,), name: str = "weight") -> list[str]:
    """Prune ``name`` of every ``module_types`` submodule of ``model``; return their names.

    ``scope='global'`` ranks all the weights together; ``scope='layer'``
    prunes ``amount`` of each weight separately.
    """
    if scope not in ("global", "layer"):
        raise ValueError(f"scope must be 'global' or 'layer', got {scope!r}")
    chosen = [(n, m) for n, m in model.named_modules() if isinstance(m, module_types)]
    if not chosen:
        raise ValueError(f"magnitude_prune: {type(model).__name__} has no "
                         f"{' or '.join(t.__name__ for t in module_types)} submodule")
    if scope == "global":
        global_unstructured([(m, name) for _, m in chosen], amount)
    else:
        for _, module in chosen:
            l1_unstructured(module, name, amount)
    return [n for n, _ in chosen]


def remove(module: Module, name: str = "weight") -> Module:
    """Make the pruning of ``module.name`` permanent: a plain Parameter ``orig * mask`` again."""
    pruned = module.__dict__.get("_pruned_names", ())
    if name not in pruned:
        raise ValueError(f"parameter {name!r} of {type(module).__name__} is not pruned")
    orig = getattr(module, name + "_orig")
    mask = getattr(module, name + "_mask")
    with no_grad():
        orig.data *= mask.data
        orig._version += 1
    del module._parameters[name + "_orig"]
    del module._buffers[name + "_mask"]
    rest = tuple(n for n in pruned if n != name)
    object.__setattr__(module, "_pruned_names", rest)
    if not rest:
        module.__class__ = type(module).__mro__[2]  # (PrunedX, _Pruned, X, ...): back to X
    module._parameters[name] = orig
    return module


def sparsity(model: Module, module_types: tuple = (Linear,), name: str = "weight") -> float:
    """The fraction of zeros in ``name`` over every ``module_types`` submodule of ``model``."""
    weights = [np.asarray(getattr(m, name).data) for m in model.modules()
               if isinstance(m, module_types)]
    total = sum(w.size for w in weights)
    return sum(int((w == 0).sum()) for w in weights) / total if total else 0.0
