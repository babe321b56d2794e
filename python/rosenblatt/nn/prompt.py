"""Soft prompt tuning (Lester, Al-Rfou and Constant, 2021).

A frozen model reads a sequence of input embeddings E (B, T, D). Prompt
tuning learns P extra "virtual token" embeddings Z (P, D) and feeds the
model [Z; E] (B, P + T, D) instead; only Z trains, P * D parameters, however
large the model. :class:`SoftPrompt` holds Z and prepends it;
:class:`PromptTuned` wraps a model that exposes its embedding step, freezes
it and inserts the prompt between the two.

A wrapped model follows this protocol:

- ``model.embed(input_ids) -> Tensor (B, T, D)``: the token (and position)
  embeddings of the input,
- ``model.forward_embeddings(embeds, **kwargs)``: the rest of the forward
  pass from those embeddings,

so ``model(ids)`` equals ``model.forward_embeddings(model.embed(ids))``.
"""

from __future__ import annotations

import numpy as np

from rosenblatt import functional as F
from rosenblatt.autograd import no_grad
from rosenblatt.nn import init
from rosenblatt.nn.module import Module
from rosenblatt.nn.parameter import Parameter
from rosenblatt.random import generator
from rosenblatt.tensor import DEFAULT_DTYPE, Tensor

__all__ = ["PromptTuned", "SoftPrompt"]


class SoftPrompt(Module):
    """``num_virtual_tokens`` trainable embeddings of size ``embed_dim``, prepended to a sequence.

    ``init_from`` (optional, (V, embed_dim)): initialize each prompt vector as
    a copy of a randomly chosen row, e.g. of the frozen model's token
    embedding table (the paper's "sampled vocabulary" init, which trains
    better than random vectors); otherwise N(0, 0.02^2).
    """

    def __init__(self, num_virtual_tokens: int, embed_dim: int, init_from=None,
                 dtype=None) -> None:
        super().__init__()
        for name, value in (("num_virtual_tokens", num_virtual_tokens), ("embed_dim", embed_dim)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"SoftPrompt: {name} must be an int >= 1, got {value!r}")
        self.num_virtual_tokens, self.embed_dim = int(num_virtual_tokens), int(embed_dim)
        dtype = DEFAULT_DTYPE if dtype is None else np.dtype(dtype)
        self.weight = Parameter(np.empty((self.num_virtual_tokens, self.embed_dim), dtype))
        if init_from is None:
            init.normal_(self.weight, 0.0, 0.02)
        else:
            table = np.asarray(init_from.data if isinstance(init_from, Tensor) else init_from)
            if table.ndim != 2 or table.shape[1] != self.embed_dim or table.shape[0] == 0:
                raise ValueError(f"SoftPrompt: init_from must be (V, {self.embed_dim}) with "
                                 f"V >= 1, got shape {table.shape}")
            rows = generator().integers(0, table.shape[0], self.num_virtual_tokens)
            with no_grad():
                self.weight.data[...] = table[rows]

    def forward(self, embeds: Tensor) -> Tensor:
        """[prompt; embeds]: (B, T, D) -> (B, P + T, D)."""
        if embeds.ndim != 3 or embeds.shape[2] != self.embed_dim:
            raise ValueError(f"SoftPrompt: embeds must be (B, T, {self.embed_dim}), got "
                             f"{embeds.shape}")
        prompt = self.weight.unsqueeze(0).expand(embeds.shape[0], *self.weight.shape)
        return F.cat([prompt, embeds], dim=1)

    def extend_padding_mask(self, mask):
        """A (B, T) key-padding mask (True = padding) widened to (B, P + T): prompts are real."""
        mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
        if mask.ndim != 2:
            raise ValueError(f"SoftPrompt: mask must be (B, T), got shape {mask.shape}")
        front = np.zeros((mask.shape[0], self.num_virtual_tokens), mask.dtype)
        return np.concatenate([front, mask], axis=1)

    def extra_repr(self) -> str:
        return f"num_virtual_tokens={self.num_virtual_tokens}, embed_dim={self.embed_dim}"


class PromptTuned(Module):
    """A frozen ``model`` (see the module doc's protocol) run behind a trainable :class:`SoftPrompt`.

    ``forward(input_ids, **kwargs)`` is
    ``model.forward_embeddings(prompt(model.embed(input_ids)), **kwargs)``;
    the outputs therefore have P more positions than the input. Only
    ``prompt.weight`` requires grad.
    """

    def __init__(self, model: Module, num_virtual_tokens: int, init_from=None) -> None:
        super().__init__()
        for method in ("embed", "forward_embeddings"):
            if not callable(getattr(model, method, None)):
                raise TypeError(f"PromptTuned: {type(model).__name__} has no {method}() method "
                                "(see rosenblatt.nn.prompt's protocol)")
        self.model = model.requires_grad_(False)
        probe = model.embed(np.zeros((1, 1), np.int64))
        self.prompt = SoftPrompt(num_virtual_tokens, probe.shape[-1], init_from, probe.dtype)

    def forward(self, input_ids, **kwargs):
        return self.model.forward_embeddings(self.prompt(self.model.embed(input_ids)), **kwargs)
