"""An encoder-only transformer trained with masked language modeling (BERT's objective).

Masking (Devlin et al., 2019): each non-special token is selected with
probability 15%; a selected token is replaced by ``<mask>`` with probability
80%, by a uniformly random regular token with probability 10%, and left
unchanged otherwise. The model sees the corrupted sequence and predicts the
original token at the selected positions only (cross-entropy; the other
positions are ignored)::

    h = TransformerEncoder(E[x~] + P)       bidirectional self-attention
    logits = W_out LN(h)                    (B, T, vocab)

The baseline it must beat is the unigram model, which predicts every masked
token from the training frequencies alone: loss = cross-entropy of the
unigram distribution on the masked tokens, accuracy = the most frequent
token's share.
"""

from __future__ import annotations

import numpy as np

from rosenblatt import functional as F
from rosenblatt import nn
from rosenblatt.random import generator
from rosenblatt.tensor import Tensor

__all__ = ["IGNORE_INDEX", "MaskedLanguageModel", "mask_tokens"]

IGNORE_INDEX = -100
MASK = "<mask>"


def mask_tokens(ids: np.ndarray, *, mask_id: int, special_ids, vocab_size: int,
                mask_prob: float = 0.15, rng: np.random.Generator | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """(corrupted inputs, labels) of ``ids`` for masked language modeling.

    ``labels`` holds the original id at the selected positions and
    ``IGNORE_INDEX`` elsewhere. Tokens in ``special_ids`` (padding ...) are
    never selected, and random replacements are drawn among the regular ids.
    Draws come from ``rng`` or rosenblatt's generator.
    """
    ids = np.asarray(ids)
    if not np.issubdtype(ids.dtype, np.integer):
        raise TypeError(f"mask_tokens: ids must be integers, got {ids.dtype}")
    if not 0.0 < mask_prob < 1.0:
        raise ValueError(f"mask_tokens: mask_prob must be in (0, 1), got {mask_prob}")
    rng = generator() if rng is None else rng
    special = np.zeros(vocab_size, bool)
    special[list(special_ids)] = True
    special[mask_id] = True
    regular = np.flatnonzero(~special)
    selected = (rng.random(ids.shape) < mask_prob) & ~special[ids]
    action = rng.random(ids.shape)  # < 0.8: <mask>; 0.8 .. 0.9: random token; else unchanged
    inputs = ids.copy()
    inputs[selected & (action < 0.8)] = mask_id
    randomize = selected & (action >= 0.8) & (action < 0.9)
    inputs[randomize] = regular[rng.integers(0, len(regular), int(randomize.sum()))]
    labels = np.where(selected, ids, IGNORE_INDEX)
    return inputs, labels


class MaskedLanguageModel(nn.Module):
    """Token and learned position embeddings, a pre-norm TransformerEncoder and a vocabulary head."""

    def __init__(self, vocab_size: int, max_len: int = 128, d_model: int = 64, nhead: int = 4,
                 num_layers: int = 2, dim_feedforward: int = 256, dropout: float = 0.0,
                 pad_idx: int = 0) -> None:
        super().__init__()
        self.vocab_size, self.pad_idx = int(vocab_size), int(pad_idx)
        self.token_embedding = nn.Embedding(vocab_size, d_model, padding_idx=pad_idx)
        nn.init.normal_(self.token_embedding.weight, 0.0, 0.02)
        self.token_embedding.weight.data[pad_idx] = 0
        self.position_embedding = nn.LearnedPositionalEmbedding(max_len, d_model,
                                                                batch_first=True)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers, nn.LayerNorm(d_model))
        self.head = nn.Linear(d_model, vocab_size)

    def forward(self, input_ids) -> Tensor:
        """Logits (B, T, vocab) for every position of ``input_ids`` (B, T); padding is not attended."""
        ids = np.asarray(input_ids.data if isinstance(input_ids, Tensor) else input_ids)
        if ids.ndim != 2:
            raise ValueError(f"MaskedLanguageModel: input_ids must be (batch, time), got shape "
                             f"{ids.shape}")
        h = self.position_embedding(self.token_embedding(ids))
        padding = ids == self.pad_idx
        h = self.encoder(h, src_key_padding_mask=padding if padding.any() else None)
        return self.head(h)

    def loss(self, inputs, labels) -> Tensor:
        """Mean cross-entropy over the positions whose label is not ``IGNORE_INDEX``."""
        logits = self(inputs)
        return F.cross_entropy(logits.reshape(-1, self.vocab_size), np.asarray(labels).reshape(-1),
                               ignore_index=IGNORE_INDEX)


class MaskedLMTask:
    """Masked language modeling on windows of the bundled corpus (characters plus ``<mask>``)."""

    def __init__(self, block_size: int = 64) -> None:
        from rosenblatt.models.gpt import CharLMTask

        self.corpus = CharLMTask(extra_tokens=(MASK,))
        self.vocab, self.block_size = self.corpus.vocab, int(block_size)
        self.mask_id = self.vocab.stoi[MASK]

    def masked(self, data: np.ndarray, starts: np.ndarray, rng=None):
        """(inputs, labels) of the windows of ``data`` starting at ``starts``, masked."""
        windows = data[starts[:, None] + np.arange(self.block_size)]
        return mask_tokens(windows, mask_id=self.mask_id, special_ids=self.vocab.special_ids,
                           vocab_size=len(self.vocab), rng=rng)

    def model(self, **options) -> MaskedLanguageModel:
        return MaskedLanguageModel(len(self.vocab), max_len=self.block_size,
                                   pad_idx=self.vocab.pad_id, **options)

    def train_model(self, model: MaskedLanguageModel, *, steps: int, batch_size: int = 32,
                    lr: float = 3e-3, progress: bool = False) -> list[float]:
        from rosenblatt.models.step_training import train_steps

        train = self.corpus.train
        return train_steps(model, lambda rows: model.loss(*self.masked(train, rows)),
                           pool_size=len(train) - self.block_size, steps=steps,
                           batch_size=batch_size, lr=lr, weight_decay=0.01, progress=progress)

    def evaluate(self, model: MaskedLanguageModel, windows: int = 200, seed: int = 0) -> dict:
        """Loss and accuracy on the masked validation tokens, with the unigram baseline's.

        The same masked windows (drawn with ``seed``) are scored by the model
        and by the unigram model of the training characters (add-one counts),
        whose best guess is always the most frequent character.
        """
        from rosenblatt.autograd import no_grad

        starts = np.arange(windows) * self.block_size
        inputs, labels = self.masked(self.corpus.validation, starts, np.random.default_rng(seed))
        chosen = labels != IGNORE_INDEX
        with no_grad():
            model.eval()
            logits = model(inputs).data[chosen]
        shifted = logits - logits.max(1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
        targets = labels[chosen]
        counts = np.bincount(self.corpus.train, minlength=len(self.vocab)) + 1.0
        unigram = np.log(counts / counts.sum())
        return {"loss": float(-log_probs[np.arange(len(targets)), targets].mean()),
                "accuracy": float((logits.argmax(1) == targets).mean()),
                "unigram_loss": float(-unigram[targets].mean()),
                "unigram_accuracy": float((targets == counts.argmax()).mean()),
                "masked_tokens": int(chosen.sum())}
