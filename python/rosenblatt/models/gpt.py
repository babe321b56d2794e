"""GPT: a decoder-only (causal) transformer language model with a KV cache for generation.

For token ids x_1 .. x_T (B, T) the model computes, as GPT-2 (pre-norm)::

    h_0 = E[x_t] + P[t]                                   token + learned position
    h   = h + Attn(LN_1(h)),  h = h + MLP(LN_2(h))        per block
    logits = LN_f(h) W_head^T                             (B, T, vocab)

with causal multi-head self-attention (position t attends to 1 .. t) and
MLP(h) = W_2 ReLU(W_1 h + b_1) + b_2. Training minimizes the cross-entropy of x_{t+1}
given x_1 .. x_t.

Generation appends one token at a time. Recomputing every position for each
new token costs O(T) projections per step; the KV cache keeps each block's
keys and values of the positions already seen, so a step runs the new token
alone: its query attends to the cached keys (no mask needed: every cached
position precedes it). Both paths give the same logits up to rounding; with
a fixed seed they give the same tokens.
"""

from __future__ import annotations

import numpy as np

from rosenblatt import functional as F
from rosenblatt import nn
from rosenblatt.autograd import no_grad
from rosenblatt.tensor import Tensor

__all__ = ["GPT", "KVCache"]


class KVCache:
    """Keys and values (B, H, T, head_dim) of the positions seen so far, one pair per block."""

    def __init__(self, num_layers: int) -> None:
        self.keys: list[np.ndarray | None] = [None] * num_layers
        self.values: list[np.ndarray | None] = [None] * num_layers

    def __len__(self) -> int:
        """The number of positions cached (by the last block: the count before a forward)."""
        return self.length(len(self.keys) - 1)

    def length(self, layer: int) -> int:
        """The number of positions cached for block ``layer``."""
        return 0 if self.keys[layer] is None else self.keys[layer].shape[2]

    def update(self, layer: int, key: np.ndarray, value: np.ndarray):
        """Append the new positions' keys and values; return all of them for ``layer``."""
        if self.keys[layer] is not None:
            key = np.concatenate([self.keys[layer], key], axis=2)
            value = np.concatenate([self.values[layer], value], axis=2)
        self.keys[layer], self.values[layer] = key, value
        return key, value


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention with one fused (d_model -> 3 d_model) projection."""

    def __init__(self, d_model: int, nhead: int, dropout: float) -> None:
        super().__init__()
        if d_model % nhead:
            raise ValueError(f"GPT: d_model ({d_model}) must be divisible by nhead ({nhead})")
        self.nhead = nhead
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.dropout = dropout

    def forward(self, x: Tensor, cache: KVCache | None = None, layer: int = 0) -> Tensor:
        b, t, d = x.shape
        heads = self.qkv(x).reshape(b, t, 3, self.nhead, d // self.nhead).permute(2, 0, 3, 1, 4)
        q, k, v = heads[0], heads[1], heads[2]                   # (B, H, T, head_dim)
        mask, causal = None, t > 1
        if cache is not None:
            past = cache.length(layer)
            keys, values = cache.update(layer, k.data, v.data)
            k, v = Tensor(keys), Tensor(values)
            if past and t > 1:  # new query i sits at position past + i: bottom-right aligned
                mask = np.tri(t, past + t, past, dtype=bool)
                causal = False
        p = self.dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p,
                                           is_causal=causal)
        return self.proj(y.transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    """Pre-norm transformer block: h + Attn(LN(h)), then h + MLP(LN(h)).

    The MLP's ReLU is fused into its first GEMM (GPT-2's GELU costs an extra
    pass over the hidden activations forward and backward, and trains these
    small models no better).
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int, dropout: float) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(d_model)
        self.attn = CausalSelfAttention(d_model, nhead, dropout)
        self.ln_2 = nn.LayerNorm(d_model)
        self.fc = nn.Linear(d_model, dim_feedforward)
        self.fc_out = nn.Linear(dim_feedforward, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor, cache: KVCache | None = None, layer: int = 0) -> Tensor:
        x = x + self.dropout(self.attn(self.ln_1(x), cache, layer))
        hidden = F.linear(self.ln_2(x), self.fc.weight, self.fc.bias, activation="relu")
        return x + self.dropout(self.fc_out(hidden))


