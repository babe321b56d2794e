"""DataLoader: iterate over a dataset in (shuffled) mini-batches.

Shuffling draws one permutation per pass over the loader, at the moment the
pass starts (``iter(loader)``), from the ``generator`` given to the loader or
else from the library generator :func:`rosenblatt.random.generator`. So
``rb.manual_seed(s)`` makes the order of every epoch repeatable, each epoch
gets a new order, and restoring a checkpoint's RNG state reproduces the order
of the epochs that follow.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping

import numpy as np

from rosenblatt import random as rb_random
from rosenblatt.data.dataset import Dataset, Subset, TensorDataset
from rosenblatt.tensor import Tensor


def _stack_field(values: list, where: str):
    """Stack one field of a batch into an array (Python floats become float32)."""
    first = values[0]
    if isinstance(first, Tensor):
        arrays = [v.data if isinstance(v, Tensor) else v for v in values]
    elif isinstance(first, float):
        arrays = np.asarray(values, dtype=np.float32)
    else:
        arrays = values
    try:
        return np.stack(arrays)
    except ValueError:
        shapes = sorted({tuple(np.shape(getattr(v, "data", v))) for v in values})
        raise ValueError(f"cannot collate {where}: samples have different shapes {shapes}") from None


def default_collate(samples: list):
    """Merge a list of samples into a batch.

    Arrays, numbers and Tensors are stacked along a new first axis into one
    Tensor (keeping their dtype: integer labels stay integers; Python floats
    become float32, Python ints int64). Tuples, lists and named tuples are
    collated field by field and keep their type; dicts key by key. Strings
    are returned as a list. Samples that do not match (different shapes,
    keys or numbers of fields) raise ValueError naming the field.
    """
    if len(samples) == 0:
        raise ValueError("cannot collate an empty list of samples")
    return _collate(samples, "the samples")


def _collate(samples: list, where: str):
    first = samples[0]
    if isinstance(first, str):
        return list(samples)
    if isinstance(first, Mapping):
        keys = list(first)
        for sample in samples:
            if not isinstance(sample, Mapping) or list(sample) != keys:
                raise ValueError(f"cannot collate {where}: dict samples must all have the keys {keys}")
        return {key: _collate([s[key] for s in samples], f"key {key!r}") for key in keys}
    if isinstance(first, (tuple, list)):
        width = len(first)
        for sample in samples:
            if not isinstance(sample, (tuple, list)) or len(sample) != width:
                raise ValueError(f"cannot collate {where}: every sample must be a sequence of {width} fields")
        fields = [_collate([s[k] for s in samples], f"field {k}") for k in range(width)]
        if isinstance(first, tuple) and hasattr(first, "_fields"):
            return type(first)(*fields)
        return tuple(fields) if isinstance(first, tuple) else fields
    if isinstance(first, (Tensor, np.ndarray, np.generic, bool, int, float)) or hasattr(first, "__array__"):
        return Tensor(_stack_field(samples, where))
    raise TypeError(f"cannot collate {where}: unsupported sample type {type(first).__name__}")


def _gatherer(dataset) -> Callable | None:
    """A function ``indices -> tuple of field arrays`` for datasets made of array rows."""
    if isinstance(dataset, TensorDataset):
        return dataset.gather
    if isinstance(dataset, Subset):
        parent = _gatherer(dataset.dataset)
        if parent is not None:
            return lambda indices: parent(dataset.indices[indices])
    return None


class DataLoader:
    """Mini-batches of ``dataset``.

    Parameters
    ----------
    dataset : a :class:`Dataset` (anything with ``__len__`` and ``__getitem__``).
    batch_size : samples per batch, an int >= 1.
    shuffle : draw a new order of the samples at the start of every pass.
    drop_last : drop the last batch when it is smaller than ``batch_size``.
    collate_fn : merges a list of samples into a batch; default
        :func:`default_collate` (a tuple of Tensors for tuple samples).
    generator : a ``numpy.random.Generator`` for shuffling; default the
        library generator :func:`rosenblatt.random.generator`.

    ``len(loader)`` is the number of batches of one pass. With the default
    collate, a :class:`TensorDataset` (or a :class:`Subset` of one) is
    batched by indexing each field once with the batch's indices instead of
    stacking sample by sample; the batches are the same.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        collate_fn: Callable[[list], object] | None = None,
        generator: np.random.Generator | None = None,
    ) -> None:
        if isinstance(batch_size, bool):
            raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
        try:
            batch_size = operator.index(batch_size)
        except TypeError:
            raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}") from None
        if batch_size < 1:
            raise ValueError(f"batch_size must be an int >= 1, got {batch_size}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"collate_fn must be callable, got {type(collate_fn).__name__}")
        if generator is not None and not isinstance(generator, np.random.Generator):
            raise TypeError(f"generator must be a numpy.random.Generator, got {type(generator).__name__}")
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(f"dataset must have __len__ and __getitem__, got {type(dataset).__name__}")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        self.generator = generator
        self._check_size(len(dataset))

    def _check_size(self, n: int) -> None:
        if n == 0:
            raise ValueError("DataLoader got an empty dataset (0 samples)")
        if self.drop_last and n < self.batch_size:
            raise ValueError(
                f"drop_last=True with batch_size {self.batch_size} and only {n} samples would give no batches"
            )

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return -(-n // self.batch_size)

    def __iter__(self) -> Iterator:
        n = len(self.dataset)
        self._check_size(n)
        if self.shuffle:
            rng = self.generator if self.generator is not None else rb_random.generator()
            order = rng.permutation(n)
        else:
            order = np.arange(n)
        return self._batches(order)

    def _batches(self, order: np.ndarray) -> Iterator:
        n, size = order.size, self.batch_size
        stop = n - n % size if self.drop_last else n
        gather = _gatherer(self.dataset) if self.collate_fn is None else None
        for start in range(0, stop, size):
            indices = order[start : start + size]
            if gather is not None:
                yield tuple(Tensor(field) for field in gather(indices))
                continue
            samples = [self.dataset[int(i)] for i in indices]
            yield (self.collate_fn or default_collate)(samples)

    def __repr__(self) -> str:
        return (
            f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last})"
        )
