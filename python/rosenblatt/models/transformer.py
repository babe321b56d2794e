"""An encoder-decoder transformer for sequence-to-sequence tasks (date translation).

Source ids s (B, S) and target ids y (B, T), both padded with ``pad_idx``::

    memory = Encoder(sqrt(d) E_src[s] + PE)                (padding keys masked)
    logits = W_out Decoder(sqrt(d) E_tgt[y_<t] + PE, memory)   causal self-attention

built from ``rb.nn.Transformer`` (pre-norm layers). Training is teacher
forcing: the decoder reads ``<bos> y_1 .. y_n`` and predicts
``y_1 .. y_n <eos>`` (cross-entropy, padding ignored). Decoding is greedy or
beam search (:mod:`rosenblatt.text.beam_search`); the encoder runs once per
source and the decoder reruns on the growing prefix (outputs of ~10 tokens
make a decoder KV cache not worth its bookkeeping here).
"""

from __future__ import annotations

import math

import numpy as np

from rosenblatt import functional as F
from rosenblatt import nn
from rosenblatt.autograd import no_grad
from rosenblatt.tensor import Tensor

__all__ = ["Seq2SeqTransformer"]


def _ids(array, name: str) -> np.ndarray:
    ids = np.asarray(array.data if isinstance(array, Tensor) else array)
    if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"Seq2SeqTransformer: {name} must be a (batch, time) integer array, got "
                         f"{ids.dtype} {ids.shape}")
    return ids


class Seq2SeqTransformer(nn.Module):
    """Encoder-decoder transformer over source and target vocabularies.

    Parameters
    ----------
    src_vocab_size, tgt_vocab_size : int
    d_model, nhead, num_encoder_layers, num_decoder_layers, dim_feedforward, dropout
        As ``rb.nn.Transformer``.
    max_len : int
        The longest source or target sequence (the positional table's size).
    pad_idx : int
        The padding id of both vocabularies (its embeddings stay zero).
    """

    def __init__(self, src_vocab_size: int, tgt_vocab_size: int, d_model: int = 64,
                 nhead: int = 4, num_encoder_layers: int = 2, num_decoder_layers: int = 2,
                 dim_feedforward: int = 256, dropout: float = 0.1, max_len: int = 64,
                 pad_idx: int = 0) -> None:
        super().__init__()
        self.pad_idx, self.d_model = int(pad_idx), int(d_model)
        self.src_embedding = nn.Embedding(src_vocab_size, d_model, padding_idx=pad_idx)
        self.tgt_embedding = nn.Embedding(tgt_vocab_size, d_model, padding_idx=pad_idx)
        self.positional = nn.PositionalEncoding(d_model, dropout, max_len, batch_first=True)
        self.transformer = nn.Transformer(d_model, nhead, num_encoder_layers, num_decoder_layers,
                                          dim_feedforward, dropout, batch_first=True,
                                          norm_first=True)
        self.generator = nn.Linear(d_model, tgt_vocab_size)
        for embedding in (self.src_embedding, self.tgt_embedding):
            nn.init.normal_(embedding.weight, 0.0, d_model ** -0.5)
            embedding.weight.data[pad_idx] = 0

    def _embed(self, embedding: nn.Embedding, ids: np.ndarray) -> Tensor:
        return self.positional(embedding(ids) * math.sqrt(self.d_model))

    def encode(self, src) -> tuple[Tensor, np.ndarray]:
        """(memory (B, S, d_model), source padding mask (B, S), True at padding)."""
        src = _ids(src, "src")
        padding = src == self.pad_idx
        memory = self.transformer.encoder(self._embed(self.src_embedding, src),
                                          src_key_padding_mask=padding)
        return memory, padding

    def decode(self, tgt_in, memory: Tensor, src_padding: np.ndarray) -> Tensor:
        """Next-token logits (B, T, tgt_vocab) for the decoder inputs ``tgt_in`` (B, T)."""
        tgt_in = _ids(tgt_in, "tgt_in")
        t = tgt_in.shape[1]
        causal = nn.Transformer.generate_square_subsequent_mask(t, dtype=memory.dtype)
        h = self.transformer.decoder(self._embed(self.tgt_embedding, tgt_in), memory,
                                     tgt_mask=causal, tgt_is_causal=True,
                                     memory_key_padding_mask=src_padding)
        return self.generator(h)

    def forward(self, src, tgt_in) -> Tensor:
        memory, padding = self.encode(src)
        return self.decode(tgt_in, memory, padding)

    def loss(self, src, tgt) -> Tensor:
        """Teacher-forced cross-entropy; ``tgt`` (B, T) is ``<bos> y ... <eos> <pad> ...``."""
        tgt = _ids(tgt, "tgt")
        logits = self(src, tgt[:, :-1])
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt[:, 1:].reshape(-1),
                               ignore_index=self.pad_idx)

    def _step(self, tokens: np.ndarray, state: dict):
        """One decoding step for rb.text's searches: append ``tokens``, return the next logits."""
        prefix = np.concatenate([state["prefix"], tokens[:, None]], axis=1)
        logits = self.decode(prefix, state["memory"], state["padding"]).data[:, -1]
        return logits, {**state, "prefix": prefix}

    @no_grad()
    def translate(self, src, bos_idx: int, eos_idx: int, max_len: int,
                  beam_width: int = 1, alpha: float = 0.7) -> list[np.ndarray]:
        """The decoded target ids of each source (no <bos>, no <eos>).

        ``beam_width=1`` is greedy decoding (:func:`rosenblatt.text.greedy_search`),
        wider is beam search (:func:`rosenblatt.text.beam_search`) with length
        normalization ``log p / T^alpha``. The encoder runs once; the decoder
        reruns on each hypothesis' prefix.
        """
        from rosenblatt.text import beam_search, greedy_search

        was_training = self.training
        self.eval()
        memory, padding = self.encode(src)
        state = {"memory": memory, "padding": padding,
                 "prefix": np.empty((memory.shape[0], 0), np.int64)}
        options = dict(batch_size=memory.shape[0], bos_id=bos_idx, eos_id=eos_idx,
                       max_length=max_len, alpha=alpha)
        if beam_width == 1:
            found = greedy_search(self._step, state, **options)
        else:
            found = beam_search(self._step, state, beam_width=beam_width, **options)
        self.train(was_training)
        return found.tokens


