"""LoRA: low-rank adaptation of Linear layers (Hu et al., 2021).

A frozen Linear ``y = x W^T + b`` (W is (out, in)) gains a trainable
low-rank update::

    y = x W^T + b + (alpha / r) * dropout(x) A^T B^T

with A of shape (r, in) (Kaiming-uniform, as peft) and B of shape (out, r)
(zeros, so training starts from the base model's outputs exactly). Only A
and B train: r * (in + out) parameters instead of in * out. For inference the
update merges into the base weight, ``W <- W + (alpha / r) B A``, which gives
the same outputs with no extra matmuls; :meth:`LoRALinear.unmerge` takes it
back out to continue training.

:func:`apply_lora` wraps the named Linear submodules of a model and freezes
everything else; :func:`count_parameters` reports trainable against total.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from rosenblatt import functional as F
from rosenblatt.autograd import no_grad
from rosenblatt.nn import init
from rosenblatt.nn.dropout import Dropout
from rosenblatt.nn.linear import Linear
from rosenblatt.nn.module import Module
from rosenblatt.nn.parameter import Parameter
from rosenblatt.tensor import Tensor

__all__ = ["LoRALinear", "ParameterCount", "apply_lora", "count_parameters", "merge_lora",
           "unmerge_lora"]


class LoRALinear(Module):
    """A frozen ``base`` Linear plus the trainable low-rank update ``(alpha / r) B A``.

    Parameters
    ----------
    base : Linear
        The layer to adapt; its weight and bias are frozen (requires_grad False).
    r : int
        Rank of the update (>= 1).
    alpha : float
        Scaling numerator: the update is multiplied by ``alpha / r``.
    dropout : float
        Dropout probability on the input of the LoRA path only.
    """

    def __init__(self, base: Linear, r: int = 8, alpha: float = 16.0,
                 dropout: float = 0.0) -> None:
        super().__init__()
        if not isinstance(base, Linear):
            raise TypeError(f"LoRALinear: base must be an rb.nn.Linear, got {type(base).__name__}")
        if isinstance(r, bool) or not isinstance(r, (int, np.integer)) or r < 1:
            raise ValueError(f"LoRALinear: r must be an int >= 1, got {r!r}")
        if not math.isfinite(alpha) or alpha <= 0:
            raise ValueError(f"LoRALinear: alpha must be a finite number > 0, got {alpha!r}")
        self.base = base.requires_grad_(False)
        self.r, self.alpha = int(r), float(alpha)
        self.scaling = self.alpha / self.r
        dtype = base.weight.dtype
        self.lora_A = Parameter(np.empty((self.r, base.in_features), dtype))
        self.lora_B = Parameter(np.zeros((base.out_features, self.r), dtype))
        init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.lora_dropout = Dropout(dropout)
        self.merged = False

    in_features = property(lambda self: self.base.in_features)
    out_features = property(lambda self: self.base.out_features)

    def delta_weight(self) -> np.ndarray:
        """The update (alpha / r) B A as an (out, in) array."""
        return (self.scaling * (self.lora_B.data @ self.lora_A.data)).astype(
            self.base.weight.dtype, copy=False)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        out = self.base(input)
        if self.merged:
            return out
        low_rank = F.linear(F.linear(self.lora_dropout(input), self.lora_A), self.lora_B)
        return out + low_rank * self.scaling

    def merge(self) -> LoRALinear:
        """Fold the update into the base weight (W <- W + (alpha / r) B A); idempotent."""
        if not self.merged:
            with no_grad():
                self.base.weight.data += self.delta_weight()
                self.base.weight._version += 1
            self.merged = True
        return self

    def unmerge(self) -> LoRALinear:
        """Take the update back out of the base weight (W <- W - (alpha / r) B A)."""
        if self.merged:
            with no_grad():
                self.base.weight.data -= self.delta_weight()
                self.base.weight._version += 1
            self.merged = False
        return self

    def extra_repr(self) -> str:
        return f"r={self.r}, alpha={self.alpha}, merged={self.merged}"


@dataclasses.dataclass(frozen=True)
class ParameterCount:
    """Trainable and total scalar parameters of a model."""

    trainable: int
    total: int

    @property
    def fraction(self) -> float:
        """trainable / total (0 for a model without parameters)."""
        return self.trainable / self.total if self.total else 0.0

    def __str__(self) -> str:
        return (f"trainable params: {self.trainable:,} || all params: {self.total:,} || "
                f"trainable%: {100 * self.fraction:.4f}")


def count_parameters(model: Module) -> ParameterCount:
    """How many scalar parameters ``model`` has, and how many of them require grad."""
    return ParameterCount(model.num_parameters(only_trainable=True), model.num_parameters())


def _matches(name: str, targets) -> bool:
    """A dotted module name matches a target equal to it or to its trailing components."""
    return any(name == t or name.endswith("." + t) for t in targets)


def apply_lora(model: Module, target_modules, r: int = 8, alpha: float = 16.0,
               dropout: float = 0.0, trainable: tuple = ()) -> list[str]:
    """Wrap ``model``'s Linear submodules named in ``target_modules`` with :class:`LoRALinear`.

    A target matches a submodule whose dotted name equals it or ends with
    ``"." + target`` (``"q_proj"`` matches ``layers.0.attn.q_proj``). Every
    parameter of the model is frozen except the LoRA ones and those whose
    dotted name matches ``trainable`` in the same way (a task head, say).
    Replacement keeps each child's position (a Sequential still runs in
    order). Returns the wrapped module names; raises ValueError if a target
    matches nothing or matches a module that is not a Linear.
    """
    if isinstance(target_modules, str):
        target_modules = (target_modules,)
    targets = tuple(target_modules)
    if not targets:
        raise ValueError("apply_lora: target_modules is empty")
    chosen = [(name, module) for name, module in model.named_modules()
              if name and _matches(name, targets) and not isinstance(module, LoRALinear)]
    for target in targets:
        if not any(_matches(name, (target,)) for name, _ in chosen):
            raise ValueError(f"apply_lora: target module {target!r} matches no submodule")
    for name, module in chosen:
        if not isinstance(module, Linear):
            raise ValueError(f"apply_lora: {name} is a {type(module).__name__}, not a Linear")
    model.requires_grad_(False)
    for name, module in chosen:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name)
        parent._modules[child] = LoRALinear(module, r=r, alpha=alpha, dropout=dropout)
    trainable = (trainable,) if isinstance(trainable, str) else tuple(trainable)
    for name, module in model.named_modules():
        if name and _matches(name, trainable):
            module.requires_grad_(True)
    return [name for name, _ in chosen]


def _lora_layers(model: Module) -> list[LoRALinear]:
    layers = [m for m in model.modules() if isinstance(m, LoRALinear)]
    if not layers:
        raise ValueError(f"{type(model).__name__} has no LoRALinear layers (call apply_lora first)")
    return layers


def merge_lora(model: Module) -> Module:
    """Merge every LoRA update of ``model`` into its base weight (for inference); returns model."""
    for layer in _lora_layers(model):
        layer.merge()
    return model


def unmerge_lora(model: Module) -> Module:
    """Undo :func:`merge_lora`; returns model."""
    for layer in _lora_layers(model):
        layer.unmerge()
    return model
