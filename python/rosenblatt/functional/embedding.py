"""embedding: rows of a weight matrix picked by integer ids (a lookup table).

    out[..., :] = weight[input[...], :]

Its gradient scatters the upstream rows back onto the rows they came from,
summing repeats: dweight[i] = sum over positions p with input[p] = i of g[p].
The ``padding_idx`` row gets no gradient, so it stays what it was (zeros
by nn.Embedding's initialization).
"""

from __future__ import annotations

import numpy as np

from rosenblatt.autograd import Function
from rosenblatt.tensor import Tensor


class Embedding(Function):
    @staticmethod
    def forward(ctx, weight, ids, padding_idx):
        ctx.shape, ctx.ids, ctx.padding_idx = weight.shape, ids, padding_idx
        return weight[ids]

    @staticmethod
    def backward(ctx, g):
        grad = np.zeros(ctx.shape, dtype=g.dtype)
        ids = ctx.ids.reshape(-1)
        np.add.at(grad, ids, g.reshape(ids.size, ctx.shape[1]))
        if ctx.padding_idx is not None:
            grad[ctx.padding_idx] = 0
        return grad, None, None


def token_ids(input, num_embeddings: int, op: str = "embedding") -> np.ndarray:  # noqa: A002
    """``input`` as an int64 array of ids in [0, num_embeddings), or a clear error."""
    ids = input.data if isinstance(input, Tensor) else np.asarray(input)
    if ids.dtype == np.bool_ or not np.issubdtype(ids.dtype, np.integer):
        raise TypeError(f"{op}: input must hold integer token ids, got dtype {ids.dtype}")
    if ids.size and (ids.min() < 0 or ids.max() >= num_embeddings):
        bad = ids.min() if ids.min() < 0 else ids.max()
        raise IndexError(f"{op}: token id {int(bad)} is out of range for an embedding of "
                         f"{num_embeddings} rows (ids must be in [0, {num_embeddings}))")
    return ids.astype(np.int64, copy=False)


def embedding(input, weight: Tensor, padding_idx: int | None = None) -> Tensor:  # noqa: A002
    """Look up the rows of ``weight`` (num_embeddings, embedding_dim) at the ids in ``input``.

    ``input`` is an integer array or Tensor of any shape; the result has its
    shape plus (embedding_dim,). As torch.nn.functional.embedding, the
    ``padding_idx`` row receives no gradient.
    """
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        raise ValueError(f"embedding: weight must be a 2-D Tensor (num_embeddings, embedding_dim), "
                         f"got {getattr(weight, 'shape', type(weight).__name__)}")
    rows = weight.shape[0]
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise ValueError(f"embedding: padding_idx {padding_idx} is out of range for "
                             f"{rows} embeddings")
        padding_idx %= rows
    return Embedding.apply(weight, token_ids(input, rows), padding_idx)
