"""Reverse-mode automatic differentiation.

An op is a :class:`Function` subclass with two static methods on arrays::

    forward(ctx, *args, **kwargs) -> ndarray      # Tensor arguments arrive as their .data
    backward(ctx, grad) -> ndarray | tuple         # one gradient (or None) per positional argument

``Function.apply(*args)`` runs ``forward`` and, when gradients are enabled and
an argument requires them, returns a Tensor whose ``creator`` is the ``ctx``:
a node of the graph holding the argument Tensors and whatever ``forward``
saved. ``Tensor.backward()`` walks the nodes in reverse topological order
(iteratively: a deep unrolled RNN never meets the recursion limit), sums the
gradients reaching each node, and adds those reaching leaves into their
``.grad``. This module is the ONE place that sums a broadcast gradient back to
its input's shape (:func:`unbroadcast`), so an op's ``backward`` may return a
gradient of the broadcast shape.

In-place changes are tracked by a version counter on each Tensor: arrays that
``backward`` needs are saved with ``ctx.save_for_backward``, which records the
version of the Tensor they belong to, and ``backward`` refuses to run on an
array that changed since.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from typing import Any, Callable, Sequence

import numpy as np

_state = threading.local()


def is_grad_enabled() -> bool:
    """Whether ops record the graph (False inside :func:`no_grad`)."""
    return getattr(_state, "grad_enabled", True)


def _is_anomaly_enabled() -> bool:
    return getattr(_state, "anomaly", False)


class _GradMode(contextlib.ContextDecorator):
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __enter__(self) -> None:
        self.previous = is_grad_enabled()
        _state.grad_enabled = self.enabled

    def __exit__(self, *exc: object) -> None:
        _state.grad_enabled = self.previous


def no_grad() -> _GradMode:
    """Context manager (and decorator) in which no graph is recorded."""
    return _GradMode(False)


def enable_grad() -> _GradMode:
    """Context manager (and decorator) that turns graph recording back on."""
    return _GradMode(True)


@contextlib.contextmanager
def detect_anomaly():
    """Check every op's output and gradients for NaN/inf, naming the op that first produced one."""
    previous = _is_anomaly_enabled()
    _state.anomaly = True
    try:
        yield
    finally:
        _state.anomaly = previous


def _all_finite(arrays) -> bool:
    return all(
        a is None or not np.issubdtype(a.dtype, np.inexact) or np.isfinite(a).all() for a in arrays
    )


class Context:
    """A node of the graph: one application of a Function.

    ``forward`` stores on it what ``backward`` needs: arrays through
    :meth:`save_for_backward` (version-checked), anything else as attributes.
    """

    def __init__(self, function: type, inputs: tuple) -> None:
        self.function = function
        self.inputs = inputs            # the positional arguments that are Tensors, else None
        self.needs_input_grad = tuple(t is not None and t.requires_grad for t in inputs)
        self._saved: tuple = ()
        self._saved_versions: list = []
        self._freed = False

    def save_for_backward(self, *arrays: Any) -> None:
        self._saved = arrays

    @property
    def saved_tensors(self) -> tuple:
        """The arrays given to :meth:`save_for_backward`, after checking none changed in place."""
        if self._freed:
            raise RuntimeError(
                f"trying to backward through {self.function.__name__} a second time: its saved "
                "arrays were freed after the first backward; pass retain_graph=True to the first"
            )
        for ref, version, shape in self._saved_versions:
            tensor = ref()
            if tensor is not None and tensor._version != version:
                raise RuntimeError(
                    f"one of the arrays {self.function.__name__}.backward needs, of shape "
                    f"{shape}, was modified by an in-place operation (version {tensor._version}, "
                    f"expected {version}); use an out-of-place op or .clone() first"
                )
        return self._saved

    def _record_versions(self, owners: dict) -> None:
        """Remember the version of the Tensor owning each saved array."""
        for array in self._saved:
            owner = owners.get(id(array))
            if owner is not None:
                self._saved_versions.append((weakref.ref(owner), owner._version, array.shape))

    def _free(self) -> None:
        self._saved = ()
        self.inputs = tuple(None for _ in self.inputs)
        self._freed = True

    def __repr__(self) -> str:
        return f"<{self.function.__name__}Backward>"


