"""Tensor: an array with a gradient and the graph node that created it.

``Tensor.data`` is a ``numpy.ndarray`` (float32 by default; float64 works
everywhere). Operators and methods record the ops of :mod:`rosenblatt.functional`
so that :meth:`Tensor.backward` can differentiate through them. See
:mod:`rosenblatt.autograd` for the graph walk and the in-place rules.
"""

from __future__ import annotations

import numbers

import numpy as np

from rosenblatt import backend
from rosenblatt.autograd import backward as _backward
from rosenblatt.autograd import is_grad_enabled

DEFAULT_DTYPE = np.dtype(np.float32)


def _as_array(data, dtype=None) -> np.ndarray:
    if isinstance(data, Tensor):
        data = data.data
    if dtype is None and not isinstance(data, np.ndarray):
        array = np.asarray(data)
        if np.issubdtype(array.dtype, np.floating):  # Python floats become the default dtype
            array = array.astype(DEFAULT_DTYPE)
        return array
    return np.asarray(data, dtype=dtype)


class Tensor:
    """An n-dimensional array that can record the ops applied to it.

    Parameters
    ----------
    data : array-like
        Copied only when it is not already an ndarray of the requested dtype.
    requires_grad : bool
        Leaf tensors with ``requires_grad=True`` receive ``.grad`` from
        :meth:`backward`; only floating-point tensors can.
    """

    __slots__ = ("data", "grad", "requires_grad", "creator", "_version", "__weakref__")
    __array_priority__ = 1000  # ndarray <op> Tensor defers to Tensor's reflected operator

    def __init__(self, data, requires_grad: bool = False, dtype=None, *, _creator=None) -> None:
        self.data = _as_array(data, dtype)
        if requires_grad and not np.issubdtype(self.data.dtype, np.floating):
            raise TypeError(f"only floating-point tensors can require grad, got {self.data.dtype}")
        self.grad: Tensor | None = None
        self.requires_grad = bool(requires_grad)
        self.creator = _creator
        self._version = 0

    # -- properties ---------------------------------------------------------
    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)
    ndim = property(lambda self: self.data.ndim)
    device = property(lambda self: backend.device_of(self.data))
    is_leaf = property(lambda self: self.creator is None)
    T = property(lambda self: self.transpose())

    def size(self, dim: int | None = None):
        return self.shape if dim is None else self.shape[dim]

    def numel(self) -> int:
        return int(self.data.size)

    def dim(self) -> int:
        return self.data.ndim

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extras = ""
        if self.dtype != DEFAULT_DTYPE:
            extras += f", dtype={self.dtype}"
        if self.creator is not None:
            extras += f", creator={self.creator!r}"
        elif self.requires_grad:
            extras += ", requires_grad=True"
        return f"tensor({body}{extras})"

    # -- conversion ----------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (shared, not copied; refused when it needs grad)."""
        if self.requires_grad:
            raise RuntimeError("numpy() on a tensor that requires grad: call .detach().numpy()")
        return self.data

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item() needs a one-element tensor, got shape {self.shape}")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is ambiguous")
        return bool(self.data)

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.data, dtype=dtype)

    def detach(self) -> Tensor:
        """The same data, cut from the graph."""
        return Tensor(self.data)

    def clone(self) -> Tensor:
        return _shape.clone(self)

    def to(self, device=None, dtype=None) -> Tensor:
        """This tensor on ``device`` and/or with ``dtype`` (itself when nothing changes)."""
        out = self
        if dtype is not None and np.dtype(dtype) != self.dtype:
            out = _shape.cast(out, np.dtype(dtype))
        if device is not None:
            array = backend.to_device(out.data, device)
            if array is not out.data:
                out = Tensor(array, requires_grad=out.requires_grad)
        return out

    def float(self) -> Tensor:
        return self.to(dtype=np.float32)

    def double(self) -> Tensor:
        return self.to(dtype=np.float64)

    def long(self) -> Tensor:
        return Tensor(self.data.astype(np.int64))

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if self.creator is not None and not requires_grad:
            raise RuntimeError("requires_grad_(False) on a non-leaf tensor: use detach()")
        if requires_grad and not np.issubdtype(self.dtype, np.floating):
            raise TypeError(f"only floating-point tensors can require grad, got {self.dtype}")
        self.requires_grad = requires_grad
        return self

    # -- autograd ------------------------------------------------------------
    def backward(self, gradient=None, retain_graph: bool = False) -> None:
        """Accumulate the gradient of this tensor into the ``.grad`` of every leaf it depends on.

        ``gradient`` (the upstream d loss / d self) is required unless this
        tensor has one element. The graph is freed afterwards unless
        ``retain_graph``.
        """
        _backward(self, gradient, retain_graph)

    # -- in-place ops: bump the version so a stale saved array is detected ---
    def _check_inplace(self, op: str) -> None:
        if self.requires_grad and is_grad_enabled():
            raise RuntimeError(
                f"{op} on a tensor that requires grad would change the graph's values in place; "
                "use the out-of-place op, or wrap the update in rb.no_grad()")

    def _inplace(self, op: str, result) -> Tensor:
        self._check_inplace(op)
        self.data[...] = result
        self._version += 1
        return self

    def zero_(self) -> Tensor:
        return self._inplace("zero_", 0)

    def fill_(self, value) -> Tensor:
        return self._inplace("fill_", value)

    def copy_(self, src) -> Tensor:
        src = _as_array(src)
        if src.shape != self.shape and np.broadcast_shapes(src.shape, self.shape) != self.shape:
            raise ValueError(f"copy_ from shape {src.shape} into shape {self.shape}")
        return self._inplace("copy_", src)

    def add_(self, other, alpha=1) -> Tensor:
        return self._inplace("add_", self.data + alpha * _as_array(other))

    def sub_(self, other, alpha=1) -> Tensor:
        return self._inplace("sub_", self.data - alpha * _as_array(other))

    def mul_(self, other) -> Tensor:
        return self._inplace("mul_", self.data * _as_array(other))

    def div_(self, other) -> Tensor:
        return self._inplace("div_", self.data / _as_array(other))

    def clamp_(self, min=None, max=None) -> Tensor:  # noqa: A002
        return self._inplace("clamp_", np.clip(self.data, min, max))

    def __setitem__(self, index, value) -> None:
        if isinstance(index, Tensor):
            index = index.data
        self._check_inplace("item assignment")
        self.data[index] = _as_array(value)
        self._version += 1

    # -- arithmetic ----------------------------------------------------------
    def __add__(self, other):
        return _ew.add(self, other)

    def __radd__(self, other):
        return _ew.add(other, self)

    def __sub__(self, other):
        return _ew.sub(self, other)

    def __rsub__(self, other):
        return _ew.sub(other, self)

    def __mul__(self, other):
        return _ew.mul(self, other)

    def __rmul__(self, other):
        return _ew.mul(other, self)

    def __truediv__(self, other):
        return _ew.div(self, other)

    def __rtruediv__(self, other):
        return _ew.div(other, self)

    def __pow__(self, other):
        return _ew.pow(self, other)

    def __rpow__(self, other):
        return _ew.pow(other, self)

    def __neg__(self):
        return _ew.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ew.abs(self)

    def __matmul__(self, other):
        return _linalg.matmul(self, other)

    def __rmatmul__(self, other):
        return _linalg.matmul(other, self)

    # comparisons give boolean tensors without a graph
    def _compare(self, other, ufunc) -> Tensor:
        a, b = as_operands(self, other, ufunc.__name__)
        return Tensor(ufunc(a.data if isinstance(a, Tensor) else a,
                            b.data if isinstance(b, Tensor) else b))

    def __eq__(self, other):  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other):  # type: ignore[override]
        return self._compare(other, np.not_equal)

    def __lt__(self, other):
        return self._compare(other, np.less)

    def __le__(self, other):
        return self._compare(other, np.less_equal)

    def __gt__(self, other):
        return self._compare(other, np.greater)

    def __ge__(self, other):
        return self._compare(other, np.greater_equal)

    __hash__ = object.__hash__

    # -- math ----------------------------------------------------------------
    def exp(self):
        return _ew.exp(self)

    def log(self):
        return _ew.log(self)

    def sqrt(self):
        return _ew.sqrt(self)

    def abs(self):
        return _ew.abs(self)

    def pow(self, exponent):
        return _ew.pow(self, exponent)

    def clamp(self, min=None, max=None):  # noqa: A002
        return _ew.clamp(self, min, max)

    clip = clamp

    def maximum(self, other):
        return _ew.maximum(self, other)

    def minimum(self, other):
        return _ew.minimum(self, other)

    def matmul(self, other):
        return _linalg.matmul(self, other)

    def sigmoid(self):
        return _act.sigmoid(self)

    def tanh(self):
        return _act.tanh(self)

    def relu(self):
        return _act.relu(self)

    def softmax(self, dim: int = -1):
        return _act.softmax(self, dim)

    def log_softmax(self, dim: int = -1):
        return _act.log_softmax(self, dim)

    # -- reductions ----------------------------------------------------------
    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return _reduce.sum(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return _reduce.mean(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def max(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return _reduce.max(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def min(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return _reduce.min(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def var(self, axis=None, keepdims=False, *, correction=1, dim=None, keepdim=None):
        return _reduce.var(self, axis, keepdims, correction=correction, dim=dim, keepdim=keepdim)

    def std(self, axis=None, keepdims=False, *, correction=1, dim=None, keepdim=None):
        return _reduce.std(self, axis, keepdims, correction=correction, dim=dim, keepdim=keepdim)

    def logsumexp(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return _reduce.logsumexp(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def argmax(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return Tensor(_reduce.arg(np.argmax, self, axis, keepdims, dim, keepdim))

    def argmin(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return Tensor(_reduce.arg(np.argmin, self, axis, keepdims, dim, keepdim))

    # -- shape ---------------------------------------------------------------
    def reshape(self, *shape):
        return _shape.reshape(self, *shape)

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        return _shape.flatten(self, start_dim, end_dim)

    def transpose(self, dim0: int | None = None, dim1: int | None = None):
        return _shape.transpose(self, dim0, dim1)

    def permute(self, *dims):
        return _shape.permute(self, *dims)

    def squeeze(self, dim=None):
        return _shape.squeeze(self, dim)

    def unsqueeze(self, dim: int):
        return _shape.unsqueeze(self, dim)

    def expand(self, *shape):
        return _shape.expand(self, *shape)

    def split(self, split_size_or_sections, dim: int = 0):
        return _shape.split(self, split_size_or_sections, dim)

    def chunk(self, chunks: int, dim: int = 0):
        return _shape.chunk(self, chunks, dim)

    def gather(self, dim: int, index):
        return _shape.gather(self, dim, index)

    def scatter_add(self, dim: int, index, src):
        return _shape.scatter_add(self, dim, index, src)

    def __getitem__(self, index):
        return _shape.getitem(self, index)


def as_operands(a, b, op: str):
    """The operands of a binary op: Tensors stay, other values become arrays of a matching dtype.

    Two floating-point operands of different dtypes, or on different devices,
    raise an error that names both (no silent float64 promotion).
    """
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        if a.dtype != b.dtype and a.dtype.kind == "f" and b.dtype.kind == "f":
            raise TypeError(f"{op}: operands have different dtypes {a.dtype} (shape {a.shape}) "
                            f"and {b.dtype} (shape {b.shape}); convert one with .to(dtype=...)")
        if type(a.data) is not type(b.data):
            raise RuntimeError(f"{op}: operands are on different devices, {a.device} and "
                               f"{b.device}")
        return a, b
    if isinstance(a, Tensor):
        return a, _operand_like(b, a, op)
    if isinstance(b, Tensor):
        return _operand_like(a, b, op), b
    return Tensor(a), _operand_like(b, Tensor(a), op)


def _operand_like(value, like: Tensor, op: str):
    """A non-Tensor operand as an array whose dtype does not promote ``like``'s."""
    if isinstance(value, (bool, np.bool_)):
        return np.asarray(value)
    if isinstance(value, numbers.Number):
        if like.dtype.kind == "f":
            return np.asarray(value, dtype=like.dtype)
        if isinstance(value, numbers.Integral):
            return np.asarray(value, dtype=np.int64)
        return np.asarray(value, dtype=DEFAULT_DTYPE)
    array = np.asarray(value.data if hasattr(value, "data") and not isinstance(value, np.ndarray)
                       else value)
    if array.dtype == object:
        raise TypeError(f"{op}: unsupported operand type {type(value).__name__}")
    if array.dtype.kind == "f" and like.dtype.kind == "f" and array.dtype != like.dtype:
        if array.ndim == 0 or not isinstance(value, np.ndarray):
            return array.astype(like.dtype)
        raise TypeError(f"{op}: operands have different dtypes {like.dtype} (shape {like.shape}) "
                        f"and {array.dtype} (shape {array.shape})")
    return Tensor(array)


# The ops are defined on top of Tensor; they are imported once it exists.
from rosenblatt.functional import activation as _act  # noqa: E402
from rosenblatt.functional import elementwise as _ew  # noqa: E402
from rosenblatt.functional import linalg as _linalg  # noqa: E402
from rosenblatt.functional import reduce as _reduce  # noqa: E402
from rosenblatt.functional import shape as _shape  # noqa: E402
