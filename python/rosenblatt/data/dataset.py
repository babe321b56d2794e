"""Datasets: indexable collections of samples, as in ``torch.utils.data``.

A :class:`Dataset` has ``__len__`` and ``__getitem__(i)`` returning one sample
(a tuple of fields, a single array or a dict). :class:`TensorDataset` wraps
arrays or Tensors that share their first dimension; :class:`Subset` is a view
of a dataset at chosen indices (what :func:`~rosenblatt.data.random_split`
returns).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence

import numpy as np

from rosenblatt.tensor import Tensor


class Dataset:
    """Base class of map-style datasets: override ``__len__`` and ``__getitem__``.

    ``__getitem__(i)`` takes an index ``0 <= i < len(dataset)`` and returns one
    sample; an index out of range raises IndexError.
    """

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def __getitem__(self, index: int):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")


def _check_index(index, length: int, owner: str) -> int:
    """``index`` as an int in ``[0, length)``; negative indices count from the end."""
    try:
        index = operator.index(index)
    except TypeError:
        raise TypeError(f"{owner} indices must be integers, got {type(index).__name__}") from None
    if not -length <= index < length:
        raise IndexError(f"index {index} is out of range for {owner} of length {length}")
    return index + length if index < 0 else index


def _as_array(value, position: int):
    """The array behind a Tensor or array-like field of a TensorDataset."""
    if isinstance(value, Tensor):
        return value.data  # numpy or cupy storage
    array = np.asarray(value)
    if array.dtype == object:
        raise TypeError(f"TensorDataset field {position} is not a numeric array (dtype object)")
    return array


class TensorDataset(Dataset):
    """Samples are rows of arrays (or Tensors) with the same first dimension.

    ``TensorDataset(X, y)[i]`` is the tuple ``(X[i], y[i])`` of array rows;
    the default collate of :class:`~rosenblatt.data.DataLoader` stacks them
    back into Tensors, keeping each field's dtype (integer labels stay
    integers). Tensors are stored by their underlying arrays (no gradient
    history is kept).
    """

    def __init__(self, *tensors) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one array or Tensor")
        arrays = tuple(_as_array(t, k) for k, t in enumerate(tensors))
        for k, array in enumerate(arrays):
            if array.ndim == 0:
                raise ValueError(f"TensorDataset field {k} is a scalar; every field needs a first (sample) dimension")
        sizes = [int(a.shape[0]) for a in arrays]
        if len(set(sizes)) != 1:
            raise ValueError(f"TensorDataset fields must have the same first dimension, got sizes {sizes}")
        self.tensors = arrays

    def __len__(self) -> int:
        return int(self.tensors[0].shape[0])

    def __getitem__(self, index: int) -> tuple:
        index = _check_index(index, len(self), "TensorDataset")
        return tuple(a[index] for a in self.tensors)

    def gather(self, indices: np.ndarray) -> tuple:
        """All fields at ``indices`` at once (what collating those samples gives)."""
        return tuple(a[indices] for a in self.tensors)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        indices = np.asarray(indices)
        if indices.ndim != 1 or (indices.size and not np.issubdtype(indices.dtype, np.integer)):
            raise TypeError("Subset indices must be a 1-D sequence of integers")
        n = len(dataset)
        if indices.size and (indices.min() < 0 or indices.max() >= n):
            bad = indices[(indices < 0) | (indices >= n)][0]
            raise IndexError(f"Subset index {int(bad)} is out of range for a dataset of length {n}")
        self.dataset = dataset
        self.indices = indices.astype(np.int64)

    def __len__(self) -> int:
        return int(self.indices.size)

    def __getitem__(self, index: int):
        index = _check_index(index, len(self), "Subset")
        return self.dataset[int(self.indices[index])]

