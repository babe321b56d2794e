"""Embedding: a trainable lookup table of ``num_embeddings`` vectors, as torch.nn.Embedding."""

from __future__ import annotations

import numpy as np

from rosenblatt import functional as F
from rosenblatt.nn import init
from rosenblatt.nn.module import Module
from rosenblatt.nn.parameter import Parameter
from rosenblatt.tensor import DEFAULT_DTYPE, Tensor


class Embedding(Module):
    """``weight`` (num_embeddings, embedding_dim) ~ N(0, 1); forward(ids) = weight[ids].

    With ``padding_idx`` that row starts at zeros and never receives a
    gradient, so padded positions embed to the zero vector. Ids must be
    integers in [0, num_embeddings) (a TypeError or IndexError otherwise).
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 _weight=None, _freeze: bool = False, device=None, dtype=None) -> None:
        super().__init__()
        if num_embeddings < 1 or embedding_dim < 1:
            raise ValueError(f"Embedding: num_embeddings and embedding_dim must be >= 1, got "
                             f"{num_embeddings} and {embedding_dim}")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx {padding_idx} must be within "
                                 f"[-{num_embeddings}, {num_embeddings})")
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.padding_idx = padding_idx
        dtype = DEFAULT_DTYPE if dtype is None else np.dtype(dtype)
        if _weight is None:
            self.weight = Parameter(np.empty((self.num_embeddings, self.embedding_dim), dtype),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            weight = np.array(_weight.data if isinstance(_weight, Tensor) else _weight)
            if weight.shape != (self.num_embeddings, self.embedding_dim):
                raise ValueError(f"Embedding: _weight has shape {weight.shape}, expected "
                                 f"{(self.num_embeddings, self.embedding_dim)}")
            self.weight = Parameter(weight, requires_grad=not _freeze)
        if device is not None:
            self.to(device)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True,
                        padding_idx: int | None = None) -> Embedding:
        """An Embedding holding a copy of ``embeddings`` (2-D), frozen unless ``freeze=False``."""
        weight = np.asarray(embeddings.data if isinstance(embeddings, Tensor) else embeddings)
        if weight.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D, got shape "
                             f"{weight.shape}")
        return cls(*weight.shape, padding_idx=padding_idx, _weight=weight, _freeze=freeze,
                   dtype=weight.dtype)

    def forward(self, input) -> Tensor:  # noqa: A002
        return F.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"
