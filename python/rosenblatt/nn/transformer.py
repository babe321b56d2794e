"""Transformer layers with PyTorch's arguments and parameter names.

TransformerEncoderLayer = self-attention + feed-forward; TransformerDecoderLayer
adds cross-attention on the encoder's output (``memory``). Each sublayer f is
wrapped in a residual connection and a LayerNorm, after it (post-norm, the
original Transformer, ``norm_first=False``) or before it (pre-norm)::

    post-norm:  x = norm(x + dropout(f(x)))
    pre-norm:   x = x + dropout(f(norm(x)))
    feed-forward f(x) = linear2(dropout(activation(linear1(x))))

Parameter names equal torch's (``self_attn.in_proj_weight``, ``linear1.weight``,
``norm1.bias``, ``layers.0....``), so a torch state_dict loads with
``strict=True`` and, in eval mode, the outputs equal torch's.
"""

from __future__ import annotations

import copy

import numpy as np

from rosenblatt import functional as F
from rosenblatt.functional.dropout import check_probability
from rosenblatt.nn import init
from rosenblatt.nn.attention import MultiheadAttention
from rosenblatt.nn.containers import ModuleList
from rosenblatt.nn.dropout import Dropout
from rosenblatt.nn.linear import Linear
from rosenblatt.nn.module import Module
from rosenblatt.nn.normalization import LayerNorm
from rosenblatt.tensor import DEFAULT_DTYPE, Tensor


def generate_square_subsequent_mask(sz: int, dtype=None) -> Tensor:
    """(sz, sz) float mask: 0 on and below the diagonal, -inf above (position i sees j <= i)."""
    dtype = DEFAULT_DTYPE if dtype is None else np.dtype(dtype)
    return Tensor(np.triu(np.full((sz, sz), -np.inf, dtype), k=1))


def _is_causal_mask(mask, size: int) -> bool:
    """Whether ``mask`` is the (size, size) causal mask, as a float or boolean (torch) mask."""
    array = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if array.shape != (size, size):
        return False
    above = np.triu(np.ones((size, size), bool), k=1)
    if array.dtype == np.bool_:
        return bool((array == above).all())
    return bool(np.isneginf(array[above]).all() and (array[~above] == 0).all())


def _detect_is_causal(mask, is_causal, size: int) -> bool:
    """torch's rule: an explicit is_causal wins; else a mask equal to the causal one is causal."""
    if is_causal is not None:
        return bool(is_causal)
    return mask is not None and _is_causal_mask(mask, size)


def _activation(activation):
    if callable(activation) and not isinstance(activation, str):
        return activation
    if activation in ("relu", "gelu"):
        return activation
    raise ValueError(f"activation should be relu/gelu (or a callable), not {activation!r}")


def _check_common(name: str, d_model: int, nhead: int, dim_feedforward: int, dropout) -> float:
    for arg, value in (("d_model", d_model), ("nhead", nhead),
                       ("dim_feedforward", dim_feedforward)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name}: {arg} must be a positive int, got {value!r}")
    return check_probability(dropout)


class _TransformerLayer(Module):
    """What the encoder and decoder layers share: self-attention, the feed-forward block,
    their norms and dropouts; the decoder layer adds cross-attention (``multihead_attn``,
    ``norm3``, ``dropout3``). Submodules are registered in torch's order."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int, dropout: float,
                 activation, layer_norm_eps: float, batch_first: bool, norm_first: bool,
                 bias: bool, device, dtype, cross_attention: bool) -> None:
        super().__init__()
        dropout = _check_common(type(self).__name__, d_model, nhead, dim_feedforward, dropout)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, dtype=dtype)
        if cross_attention:
            self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                     batch_first=batch_first, dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        norms = 3 if cross_attention else 2
        for i in range(1, norms + 1):
            setattr(self, f"norm{i}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias,
                                                dtype=dtype))
        for i in range(1, norms + 1):
            setattr(self, f"dropout{i}", Dropout(dropout))
        self.activation = _activation(activation)
        self.batch_first = batch_first
        self._ff_dropout = f"dropout{norms}"
        if device is not None:
            self.to(device)

    def _sa_block(self, x: Tensor, attn_mask, key_padding_mask, is_causal: bool) -> Tensor:
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        """dropout(linear2(dropout(activation(linear1(x))))), relu and gelu fused into the GEMM."""
        if isinstance(self.activation, str):
            hidden = F.linear(x, self.linear1.weight, self.linear1.bias,
                              activation=self.activation)
        else:
            hidden = self.activation(self.linear1(x))
        return getattr(self, self._ff_dropout)(self.linear2(self.dropout(hidden)))


class TransformerEncoderLayer(_TransformerLayer):
    """Self-attention and feed-forward, each with a residual connection and a LayerNorm."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation="relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 device=None, dtype=None) -> None:
        super().__init__(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                         batch_first, norm_first, bias, device, dtype, cross_attention=False)

    def forward(self, src: Tensor, src_mask=None, src_key_padding_mask=None,
                is_causal: bool = False) -> Tensor:
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x


