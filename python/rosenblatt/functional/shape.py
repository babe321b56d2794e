"""Shape ops: reshape, transpose/permute, expand, indexing, concat/stack/split, gather, scatter-add, pad.

Their gradients only move values: the inverse reshape or permutation, a
scatter of the upstream gradient into zeros, or a slice of it.
"""

from __future__ import annotations

import numbers

import numpy as np

from rosenblatt.autograd import Function
from rosenblatt.tensor import Tensor


def _shape_arg(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _axis(dim: int, ndim: int) -> int:
    if not -ndim <= dim < ndim:
        raise IndexError(f"dimension {dim} is out of range for a tensor with {ndim} dimensions")
    return dim % ndim


class Reshape(Function):
    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        try:
            return a.reshape(shape)
        except ValueError:
            raise ValueError(f"cannot reshape a tensor of shape {a.shape} ({a.size} elements) "
                             f"into shape {shape}") from None

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape)


class Permute(Function):
    @staticmethod
    def forward(ctx, a, axes):
        ctx.inverse = tuple(np.argsort(axes))
        return a.transpose(axes)

    @staticmethod
    def backward(ctx, g):
        return g.transpose(ctx.inverse)


class Expand(Function):
    @staticmethod
    def forward(ctx, a, shape):
        return np.broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, g):
        return g  # the engine sums it back to the input's shape


class Cast(Function):
    @staticmethod
    def forward(ctx, a, dtype):
        ctx.dtype = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g.astype(ctx.dtype)


class Clone(Function):
    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, g):
        return g


def _is_basic(index) -> bool:
    """Whether ``index`` is basic indexing (ints, slices, None, ...): a view, each element once."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (numbers.Integral, slice)) or i is None or i is Ellipsis
               for i in items)


class GetItem(Function):
    @staticmethod
    def forward(ctx, a, index):
        ctx.shape, ctx.dtype, ctx.index = a.shape, a.dtype, index
        return a[index]

    @staticmethod
    def backward(ctx, g):
        grad = np.zeros(ctx.shape, dtype=ctx.dtype)
        if _is_basic(ctx.index):
            grad[ctx.index] = g
        else:  # advanced indexing may pick an element twice: accumulate
            np.add.at(grad, ctx.index, g)
        return grad


class Concat(Function):
    @staticmethod
    def forward(ctx, axis, *arrays):
        ctx.axis = axis
        ctx.bounds = np.cumsum([a.shape[axis] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx, g):
        return (None, *np.split(g, ctx.bounds, axis=ctx.axis))


class Stack(Function):
    @staticmethod
    def forward(ctx, axis, *arrays):
        ctx.axis = axis
        return np.stack(arrays, axis=axis)

    @staticmethod
    def backward(ctx, g):
        return (None, *np.moveaxis(g, ctx.axis, 0))


class Pad(Function):
    @staticmethod
    def forward(ctx, a, widths, value):
        ctx.slices = tuple(slice(before, before + n) for (before, _), n in zip(widths, a.shape))
        return np.pad(a, widths, constant_values=value)

    @staticmethod
    def backward(ctx, g):
        return g[ctx.slices]


def _full_index(index: np.ndarray, axis: int) -> tuple:
    """The advanced index selecting ``index``'s entries along ``axis`` (torch.gather's pattern)."""
    grids = list(np.ix_(*[np.arange(n) for n in index.shape]))
    grids[axis] = index
    return tuple(grids)


class Gather(Function):
    """out[i][j][k] = a[i][index[i][j][k]][k] (for axis 1)."""

    @staticmethod
    def forward(ctx, a, axis, index):
        ctx.shape, ctx.axis, ctx.index = a.shape, axis, index
        return np.take_along_axis(a, index, axis=axis)

    @staticmethod
    def backward(ctx, g):
        grad = np.zeros(ctx.shape, dtype=g.dtype)
        np.add.at(grad, _full_index(ctx.index, ctx.axis), g)
        return grad, None, None


class ScatterAdd(Function):
    """out = a; out[i][index[i][j][k]][k] += src[i][j][k] (for axis 1)."""

    @staticmethod
    def forward(ctx, a, axis, index, src):
        ctx.axis, ctx.index = axis, index
        out = a.copy()
        np.add.at(out, _full_index(index, axis), src)
        return out

    @staticmethod
    def backward(ctx, g):
        return g, None, None, np.take_along_axis(g, ctx.index, axis=ctx.axis)


def reshape(a: Tensor, *shape) -> Tensor:
    return Reshape.apply(a, _shape_arg(shape))


def flatten(a: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    if a.ndim == 0:
        return reshape(a, 1)
    start, end = _axis(start_dim, a.ndim), _axis(end_dim, a.ndim)
    return reshape(a, a.shape[:start] + (-1,) + a.shape[end + 1:])


def permute(a: Tensor, *dims) -> Tensor:
    dims = tuple(_axis(d, a.ndim) for d in _shape_arg(dims))
    if sorted(dims) != list(range(a.ndim)):
        raise ValueError(f"permute needs a permutation of {a.ndim} dimensions, got {dims}")
    return Permute.apply(a, dims)


def transpose(a: Tensor, dim0: int | None = None, dim1: int | None = None) -> Tensor:
    """Swap two dimensions; with none given, reverse them all (``a.T``)."""
    axes = list(range(a.ndim))
    if dim0 is None and dim1 is None:
        axes.reverse()
    else:
        i, j = _axis(dim0, a.ndim), _axis(dim1, a.ndim)
        axes[i], axes[j] = axes[j], axes[i]
    return Permute.apply(a, tuple(axes))


def squeeze(a: Tensor, dim=None) -> Tensor:
    if dim is None:
        return reshape(a, tuple(n for n in a.shape if n != 1))
    dims = {_axis(d, a.ndim) for d in ((dim,) if isinstance(dim, int) else dim)}
    return reshape(a, tuple(n for i, n in enumerate(a.shape) if i not in dims or n != 1))


def unsqueeze(a: Tensor, dim: int) -> Tensor:
    dim = _axis(dim, a.ndim + 1)
    return reshape(a, a.shape[:dim] + (1,) + a.shape[dim:])


def expand(a: Tensor, *shape) -> Tensor:
    """Broadcast to ``shape`` (-1 keeps a dimension) without copying."""
    shape = _shape_arg(shape)
    lead = len(shape) - a.ndim
    shape = tuple(a.shape[i - lead] if s == -1 else s for i, s in enumerate(shape))
    try:
        np.broadcast_shapes(a.shape, shape)
    except ValueError:
        raise ValueError(f"cannot expand shape {a.shape} to {shape}") from None
    return Expand.apply(a, shape)


def cast(a: Tensor, dtype) -> Tensor:
    return Cast.apply(a, np.dtype(dtype))


def clone(a: Tensor) -> Tensor:
    return Clone.apply(a)


def getitem(a: Tensor, index) -> Tensor:
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    elif isinstance(index, list):
        index = np.asarray(index)
    return GetItem.apply(a, index)


def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors of equal shape except along ``dim``."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat needs at least one tensor")
    first = tensors[0]
    axis = _axis(dim, first.ndim)
    for t in tensors[1:]:
        if t.ndim != first.ndim or any(m != n for i, (m, n) in enumerate(zip(t.shape, first.shape))
                                       if i != axis):
            raise ValueError(f"cat along dim {dim}: shapes {first.shape} and {t.shape} differ "
                             "outside that dimension")
        if t.dtype != first.dtype:
            raise TypeError(f"cat: dtypes {first.dtype} and {t.dtype} differ")
    return Concat.apply(axis, *tensors)


concat = cat


def stack(tensors, dim: int = 0) -> Tensor:
    """Join tensors of one shape along a new dimension ``dim``."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack needs at least one tensor")
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack needs tensors of one shape, got {sorted(shapes)}")
    dtypes = {t.dtype for t in tensors}
    if len(dtypes) != 1:
        raise TypeError(f"stack: dtypes {' and '.join(sorted(map(str, dtypes)))} differ")
    return Stack.apply(_axis(dim, tensors[0].ndim + 1), *tensors)


