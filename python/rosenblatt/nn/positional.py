"""Position information for attention models: sinusoidal and learned position embeddings.

Both add a (T, d_model) table row per position to an input of shape
(T, N, d_model), or (N, T, d_model) with ``batch_first``, or unbatched
(T, d_model). ``offset`` shifts the positions (a decoder generating with a KV
cache embeds its new token at position ``offset``). A sequence that runs past
the table (``offset + T > max_len``) is an error naming ``max_len``.
"""

from __future__ import annotations

import numpy as np

from rosenblatt import functional as F
from rosenblatt.functional.dropout import check_probability
from rosenblatt.nn import init
from rosenblatt.nn.module import Module
from rosenblatt.nn.parameter import Parameter
from rosenblatt.tensor import DEFAULT_DTYPE, Tensor


def sinusoidal_table(max_len: int, d_model: int, dtype=np.float64) -> np.ndarray:
    """The (max_len, d_model) table of Vaswani et al.

    pe[pos, 2i] = sin(pos / 10000^(2i / d_model)),
    pe[pos, 2i + 1] = cos(pos / 10000^(2i / d_model)),
    computed in float64 and then cast to ``dtype``.
    """
    position = np.arange(max_len, dtype=np.float64)[:, None]
    inverse_frequency = 10000.0 ** (-np.arange(0, d_model, 2, dtype=np.float64) / d_model)
    angle = position * inverse_frequency                       # (max_len, ceil(d / 2))
    table = np.empty((max_len, d_model), np.float64)
    table[:, 0::2] = np.sin(angle)
    table[:, 1::2] = np.cos(angle[:, : d_model // 2])
    return table.astype(dtype)


def _check_sizes(name: str, d_model: int, max_len: int) -> None:
    if isinstance(d_model, bool) or not isinstance(d_model, (int, np.integer)) or d_model < 1:
        raise ValueError(f"{name}: d_model must be a positive int, got {d_model!r}")
    if isinstance(max_len, bool) or not isinstance(max_len, (int, np.integer)) or max_len < 1:
        raise ValueError(f"{name}: max_len must be a positive int, got {max_len!r}")


class _PositionTable(Module):
    """Shared forward: add rows ``offset .. offset + T`` of ``self._table()`` to the input."""

    def _add_positions(self, x: Tensor, table: Tensor, offset: int) -> Tensor:
        name = type(self).__name__
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(x).__name__}")
        if x.ndim not in (2, 3) or x.shape[-1] != self.d_model:
            raise ValueError(f"{name}: input must have shape (T, N, d_model), (N, T, d_model) "
                             f"with batch_first, or (T, d_model), with d_model = {self.d_model};"
                             f" got {x.shape}")
        if isinstance(offset, bool) or not isinstance(offset, (int, np.integer)) or offset < 0:
            raise ValueError(f"{name}: offset must be an int >= 0, got {offset!r}")
        t = x.shape[1] if (x.ndim == 3 and self.batch_first) else x.shape[0]
        if offset + t > self.max_len:
            raise ValueError(f"{name}: the sequence (length {t}, offset {offset}) is longer than "
                             f"the table: max_len = {self.max_len}")
        rows = table[offset:offset + t]                      # (T, d_model)
        if x.ndim == 3 and not self.batch_first:
            rows = rows.unsqueeze(1)                         # (T, 1, d_model)
        if rows.dtype != x.dtype:
            rows = rows.to(dtype=x.dtype)
        return x + rows


class PositionalEncoding(_PositionTable):
    """Adds the fixed sinusoidal table (:func:`sinusoidal_table`), then dropout.

    The table is a non-persistent buffer ``pe`` of shape (max_len, d_model)
    (a function of the arguments, so it is not saved in the state_dict).
    """

    def __init__(self, d_model: int, dropout: float = 0.0, max_len: int = 5000,
                 batch_first: bool = False, dtype=None) -> None:
        super().__init__()
        _check_sizes("PositionalEncoding", d_model, max_len)
        self.d_model, self.max_len, self.batch_first = int(d_model), int(max_len), batch_first
        self.dropout = check_probability(dropout)
        dtype = DEFAULT_DTYPE if dtype is None else np.dtype(dtype)
        self.register_buffer("pe", Tensor(sinusoidal_table(self.max_len, self.d_model, dtype)),
                             persistent=False)

    def forward(self, x: Tensor, offset: int = 0) -> Tensor:
        return F.dropout(self._add_positions(x, self.pe, offset), self.dropout, self.training)

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, max_len={self.max_len}, dropout={self.dropout}"


class LearnedPositionalEmbedding(_PositionTable):
    """Adds a learned table ``weight`` (max_len, d_model), initialized N(0, 0.02^2) as GPT-2."""

    def __init__(self, max_len: int, d_model: int, batch_first: bool = False, dtype=None,
                 init_std: float = 0.02) -> None:
        super().__init__()
        _check_sizes("LearnedPositionalEmbedding", d_model, max_len)
        self.d_model, self.max_len, self.batch_first = int(d_model), int(max_len), batch_first
        self.init_std = float(init_std)
        dtype = DEFAULT_DTYPE if dtype is None else np.dtype(dtype)
        self.weight = Parameter(np.empty((self.max_len, self.d_model), dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.normal_(self.weight, 0.0, self.init_std)

    def forward(self, x: Tensor, offset: int = 0) -> Tensor:
        return self._add_positions(x, self.weight, offset)

    def extra_repr(self) -> str:
        return f"max_len={self.max_len}, d_model={self.d_model}"