class TransformerDecoderLayer(_TransformerLayer):
    """Self-attention, cross-attention on ``memory`` and feed-forward, each with a residual
    connection and a LayerNorm."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation="relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 device=None, dtype=None) -> None:
        super().__init__(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                         batch_first, norm_first, bias, device, dtype, cross_attention=True)

    def _mha_block(self, x: Tensor, memory: Tensor, attn_mask, key_padding_mask,
                   is_causal: bool) -> Tensor:
        x = self.multihead_attn(x, memory, memory, attn_mask=attn_mask,
                                key_padding_mask=key_padding_mask, need_weights=False,
                                is_causal=is_causal)[0]
        return self.dropout2(x)

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask=None, memory_mask=None,
                tgt_key_padding_mask=None, memory_key_padding_mask=None,
                tgt_is_causal: bool = False, memory_is_causal: bool = False) -> Tensor:
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask,
                                    memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask,
                                               memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x


def _clones(layer: Module, num_layers: int, name: str) -> ModuleList:
    if isinstance(num_layers, bool) or not isinstance(num_layers, (int, np.integer)) \
            or num_layers < 0:
        raise ValueError(f"{name}: num_layers must be an int >= 0, got {num_layers!r}")
    return ModuleList([copy.deepcopy(layer) for _ in range(num_layers)])


def _sequence_length(x: Tensor, batch_first: bool) -> int:
    return x.shape[1] if (x.ndim == 3 and batch_first) else x.shape[0]


class TransformerEncoder(Module):
    """``num_layers`` copies of ``encoder_layer`` (parameters ``layers.i.*``), then ``norm``."""

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int,
                 norm: Module | None = None, enable_nested_tensor: bool = True,
                 mask_check: bool = True) -> None:
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers, "TransformerEncoder")
        self.num_layers = int(num_layers)
        self.norm = norm

    def forward(self, src: Tensor, mask=None, src_key_padding_mask=None,
                is_causal: bool | None = None) -> Tensor:
        batch_first = bool(self.layers) and self.layers[0].self_attn.batch_first
        causal = _detect_is_causal(mask, is_causal, _sequence_length(src, batch_first))
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=causal)
        return x if self.norm is None else self.norm(x)


class TransformerDecoder(Module):
    """``num_layers`` copies of ``decoder_layer`` (parameters ``layers.i.*``), then ``norm``."""

    def __init__(self, decoder_layer: TransformerDecoderLayer, num_layers: int,
                 norm: Module | None = None) -> None:
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers, "TransformerDecoder")
        self.num_layers = int(num_layers)
        self.norm = norm

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask=None, memory_mask=None,
                tgt_key_padding_mask=None, memory_key_padding_mask=None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False) -> Tensor:
        batch_first = bool(self.layers) and self.layers[0].self_attn.batch_first
        causal = _detect_is_causal(tgt_mask, tgt_is_causal, _sequence_length(tgt, batch_first))
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                      tgt_key_padding_mask=tgt_key_padding_mask,
                      memory_key_padding_mask=memory_key_padding_mask,
                      tgt_is_causal=causal, memory_is_causal=memory_is_causal)
        return x if self.norm is None else self.norm(x)


class Transformer(Module):
    """The encoder-decoder Transformer of Vaswani et al., as ``torch.nn.Transformer``.

    ``encoder`` / ``decoder`` hold the layer stacks and a final LayerNorm each;
    every parameter with more than one dimension is Xavier-uniform initialized.
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation="relu", custom_encoder: Module | None = None,
                 custom_decoder: Module | None = None, layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 device=None, dtype=None) -> None:
        super().__init__()
        layer_args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                      batch_first, norm_first, bias)

        def stack(stack_class, layer_class, num_layers):
            return stack_class(layer_class(*layer_args, dtype=dtype), num_layers,
                               LayerNorm(d_model, layer_norm_eps, bias=bias, dtype=dtype))

        self.encoder = custom_encoder if custom_encoder is not None else stack(
            TransformerEncoder, TransformerEncoderLayer, num_encoder_layers)
        self.decoder = custom_decoder if custom_decoder is not None else stack(
            TransformerDecoder, TransformerDecoderLayer, num_decoder_layers)
        self._reset_parameters()
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first
        if device is not None:
            self.to(device)

    def _reset_parameters(self) -> None:
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)

    generate_square_subsequent_mask = staticmethod(generate_square_subsequent_mask)

    def forward(self, src: Tensor, tgt: Tensor, src_mask=None, tgt_mask=None, memory_mask=None,
                src_key_padding_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, src_is_causal: bool | None = None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False) -> Tensor:
        batch_axis = 0 if self.batch_first else 1
        if src.ndim == 3 and tgt.ndim == 3 and src.shape[batch_axis] != tgt.shape[batch_axis]:
            raise ValueError(f"Transformer: the batch number of src {src.shape} and tgt "
                             f"{tgt.shape} must be equal")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise ValueError(f"Transformer: the feature number of src {src.shape} and tgt "
                             f"{tgt.shape} must be equal to d_model ({self.d_model})")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