# -- the date-translation task ------------------------------------------------------------

class DateTranslationTask:
    """Date translation data as id arrays: character vocabularies built on the training pairs.

    ``train`` and ``test`` are lists of (human date, ISO date) pairs from
    :func:`rosenblatt.data.dates.date_translation_split` (distinct dates);
    ``src`` / ``tgt`` are the padded source ids and ``<bos> ISO <eos>`` target ids.
    """

    def __init__(self, n_train: int = 20000, n_test: int = 1000, seed: int = 0) -> None:
        from rosenblatt.data.dates import date_translation_split
        from rosenblatt.text import CharVocab

        self.train, self.test = date_translation_split(n_train, n_test, seed=seed)
        self.src_vocab = CharVocab.build(s for s, _ in self.train)
        self.tgt_vocab = CharVocab.build((t for _, t in self.train), bos_eos=True)
        if self.src_vocab.pad_id != self.tgt_vocab.pad_id:
            raise ValueError("the source and target vocabularies must share the <pad> id")
        self.src, _ = self.src_vocab.batch([s for s, _ in self.train])
        self.tgt, _ = self.tgt_vocab.batch([t for _, t in self.train], add_bos=True, add_eos=True)
        self.max_target = self.tgt.shape[1]  # <bos> + 10 characters + <eos>

    def model(self, **options) -> Seq2SeqTransformer:
        longest = max(self.src.shape[1], max(len(s) for s, _ in self.test), self.max_target)
        return Seq2SeqTransformer(len(self.src_vocab), len(self.tgt_vocab),
                                  pad_idx=self.src_vocab.pad_id, max_len=longest + 1, **options)

    def translate(self, model: Seq2SeqTransformer, sources, beam_width: int = 1,
                  batch_size: int = 500) -> list[str]:
        """The model's ISO strings for human-written ``sources``."""
        out = []
        for start in range(0, len(sources), batch_size):
            ids, _ = self.src_vocab.batch(list(sources[start:start + batch_size]))
            for tokens in model.translate(ids, self.tgt_vocab.bos_id, self.tgt_vocab.eos_id,
                                          self.max_target, beam_width=beam_width):
                out.append(self.tgt_vocab.decode(tokens))
        return out

    def exact_match(self, model: Seq2SeqTransformer, beam_width: int = 1) -> float:
        """The fraction of held-out dates translated exactly."""
        predicted = self.translate(model, [s for s, _ in self.test], beam_width)
        return float(np.mean([p == t for p, (_, t) in zip(predicted, self.test)]))


def train_seq2seq(model: Seq2SeqTransformer, src: np.ndarray, tgt: np.ndarray, *, steps: int,
                  batch_size: int = 64, lr: float = 3e-3, warmup: int = 50,
                  progress: bool = False) -> list[float]:
    """Teacher-forced training on random minibatches of (src, tgt) rows; the loss per step."""
    from rosenblatt.models.step_training import train_steps

    return train_steps(model, lambda rows: model.loss(src[rows], tgt[rows]), pool_size=len(src),
                       steps=steps, batch_size=batch_size, lr=lr, warmup=warmup,
                       progress=progress)