class GPT(nn.Module):
    """Decoder-only transformer language model over ``vocab_size`` tokens.

    Parameters
    ----------
    vocab_size : int
    block_size : int
        The longest context (the size of the learned position table).
    d_model, nhead, num_layers, dim_feedforward (default 4 d_model), dropout
    """

    def __init__(self, vocab_size: int, block_size: int = 128, d_model: int = 128,
                 nhead: int = 4, num_layers: int = 2, dim_feedforward: int | None = None,
                 dropout: float = 0.0) -> None:
        super().__init__()
        for name, value in (("vocab_size", vocab_size), ("block_size", block_size),
                            ("d_model", d_model), ("nhead", nhead), ("num_layers", num_layers)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"GPT: {name} must be a positive int, got {value!r}")
        self.vocab_size, self.block_size = int(vocab_size), int(block_size)
        self.token_embedding = nn.Embedding(vocab_size, d_model)
        self.position_embedding = nn.LearnedPositionalEmbedding(block_size, d_model,
                                                                batch_first=True)
        self.blocks = nn.ModuleList([Block(d_model, nhead, dim_feedforward or 4 * d_model,
                                           dropout) for _ in range(num_layers)])
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size, bias=False)
        nn.init.normal_(self.token_embedding.weight, 0.0, 0.02)
        for name, p in self.named_parameters():  # GPT-2: N(0, 0.02), residual outputs scaled
            if name.endswith("weight") and p.ndim == 2 and "position" not in name:
                nn.init.normal_(p, 0.0, 0.02 / np.sqrt(2 * num_layers)
                                if name.endswith(("proj.weight", "fc_out.weight")) else 0.02)

    def new_cache(self) -> KVCache:
        return KVCache(len(self.blocks))

    def embed(self, input_ids, offset: int = 0) -> Tensor:
        """Token plus position embeddings (B, T, d_model) of ids (B, T) at positions offset .. ."""
        ids = np.asarray(input_ids.data if isinstance(input_ids, Tensor) else input_ids)
        if ids.ndim != 2:
            raise ValueError(f"GPT: input_ids must be (batch, time), got shape {ids.shape}")
        return self.position_embedding(self.token_embedding(ids), offset)

    def forward_embeddings(self, h: Tensor, cache: KVCache | None = None) -> Tensor:
        """Logits (B, T, vocab) from input embeddings (B, T, d_model)."""
        for layer, block in enumerate(self.blocks):
            h = block(h, cache, layer)
        return self.head(self.ln_f(h))

    def forward(self, input_ids, cache: KVCache | None = None) -> Tensor:
        """Next-token logits (B, T, vocab); with ``cache`` the ids continue the cached ones."""
        offset = 0 if cache is None else len(cache)
        return self.forward_embeddings(self.embed(input_ids, offset), cache)

    def loss(self, input_ids, targets) -> Tensor:
        """Mean cross-entropy of ``targets`` (B, T) given ``input_ids`` (B, T) (nats per token)."""
        logits = self(input_ids)
        return F.cross_entropy(logits.reshape(-1, self.vocab_size),
                               np.asarray(targets).reshape(-1))

    @no_grad()
    def generate(self, input_ids, max_new_tokens: int, *, strategy: str = "greedy",
                 temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
                 use_cache: bool = True) -> np.ndarray:
        """Continue ``input_ids`` (B, T0) by ``max_new_tokens`` tokens; returns (B, T0 + N).

        ``strategy`` is 'greedy' or 'sample' (with ``temperature``, ``top_k``,
        ``top_p``: :func:`rosenblatt.text.sample`); samples are drawn
        from the library generator, so ``rb.manual_seed`` repeats them. With
        the cache (the default) the context may not exceed ``block_size``;
        without it the model sees the last ``block_size`` tokens each step.
        """
        from rosenblatt.text import sample

        ids = np.asarray(input_ids.data if isinstance(input_ids, Tensor) else input_ids)
        if ids.ndim != 2 or ids.shape[1] == 0:
            raise ValueError(f"generate: input_ids must be (batch, time) with time >= 1, got "
                             f"shape {ids.shape}")
        if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, (int, np.integer)) \
                or max_new_tokens < 0:
            raise ValueError(f"generate: max_new_tokens must be an int >= 0, got "
                             f"{max_new_tokens!r}")
        if use_cache and ids.shape[1] + max_new_tokens > self.block_size + 1:
            raise ValueError(f"generate: with use_cache the prompt ({ids.shape[1]}) plus "
                             f"max_new_tokens ({max_new_tokens}) may not exceed block_size + 1 "
                             f"= {self.block_size + 1}")
        if strategy not in ("greedy", "sample"):
            raise ValueError(f"generate: strategy must be 'greedy' or 'sample', got {strategy!r}")
        was_training = self.training
        self.eval()
        cache = self.new_cache() if use_cache else None
        out, step_input = ids.astype(np.int64), ids.astype(np.int64)
        for _ in range(max_new_tokens):
            if cache is None:
                logits = self(out[:, -self.block_size:]).data[:, -1]
            else:
                logits = self(step_input, cache).data[:, -1]
            step_input = sample(logits, temperature=temperature, top_k=top_k, top_p=top_p,
                                greedy=strategy == "greedy").reshape(-1, 1)
            out = np.concatenate([out, step_input], axis=1)
        self.train(was_training)
        return out