class Function:
    """Base class of differentiable ops (see the module docstring)."""

    @staticmethod
    def forward(ctx: Context, *args: Any, **kwargs: Any) -> np.ndarray:
        raise NotImplementedError(f"{__class__.__name__} subclasses must define forward")

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        raise NotImplementedError(f"{__class__.__name__} subclasses must define backward")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any):
        from rosenblatt.tensor import Tensor

        tensors = tuple(a if isinstance(a, Tensor) else None for a in args)
        arrays = [a.data if isinstance(a, Tensor) else a for a in args]
        record = is_grad_enabled() and any(t is not None and t.requires_grad for t in tensors)
        ctx = Context(cls, tensors)
        out = np.asarray(cls.forward(ctx, *arrays, **kwargs))  # NumPy turns 0-d results into scalars
        if _is_anomaly_enabled() and not _all_finite([out]) and _all_finite(
                [t.data for t in tensors if t is not None]):
            raise FloatingPointError(f"{cls.__name__} produced NaN or inf in its output "
                                     "from finite inputs")
        result = Tensor(out, requires_grad=record, _creator=ctx if record else None)
        if record:
            owners = {id(t.data): t for t in tensors if t is not None}
            owners[id(out)] = result
            ctx._record_versions(owners)
        return result


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` over the axes along which an input of ``shape`` was broadcast."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1)
    summed = grad.sum(axis=axes, keepdims=True) if axes else grad
    return summed.reshape(shape)


def _topological_order(root_node: Context) -> list:
    """Nodes reachable from ``root_node``, each after every node that uses its output."""
    order, visited = [], {id(root_node)}
    stack = [(root_node, iter(root_node.inputs))]
    while stack:
        node, inputs = stack[-1]
        for t in inputs:
            if t is not None and t.creator is not None and id(t.creator) not in visited:
                visited.add(id(t.creator))
                stack.append((t.creator, iter(t.creator.inputs)))
                break
        else:
            stack.pop()
            order.append(node)
    order.reverse()
    return order


def _owned(grad: np.ndarray, dtype, handed_out: set) -> np.ndarray:
    """``grad`` as a fresh writeable C-contiguous array that no one else holds."""
    if (id(grad) in handed_out or grad.base is not None or not grad.flags.c_contiguous
            or not grad.flags.writeable or grad.dtype != dtype):
        return np.array(grad, dtype=dtype, order="C", copy=True)
    return grad


def backward(root, grad: np.ndarray | None = None, retain_graph: bool = False) -> None:
    """Accumulate d(root)/d(leaf) into every leaf's ``.grad`` (``Tensor.backward``)."""
    from rosenblatt.tensor import Tensor

    if not root.requires_grad:
        raise RuntimeError("backward() on a tensor that does not require grad (it has no graph)")
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward() without a gradient needs a one-element tensor, got shape "
                f"{root.shape}; pass gradient= of that shape")
        grad = np.ones(root.shape, dtype=root.dtype)
    else:
        grad = np.asarray(grad.data if isinstance(grad, Tensor) else grad)
        if grad.shape != root.shape:
            raise ValueError(f"gradient has shape {grad.shape}, the tensor has {root.shape}")
        grad = grad.astype(root.dtype, copy=True)
    if root.creator is None:  # a leaf: its gradient is the seed itself
        _accumulate_leaf(root, grad, set())
        return
    anomaly = _is_anomaly_enabled()
    grads = {id(root.creator): grad}
    handed_out: set = set()
    for node in _topological_order(root.creator):
        g = grads.pop(id(node), None)
        if g is None:  # no path from root carries a gradient here
            continue
        if node._freed:
            raise RuntimeError(
                f"trying to backward through {node.function.__name__} a second time: the graph "
                "was freed after the first backward; pass retain_graph=True to the first")
        handed_out.add(id(g))
        input_grads = node.function.backward(node, g)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        if len(input_grads) < len(node.inputs):  # trailing non-Tensor arguments need none
            if any(t is not None for t in node.inputs[len(input_grads):]):
                raise RuntimeError(f"{node.function.__name__}.backward returned "
                                   f"{len(input_grads)} gradients for {len(node.inputs)} inputs")
        if anomaly and not _all_finite(input_grads) and _all_finite([g]):
            raise FloatingPointError(f"{node.function.__name__}.backward produced NaN or inf "
                                     "from a finite gradient")
        for t, ig in zip(node.inputs, input_grads):
            if t is None or ig is None or not t.requires_grad:
                continue
            ig = unbroadcast(np.asarray(ig), t.shape)
            if t.creator is None:
                _accumulate_leaf(t, ig, handed_out)
            else:
                key = id(t.creator)
                previous = grads.get(key)
                grads[key] = ig if previous is None else previous + ig
            handed_out.add(id(ig))
        if not retain_graph:
            node._free()


def _accumulate_leaf(t, g: np.ndarray, handed_out: set) -> None:
    from rosenblatt.tensor import Tensor

    if t.grad is None:
        t.grad = Tensor(_owned(g, t.dtype, handed_out))
    else:
        t.grad.data += g


def gradcheck(fn: Callable, inputs: Sequence, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Compare ``fn``'s analytic gradients with float64 central differences.

    ``inputs`` are Tensors; those with ``requires_grad`` must be float64. Every
    element of every output is differentiated (one backward pass each), so keep
    the inputs small. Returns True, or raises (``raise_exception``) naming the
    input and the worst element when an entry differs by more than
    ``atol + rtol * |numeric|``.
    """
    from rosenblatt.tensor import Tensor

    checked = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck needs at least one input with requires_grad=True")
    for t in checked:
        if t.dtype != np.float64:
            raise TypeError(f"gradcheck needs float64 inputs, got {t.dtype}")
        t.data = np.ascontiguousarray(t.data)  # perturbed in place through a flat view

    def evaluate() -> np.ndarray:
        with no_grad():
            out = fn(*inputs)
        return np.asarray(out.data, dtype=np.float64).copy()

    out = fn(*inputs)
    n_out = out.data.size
    analytic = [np.zeros((n_out, t.data.size)) for t in checked]
    for k in range(n_out):
        for t in checked:
            t.grad = None
        seed = np.zeros(out.shape)
        seed.flat[k] = 1.0
        if out.requires_grad:
            out.backward(seed, retain_graph=True)
        for j, t in enumerate(checked):
            if t.grad is not None:
                analytic[j][k] = t.grad.data.ravel()
    for t in checked:
        t.grad = None
    for j, t in enumerate(checked):
        numeric = np.zeros_like(analytic[j])
        flat = t.data.reshape(-1)
        for i in range(flat.size):
            original = flat[i]
            flat[i] = original + eps
            plus = evaluate()
            flat[i] = original - eps
            minus = evaluate()
            flat[i] = original
            numeric[:, i] = ((plus - minus) / (2 * eps)).ravel()
        error = np.abs(analytic[j] - numeric) - (atol + rtol * np.abs(numeric))
        if (error > 0).any():
            k, i = np.unravel_index(np.argmax(error), error.shape)
            if raise_exception:
                position = next(n for n, x in enumerate(inputs) if x is t)
                raise AssertionError(
                    f"gradcheck failed for input {position} of shape "
                    f"{t.shape}: d out[{k}] / d x[{i}] analytic {analytic[j][k, i]:.6g}, numeric "
                    f"{numeric[k, i]:.6g}")
            return False
    return True
