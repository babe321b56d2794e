"""Transfer learning: freeze and unfreeze parameters, replace a classifier's head, and give
parts of a model their own learning rates.

A typical fine-tuning run::

    replace_head(model, num_classes=5)                  # a new, untrained last Linear
    freeze(model)                                       # nothing trains ...
    unfreeze(model.get_submodule("fc"))                 # ... except the head
    optimizer = rb.optim.Adam(param_groups(model, {"fc": 1e-3}))

or, to fine-tune everything with a smaller rate for the backbone,
``param_groups(model, {"fc": 1e-2}, default_lr=1e-4)``.

Freezing sets ``requires_grad = False`` (as PyTorch's ``requires_grad_``): a
frozen parameter gets no gradient, so no optimizer changes it, whatever its
options (weight decay, momentum). Batch-norm running statistics are buffers,
not parameters: in training mode they keep tracking the batches; put the
frozen batch-norm layers in eval mode after each ``model.train()`` if they
should stay fixed too.

This lives in ``models/`` rather than ``nn/`` because it works on whole
trained models (their classifier heads) and builds optimizer param groups,
which ``nn`` must not know about.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping

from rosenblatt import nn
from rosenblatt.nn.parameter import Parameter

__all__ = ["freeze", "param_groups", "replace_head", "trainable_parameters", "unfreeze"]


def _parameters_of(targets) -> list[Parameter]:
    """The parameters of a Module, a Parameter, or an iterable of those."""
    if isinstance(targets, (nn.Module, Parameter)):
        targets = [targets]
    params: list[Parameter] = []
    try:
        items = list(targets)
    except TypeError:
        raise TypeError(f"expected a Module, a Parameter or an iterable of them, got "
                        f"{type(targets).__name__}") from None
    for item in items:
        if isinstance(item, nn.Module):
            params.extend(item.parameters())
        elif isinstance(item, Parameter):
            params.append(item)
        else:
            raise TypeError(f"expected Modules or Parameters, got {type(item).__name__}")
    return params


def freeze(targets):
    """Stop training ``targets`` (a Module, a Parameter or an iterable of them): every
    parameter gets ``requires_grad = False``. Returns ``targets``."""
    for param in _parameters_of(targets):
        param.requires_grad_(False)
    return targets


def unfreeze(targets):
    """Train ``targets`` again: every parameter gets ``requires_grad = True``. Returns ``targets``."""
    for param in _parameters_of(targets):
        param.requires_grad_(True)
    return targets


def trainable_parameters(model: nn.Module) -> list[Parameter]:
    """The parameters of ``model`` that require gradients (what an optimizer should get)."""
    return [p for p in model.parameters() if p.requires_grad]


def _last_linear(model: nn.Module) -> str:
    names = [name for name, module in model.named_modules() if isinstance(module, nn.Linear)]
    if not names or names[-1] == "":
        raise ValueError(f"{type(model).__name__} has no Linear submodule to replace; pass name=")
    return names[-1]


def replace_head(model: nn.Module, head: nn.Module | None = None, *, num_classes: int | None = None,
                 name: str | None = None) -> nn.Module:
    """Swap the submodule at dotted path ``name`` (default: the model's last Linear) for
    ``head``, or for a fresh ``Linear(in_features, num_classes)`` of the old head's input size,
    dtype and bias. Sets ``model.num_classes`` when the model has that attribute.

    Returns the module that was replaced. The new head trains (requires_grad) whatever
    was frozen before.
    """
    if (head is None) == (num_classes is None):
        raise ValueError("replace_head takes exactly one of head= and num_classes=")
    if head is not None and not isinstance(head, nn.Module):
        raise TypeError(f"head must be a Module, got {type(head).__name__}")
    if name is None:
        name = _last_linear(model)
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty dotted path, got {name!r}")
    parent_name, _, child = name.rpartition(".")
    try:
        parent = model.get_submodule(parent_name)
        old = parent.get_submodule(child)
    except AttributeError as error:
        raise ValueError(f"{type(model).__name__} has no submodule {name!r}: {error}") from None
    if head is None:
        if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) \
                or num_classes < 1:
            raise ValueError(f"num_classes must be an int >= 1, got {num_classes!r}")
        if not isinstance(old, nn.Linear):
            raise ValueError(f"num_classes= builds a Linear from the old head's in_features, but "
                             f"{name!r} is a {type(old).__name__}; pass head=")
        head = nn.Linear(old.in_features, int(num_classes), bias=old.bias is not None,
                         dtype=old.weight.data.dtype)
        if hasattr(model, "num_classes"):
            model.num_classes = int(num_classes)
    setattr(parent, child, head)
    unfreeze(head)
    return old


def param_groups(model: nn.Module, lr_by_prefix: Mapping[str, float], *,
                 default_lr: float | None = None, trainable_only: bool = True) -> list[dict]:
    """Optimizer param groups giving the parameters under each dotted prefix their own ``lr``.

    ``lr_by_prefix`` maps a submodule path (``"fc"``, ``"layer4"``,
    ``"features.0"``) to a learning rate; a parameter belongs to the longest
    prefix that contains it. The remaining parameters form a last group with
    ``lr=default_lr`` (or the optimizer's default lr when None). Frozen
    parameters are left out unless ``trainable_only=False``. A prefix that
    matches no parameter raises ValueError (it is usually a typo).
    """
    if not isinstance(lr_by_prefix, Mapping):
        raise TypeError(f"lr_by_prefix must be a mapping of prefixes to learning rates, got "
                        f"{type(lr_by_prefix).__name__}")
    rates = dict(lr_by_prefix)
    if default_lr is not None:
        rates["default_lr"] = default_lr  # checked with the others
    for prefix, lr in rates.items():
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not 0 <= lr < math.inf:
            raise ValueError(f"learning rate for {prefix!r} must be a finite number >= 0, got {lr!r}")
    prefixes = sorted(lr_by_prefix, key=len, reverse=True)
    grouped: dict[str, list] = {prefix: [] for prefix in lr_by_prefix}
    rest = []
    for name, param in model.named_parameters():
        if trainable_only and not param.requires_grad:
            continue
        owner = next((p for p in prefixes if name == p or name.startswith(p + ".")), None)
        (grouped[owner] if owner is not None else rest).append(param)
    empty = [prefix for prefix, params in grouped.items() if not params]
    if empty:
        raise ValueError(f"no {'trainable ' if trainable_only else ''}parameters under "
                         f"{empty} in {type(model).__name__}")
    groups = [{"params": params, "lr": float(lr_by_prefix[prefix])}
              for prefix, params in grouped.items()]
    if rest:
        groups.append({"params": rest} if default_lr is None
                      else {"params": rest, "lr": float(default_lr)})
    return groups