# -- the character language-modeling task ------------------------------------------------

class CharLMTask:
    """The bundled text corpus as character ids, split into training and validation text.

    The vocabulary is built on the training text (a validation character it
    lacks becomes ``<unk>``), followed by ``extra_tokens`` (``<mask>`` for
    masked language modeling).
    """

    def __init__(self, extra_tokens: tuple[str, ...] = ()) -> None:
        from rosenblatt.data.corpus import load_text_corpus
        from rosenblatt.text import CharVocab

        train, validation = load_text_corpus("train"), load_text_corpus("validation")
        self.train_text, self.validation_text = train, validation
        self.vocab = CharVocab(CharVocab.build([train]).itos + list(extra_tokens))
        self.train = np.array(self.vocab.encode(train), np.int64)
        self.validation = np.array(self.vocab.encode(validation), np.int64)

    def windows(self, data: np.ndarray, starts: np.ndarray, length: int):
        """(inputs, targets) (N, length): ``data[s : s + length]`` and the next characters."""
        index = starts[:, None] + np.arange(length + 1)
        chunk = data[index]
        return chunk[:, :-1], chunk[:, 1:]

    def train_model(self, model: GPT, *, steps: int, batch_size: int = 32, lr: float = 3e-3,
                    progress: bool = False) -> list[float]:
        """Next-character training on random windows of ``model.block_size``; the loss per step."""
        from rosenblatt.models.step_training import train_steps

        length = model.block_size
        return train_steps(model, lambda rows: model.loss(*self.windows(self.train, rows, length)),
                           pool_size=len(self.train) - length, steps=steps,
                           batch_size=batch_size, lr=lr, weight_decay=0.01, progress=progress)

    @no_grad()
    def perplexity(self, model: GPT, max_windows: int | None = None) -> float:
        """exp(mean cross-entropy) of the validation characters, in non-overlapping windows."""
        length = model.block_size
        count = (len(self.validation) - 1) // length
        if max_windows is not None:
            count = min(count, max_windows)
        model.eval()
        total, tokens = 0.0, 0
        for start in range(0, count, 64):
            starts = np.arange(start, min(start + 64, count)) * length
            inputs, targets = self.windows(self.validation, starts, length)
            total += model.loss(inputs, targets).item() * targets.size
            tokens += targets.size
        return float(np.exp(total / tokens))

    def unigram_perplexity(self, block_size: int, max_windows: int | None = None) -> float:
        """The perplexity of the training character frequencies (add-one) on the targets that
        :meth:`perplexity` scores for a model of ``block_size``."""
        from rosenblatt.models.charlm import unigram_perplexity

        count = (len(self.validation) - 1) // block_size
        if max_windows is not None:
            count = min(count, max_windows)
        return unigram_perplexity(self.train_text, self.validation_text[1:count * block_size + 1],
                                  self.vocab)
