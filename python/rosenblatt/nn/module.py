"""Module: the base class of layers and models, with PyTorch's conventions.

Assigning a :class:`Parameter` or a Module to an attribute registers it, so
``parameters()``, ``state_dict()``, ``train()`` and ``to()`` find it; buffers
(non-learnable state such as BatchNorm's running statistics) are registered
with :meth:`Module.register_buffer`. Names are dotted paths, as in PyTorch
(``layers.0.weight``, ``bn.running_mean``), so a PyTorch state_dict converted
to NumPy arrays loads with :meth:`Module.load_state_dict`.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from typing import Callable, Iterator

import numpy as np

from rosenblatt import backend
from rosenblatt.autograd import no_grad
from rosenblatt.nn.parameter import Parameter
from rosenblatt.tensor import Tensor

_IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def _add_indent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    return "\n".join([lines[0]] + [" " * spaces + line for line in lines[1:]])


def _parse_to(args, device, dtype):
    """(device, dtype) from ``to``'s arguments: a device name, a dtype, or both."""
    for arg in args:
        if isinstance(arg, str) and arg.split(":", 1)[0] in backend.DEVICES:
            device = arg
            continue
        try:
            dtype = np.dtype(arg)
        except TypeError:  # neither a dtype nor a known device: check_device names it
            device = arg
    if dtype is not None:
        dtype = np.dtype(dtype)
        if not np.issubdtype(dtype, np.floating):
            raise TypeError(f"Module.to only accepts floating-point dtypes, got {dtype}")
    return (None if device is None else backend.check_device(device)), dtype