def split(a: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Pieces of ``a`` along ``dim``: of size ``split_size`` (the last may be smaller) or of the given sizes."""
    axis = _axis(dim, a.ndim)
    n = a.shape[axis]
    if isinstance(split_size_or_sections, numbers.Integral):
        if split_size_or_sections < 1:
            raise ValueError(f"split_size must be >= 1, got {split_size_or_sections}")
        sizes = [split_size_or_sections] * (n // split_size_or_sections)
        if n % split_size_or_sections:
            sizes.append(n % split_size_or_sections)
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise ValueError(f"split sizes {sizes} do not add up to {n} (dimension {dim})")
    pieces, start = [], 0
    for size in sizes:
        index = [slice(None)] * a.ndim
        index[axis] = slice(start, start + size)
        pieces.append(getitem(a, tuple(index)))
        start += size
    return tuple(pieces)


def chunk(a: Tensor, chunks: int, dim: int = 0) -> tuple:
    n = a.shape[_axis(dim, a.ndim)]
    return split(a, max(-(-n // chunks), 1), dim)


def pad(a: Tensor, pad, value: float = 0.0) -> Tensor:
    """Constant padding; ``pad`` lists (before, after) pairs from the LAST dimension backwards, as torch."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > a.ndim or any(p < 0 for p in pad):
        raise ValueError(f"pad needs non-negative (before, after) pairs for at most {a.ndim} "
                         f"dimensions, got {pad}")
    widths = [(0, 0)] * a.ndim
    for k in range(len(pad) // 2):
        widths[a.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    return Pad.apply(a, tuple(widths), value)


def _index_array(index, a: Tensor, dim: int, what: str) -> np.ndarray:
    index = np.asarray(index.data if isinstance(index, Tensor) else index)
    if not np.issubdtype(index.dtype, np.integer):
        raise TypeError(f"{what}: index must be an integer array, got {index.dtype}")
    if index.ndim != a.ndim:
        raise ValueError(f"{what}: index has {index.ndim} dimensions, the tensor {a.ndim}")
    n = a.shape[dim]
    if index.size and (index.min() < -n or index.max() >= n):
        raise IndexError(f"{what}: index out of range for dimension {dim} of size {n}")
    return index


def gather(a: Tensor, dim: int, index) -> Tensor:
    """``out[...i...] = a[... index[...i...] ...]`` along ``dim`` (torch.gather)."""
    dim = _axis(dim, a.ndim)
    return Gather.apply(a, dim, _index_array(index, a, dim, "gather"))


def scatter_add(a: Tensor, dim: int, index, src: Tensor) -> Tensor:
    """A copy of ``a`` with ``src`` added at ``index`` along ``dim`` (torch.scatter_add)."""
    dim = _axis(dim, a.ndim)
    index = _index_array(index, a, dim, "scatter_add")
    if not isinstance(src, Tensor):
        src = Tensor(np.asarray(src, dtype=a.dtype))
    if src.shape != index.shape:
        raise ValueError(f"scatter_add: src has shape {src.shape}, index {index.shape}")
    return ScatterAdd.apply(a, dim, index, src)
