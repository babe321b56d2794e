"""A character-level LSTM language model: training by truncated BPTT, perplexity and sampling.

The model reads characters x_1..x_T and predicts each next one:
embedding -> LSTM (``num_layers``) -> linear layer to logits over the
vocabulary, p(x_{t+1} | x_1..x_t) = softmax(logits_t).

Training (:func:`fit_charlm`) cuts the text into ``batch_size`` contiguous
streams and walks them in windows of ``sequence_length`` characters,
carrying the LSTM state from one window to the next but not its gradient
(truncated backpropagation through time).

Perplexity = exp(mean negative log-likelihood per predicted character); the
baseline :func:`unigram_perplexity` predicts every character by its training
frequency (add-one smoothed). :meth:`CharLM.generate` samples text with
:func:`rosenblatt.text.sample` (greedy, temperature, top-k, top-p).
"""

from __future__ import annotations

import math

import numpy as np

from rosenblatt import functional as F
from rosenblatt import nn
from rosenblatt.autograd import no_grad
from rosenblatt.functional.embedding import token_ids
from rosenblatt.models.saving import SavableModel
from rosenblatt.tensor import Tensor
from rosenblatt.text.sampling import sample
from rosenblatt.text.vocab import CharVocab


class CharLM(SavableModel, nn.Module):
    """Embedding -> LSTM -> Linear over the characters of ``vocab``.

    ``save(path)`` writes weights and constructor arguments; ``CharLM.load(path)`` rebuilds it.
    """

    def __init__(self, vocab: CharVocab, *, embedding_dim: int = 32, hidden_size: int = 128,
                 num_layers: int = 1, dropout: float = 0.0) -> None:
        super().__init__()
        for name, value in (("embedding_dim", embedding_dim), ("hidden_size", hidden_size),
                            ("num_layers", num_layers)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.config = {"vocab": vocab, "embedding_dim": embedding_dim, "hidden_size": hidden_size,
                       "num_layers": num_layers, "dropout": dropout}
        self.vocab = vocab
        self.embedding = nn.Embedding(len(vocab), embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, num_layers=num_layers, batch_first=True,
                            dropout=dropout)
        self.head = nn.Linear(hidden_size, len(vocab))

    def forward(self, ids, state=None) -> tuple[Tensor, tuple]:
        """(logits (B, T, V), (h, c)) for ids (B, T), starting from ``state`` (zeros if None)."""
        ids = token_ids(ids, len(self.vocab), "CharLM ids")
        if ids.ndim != 2:
            raise ValueError(f"ids must be a (batch, time) array, got shape {ids.shape}")
        output, state = self.lstm(self.embedding(ids), state)
        return self.head(output), state

    def encode(self, text: str) -> np.ndarray:
        return np.asarray(self.vocab.encode(text), dtype=np.int64)

    def perplexity(self, text: str, *, streams: int = 16, window: int = 256) -> float:
        """exp(mean -log p(x_{t+1} | x_1..x_t)) over ``text``, cut into ``streams`` parallel parts.

        Each part is read from its start with a zero state; its first
        character is context, not predicted.
        """
        ids = self.encode(text)
        streams = max(1, min(streams, len(ids) // 2))
        width = len(ids) // streams
        if width < 2:
            raise ValueError("text must hold at least 2 characters")
        grid = ids[:streams * width].reshape(streams, width)
        total, count, state = 0.0, 0, None
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                for start in range(0, width - 1, window):
                    inputs = grid[:, start:min(start + window, width - 1)]
                    targets = grid[:, start + 1:start + 1 + inputs.shape[1]]
                    logits, state = self(inputs, state)
                    loss = F.cross_entropy(logits.reshape(-1, logits.shape[2]), targets.reshape(-1),
                                           reduction="sum")
                    total += float(loss.data)
                    count += targets.size
        finally:
            self.train(was_training)
        return math.exp(total / count)

    def generate(self, prompt: str = "", length: int = 200, *, temperature: float = 1.0,
                 top_k: int | None = None, top_p: float | None = None, greedy: bool = False,
                 generator: np.random.Generator | None = None) -> str:
        """``length`` characters sampled after ``prompt`` (which starts the text; may be empty).

        An empty prompt starts from a newline (the corpus puts one between
        paragraphs) when the vocabulary has one.
        """
        if isinstance(length, bool) or not isinstance(length, int) or length < 0:
            raise ValueError(f"length must be an int >= 0, got {length!r}")
        context = prompt or ("\n" if "\n" in self.vocab else self.vocab.itos[-1])
        ids = self.encode(context)
        out = []
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                logits, state = self(ids[None, :])
                for _ in range(length):
                    token = sample(logits.data[:, -1], temperature=temperature, top_k=top_k,
                                   top_p=top_p, greedy=greedy, generator=generator)[0]
                    out.append(int(token))
                    logits, state = self(np.array([[token]]), state)
        finally:
            self.train(was_training)
        return prompt + self.vocab.decode(out, stop_at_eos=False)


def unigram_perplexity(train_text: str, text: str, vocab: CharVocab) -> float:
    """Perplexity on ``text`` of the model p(c) = (count_train(c) + 1) / (N + V) (add-one smoothing)."""
    counts = np.bincount(np.asarray(vocab.encode(train_text), dtype=np.int64), minlength=len(vocab))
    log_p = np.log((counts + 1.0) / (counts.sum() + len(vocab)))
    ids = np.asarray(vocab.encode(text), dtype=np.int64)
    if len(ids) == 0:
        raise ValueError("text must not be empty")
    return float(np.exp(-log_p[ids].mean()))


def fit_charlm(model: CharLM, text: str, *, steps: int, sequence_length: int = 64,
               batch_size: int = 32, lr: float = 3e-3, clip: float = 1.0,
               progress: bool = False) -> list[float]:
    """Train by truncated BPTT for ``steps`` windows (Adam, cosine-annealed, clipped gradients).

    The streams start at an offset drawn from rosenblatt's generator and wrap
    around when exhausted (with a fresh state). Returns each step's mean loss.
    """
    from rosenblatt import optim
    from rosenblatt.random import generator

    for name, value in (("steps", steps), ("sequence_length", sequence_length),
                        ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    ids = model.encode(text)
    width = (len(ids) - 1) // batch_size
    if width < sequence_length:
        raise ValueError(f"text of {len(ids)} characters is too short for {batch_size} streams "
                         f"of {sequence_length}")
    offset = int(generator().integers(0, len(ids) - 1 - batch_size * width + 1))
    streams = ids[offset:offset + batch_size * width + 1]
    inputs = streams[:-1].reshape(batch_size, width)
    targets = streams[1:].reshape(batch_size, width)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    history, state, position = [], None, 0
    model.train()
    for step in range(steps):
        if position + sequence_length > width:
            position, state = 0, None
        window = slice(position, position + sequence_length)
        logits, state = model(inputs[:, window], state)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[2]), targets[:, window].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        scheduler.step()
        state = tuple(s.detach() for s in state)
        position += sequence_length
        history.append(float(loss.data))
        if progress and (step + 1) % 50 == 0:
            print(f"step {step + 1}/{steps}: loss {np.mean(history[-50:]):.4f}")
    return history