class Module:
    """Base class of every layer and model; subclasses define ``forward``.

    ``module(*args)`` calls ``forward(*args)``. ``training`` is True after
    construction; :meth:`train` / :meth:`eval` set it on the whole tree.
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                                  '"forward" function')

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # -- registration ------------------------------------------------------
    def _check_initialized(self, what: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {what} before Module.__init__() call "
                                 f"(call super().__init__() first in {type(self).__name__})")

    @staticmethod
    def _check_name(name, what: str, taken: bool) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{what} name should be a string, got {type(name).__name__}")
        if name == "" or "." in name:
            raise KeyError(f'{what} name can\'t be empty or contain ".", got {name!r}')
        if taken:
            raise KeyError(f"attribute {name!r} already exists")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (a Parameter, or None for an absent one) under ``name``."""
        self._check_initialized("parameters")
        self._check_name(name, "parameter", hasattr(self, name) and name not in self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter "
                            f"'{name}' (rb.nn.Parameter or None required)")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register a non-learnable Tensor; persistent buffers are part of the state_dict."""
        self._check_initialized("buffers")
        self._check_name(name, "buffer", hasattr(self, name) and name not in self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(rb.Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register a child module under ``name``."""
        self._check_initialized("submodules")
        self._check_name(name, "module", hasattr(self, name) and name not in self._modules)
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        if isinstance(value, Parameter):
            self._check_initialized("parameters")
            self._forget(name)
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            self._check_initialized("submodules")
            self._forget(name)
            self._modules[name] = value
        elif "_parameters" in d and name in d["_parameters"]:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(rb.nn.Parameter or None expected)")
            d["_parameters"][name] = None
        elif "_modules" in d and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module "
                                f"'{name}' (rb.nn.Module or None expected)")
            d["_modules"][name] = None
        elif "_buffers" in d and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(rb.Tensor or None expected)")
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        self.__dict__.pop(name, None)
        for table in ("_parameters", "_buffers", "_modules"):
            self.__dict__[table].pop(name, None)
        self._non_persistent_buffers.discard(name)

    def __getattr__(self, name: str):
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            if table in d and name in d[table]:
                return d[table][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for table in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__.get(table, ()):
                del self.__dict__[table][name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))

    # -- traversal -----------------------------------------------------------
    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module ('' ) and every descendant, depth first."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, f"{prefix}.{name}" if prefix else name,
                                                remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def _named_members(self, table: str, prefix: str, recurse: bool, remove_duplicate: bool):
        seen = set()
        owners = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for module_prefix, module in owners:
            for name, value in getattr(module, table).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter), in registration order; a shared parameter appears once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def get_submodule(self, target: str) -> Module:
        """The descendant at dotted path ``target`` ('' is this module)."""
        module = self
        for part in target.split(".") if target else []:
            child = module._modules.get(part)
            if child is None:
                raise AttributeError(f"{type(module).__name__} has no submodule {part!r} "
                                     f"(looking up {target!r})")
            module = child
        return module

    def num_parameters(self, only_trainable: bool = False) -> int:
        """The number of scalar parameters (those with requires_grad only, if ``only_trainable``)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not only_trainable)

    # -- state ---------------------------------------------------------------
    def _state_entries(self) -> OrderedDict:
        """Dotted name -> the live Tensor, for parameters and persistent buffers."""
        entries = OrderedDict()
        for prefix, module in self.named_modules(remove_duplicate=False):
            dot = f"{prefix}." if prefix else ""
            for name, param in module._parameters.items():
                if param is not None:
                    entries[dot + name] = param
            for name, buffer in module._buffers.items():
                if buffer is not None and name not in module._non_persistent_buffers:
                    entries[dot + name] = buffer
        return entries

    def state_dict(self, prefix: str = "", keep_vars: bool = False) -> OrderedDict:
        """OrderedDict of dotted name -> Tensor for parameters and persistent buffers.

        The Tensors are detached but share memory with the module (as in
        PyTorch); ``keep_vars=True`` returns the Parameters themselves.
        """
        return OrderedDict((prefix + name, t if keep_vars else t.detach())
                           for name, t in self._state_entries().items())

    def load_state_dict(self, state_dict, strict: bool = True) -> _IncompatibleKeys:
        """Copy the values of ``state_dict`` (Tensors or NumPy arrays) into this module in place.

        Arrays are written into the existing ``.data`` (never rebound), cast to
        its dtype, so optimizers holding the parameters stay valid. Every key
        and shape is checked before anything changes: a shape mismatch always
        raises, and with ``strict`` so do missing and unexpected keys; the
        RuntimeError lists them all. Returns ``(missing_keys, unexpected_keys)``.
        """
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"expected a mapping of names to arrays, got "
                            f"{type(state_dict).__name__}")
        own = self._state_entries()
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict.keys() if key not in own]
        errors, values = [], {}
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            try:
                array = np.asarray(value.data if isinstance(value, Tensor) else value)
            except (TypeError, ValueError) as exc:
                errors.append(f"could not convert {key} ({type(value).__name__}) to an array: {exc}")
                continue
            if array.dtype.kind not in "biuf":
                errors.append(f"{key} has non-numeric dtype {array.dtype}")
            elif array.shape != target.shape:
                errors.append(f"size mismatch for {key}: copying a param with shape "
                              f"{array.shape} from checkpoint, the shape in current model is "
                              f"{target.shape}.")
            else:
                values[key] = array
        if strict:
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in missing) + ".")
            if unexpected:
                errors.insert(1 if missing else 0, "Unexpected key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in unexpected) + ".")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        with no_grad():
            for key, array in values.items():
                target = own[key]
                target.data[...] = array
                target._version += 1
        return _IncompatibleKeys(missing, unexpected)

    # -- modes and in-place transforms ---------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set ``training`` on this module and every descendant; returns self."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be a bool, got {type(mode).__name__}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """``train(False)``: dropout becomes the identity, batch norm uses running statistics."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's ``.grad`` (to None, or to zeros in place)."""
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                param.grad.data[...] = 0

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every descendant (children first) and then on self; returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def to(self, *args, device=None, dtype=None) -> Module:
        """Move parameters and buffers to ``device`` and/or cast floating ones to ``dtype``.

        ``module.to("cpu")``, ``module.to(rb.float64)``, ``module.to(dtype=np.float64)``.
        As in PyTorch the Parameter and buffer objects stay the same and their
        ``.data`` (and ``.grad``) are replaced by converted arrays; integer
        buffers (``num_batches_tracked``) keep their dtype. An optimizer created
        before a dtype change still holds the same Parameters, but any state it
        keeps (momentum, Adam moments) stays in the old dtype: convert the model
        first, then create the optimizer.
        """
        device, dtype = _parse_to(args, device, dtype)

        def convert(array):
            if dtype is not None and np.issubdtype(array.dtype, np.floating):
                array = np.ascontiguousarray(array, dtype=dtype)
            return array if device is None else backend.to_device(array, device)

        for tensor in list(self.parameters()) + list(self.buffers()):
            new = convert(tensor.data)
            if new is not tensor.data:
                tensor.data = new
                tensor._version += 1
            if tensor.grad is not None:
                tensor.grad.data = convert(tensor.grad.data)
        return self

    def float(self) -> Module:
        return self.to(dtype=np.float32)

    def double(self) -> Module:
        return self.to(dtype=np.float64)

    # -- repr ----------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text inside this module's parentheses in its repr (its arguments)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        for name, module in self._modules.items():
            lines.append(f"({name}): " + _add_indent(repr(module), 2))
        name = type(self).__name__
        if not self._modules and len(lines) <= 1:
            return f"{name}({extra})"
        return name + "(\n  " + "\n  ".join(lines) + "\n)"
