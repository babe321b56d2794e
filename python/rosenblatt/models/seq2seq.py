"""Encoder-decoder (seq2seq) with attention, teacher forcing, greedy and beam decoding.

Encoder: token embedding -> bidirectional GRU (or LSTM) over the source,
giving keys h_1..h_S (B, S, 2H) and, through a tanh bridge of its two final
states, the decoder's first state s_0.

Decoder, one step t (Bahdanau et al., 2015): the previous state s_{t-1}
queries the keys, giving the context c_t (see
:mod:`rosenblatt.models.attention`: additive v^T tanh(W s + U h) or Luong's
dot / general scores); the context feeds the recurrence and the output::

    s_t = cell([embed(y_{t-1}); c_t], s_{t-1}),   logits_t = W_o [s_t; c_t] + b_o

Without attention (``attention=None``) c_t is the same summary of the source
at every step (the bridge's input, the encoder's final states), as in Cho et
al. (2014): the same model with the attention taken out.

Training uses teacher forcing: the decoder reads ``<bos> y_1 .. y_{T-1}``
and is scored by cross-entropy on ``y_1 .. y_T <eos>`` (padding ignored).
:meth:`Seq2Seq.translate` decodes greedily or by beam search
(:mod:`rosenblatt.text.beam_search`); :meth:`Seq2Seq.attention_map` returns
the attention weights of a greedy translation and :func:`plot_attention`
draws them as a heatmap PNG.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from rosenblatt import functional as F
from rosenblatt import nn
from rosenblatt.autograd import no_grad
from rosenblatt.functional.embedding import token_ids
from rosenblatt.models.attention import SCORES, Attention
from rosenblatt.models.saving import SavableModel
from rosenblatt.tensor import Tensor
from rosenblatt.text.beam_search import beam_search, greedy_search
from rosenblatt.text.vocab import Vocab

CELLS = ("gru", "lstm")


class Seq2Seq(SavableModel, nn.Module):
    """A recurrent encoder-decoder with attention over ``source_vocab`` -> ``target_vocab`` texts.

    Parameters
    ----------
    source_vocab, target_vocab : rosenblatt.text.Vocab
        The target vocabulary needs ``<bos>`` and ``<eos>`` (``bos_eos=True``).
    embedding_dim, hidden_size : int
        Token embedding size; units of each encoder direction and of the
        decoder state (twice as many for dot attention, whose scores s^T h
        need the decoder state and the keys to have the same size).
    attention : {"additive", "dot", "general"} or None
    cell : {"gru", "lstm"}

    ``save(path)`` writes weights and these arguments; ``Seq2Seq.load(path)`` rebuilds the model.
    """

    def __init__(self, source_vocab: Vocab, target_vocab: Vocab, *, embedding_dim: int = 32,
                 hidden_size: int = 128, attention: str | None = "additive", cell: str = "gru",
                 attention_size: int | None = None) -> None:
        super().__init__()
        if target_vocab.bos_id is None or target_vocab.eos_id is None:
            raise ValueError("target_vocab needs <bos> and <eos> tokens (build it with bos_eos=True)")
        if attention is not None and attention not in SCORES:
            raise ValueError(f"attention must be one of {SCORES} or None, got {attention!r}")
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, got {cell!r}")
        for name, value in (("embedding_dim", embedding_dim), ("hidden_size", hidden_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.config = {"source_vocab": source_vocab, "target_vocab": target_vocab,
                       "embedding_dim": embedding_dim, "hidden_size": hidden_size,
                       "attention": attention, "cell": cell, "attention_size": attention_size}
        self.source_vocab, self.target_vocab = source_vocab, target_vocab
        self.attention_kind, self.cell_kind, self.hidden_size = attention, cell, hidden_size
        H, E = hidden_size, embedding_dim
        recurrent = nn.GRU if cell == "gru" else nn.LSTM
        self.source_embedding = nn.Embedding(len(source_vocab), E, padding_idx=source_vocab.pad_id)
        self.encoder = recurrent(E, H, batch_first=True, bidirectional=True)
        # dot attention scores s^T h without parameters, so the decoder state has the keys' size 2H
        D = 2 * H if attention == "dot" else H
        self.bridge = nn.Linear(2 * H, D)
        self.target_embedding = nn.Embedding(len(target_vocab), E, padding_idx=target_vocab.pad_id)
        self.decoder = (nn.GRUCell if cell == "gru" else nn.LSTMCell)(E + 2 * H, D)
        if attention is not None:
            self.attention = Attention(D, 2 * H, attention, attention_size=attention_size)
        self.output = nn.Linear(D + 2 * H, len(target_vocab))

    # -- encoding ---------------------------------------------------------------------
    def encode(self, source_ids, lengths) -> tuple:
        """(initial decoder state, memory) for a padded (B, S) source batch and its lengths.

        memory = (keys (B, S, 2H), prepared keys or None, mask (B, S) bool, summary (B, 2H)).
        """
        source_ids = token_ids(source_ids, len(self.source_vocab), "Seq2Seq source_ids")
        if source_ids.ndim != 2:
            raise ValueError(f"source_ids must be a (batch, length) array, got shape {source_ids.shape}")
        keys, final = self.encoder(self.source_embedding(source_ids), lengths=lengths)
        h_n = final[0] if self.cell_kind == "lstm" else final            # (2, B, H)
        summary = F.cat([h_n[0], h_n[1]], 1)                              # (B, 2H)
        s0 = F.tanh(self.bridge(summary))
        state = (s0, Tensor(np.zeros_like(s0.data))) if self.cell_kind == "lstm" else s0
        mask = np.arange(source_ids.shape[1])[None, :] < np.asarray(lengths)[:, None]
        prepared = self.attention.prepare(keys) if self.attention_kind else None
        return state, (keys, prepared, mask, summary)

    def _hidden(self, state) -> Tensor:
        return state[0] if self.cell_kind == "lstm" else state

    def decode_step(self, tokens, state, memory) -> tuple[Tensor, object, Tensor | None]:
        """(logits (B, V), next state, attention weights (B, S) or None) for the previous tokens (B,)."""
        keys, prepared, mask, summary = memory
        if self.attention_kind is None:
            context, weights = summary, None
        else:
            context, weights = self.attention(self._hidden(state), keys, mask, prepared)
        embedded = self.target_embedding(token_ids(tokens, len(self.target_vocab), "Seq2Seq tokens"))
        state = self.decoder(F.cat([embedded, context], 1), state)
        logits = self.output(F.cat([self._hidden(state), context], 1))
        return logits, state, weights

    # -- teacher forcing --------------------------------------------------------------
    def forward(self, source_ids, source_lengths, decoder_inputs) -> Tensor:
        """Logits (B, T, V) for the decoder inputs (B, T) (``<bos> y_1 .. y_{T-1}``)."""
        decoder_inputs = token_ids(decoder_inputs, len(self.target_vocab), "Seq2Seq decoder_inputs")
        if decoder_inputs.ndim != 2:
            raise ValueError(f"decoder_inputs must be a (batch, length) array, got shape "
                             f"{decoder_inputs.shape}")
        state, memory = self.encode(source_ids, source_lengths)
        steps = []
        for t in range(decoder_inputs.shape[1]):
            logits, state, _ = self.decode_step(decoder_inputs[:, t], state, memory)
            steps.append(logits)
        return F.stack(steps, 1)

    def batch(self, sources: Sequence[str], targets: Sequence[str] | None = None) -> tuple:
        """(source ids, source lengths[, decoder inputs, decoder targets]) arrays of texts."""
        source_ids, lengths = self.source_vocab.batch(sources)
        if targets is None:
            return source_ids, lengths
        framed, _ = self.target_vocab.batch(targets, add_bos=True, add_eos=True)
        return source_ids, lengths, framed[:, :-1], framed[:, 1:]

    def loss(self, sources: Sequence[str], targets: Sequence[str]) -> Tensor:
        """Mean cross-entropy per target token (``<eos>`` included, padding excluded)."""
        source_ids, lengths, inputs, outputs = self.batch(sources, targets)
        logits = self(source_ids, lengths, inputs)
        return F.cross_entropy(logits.reshape(-1, logits.shape[2]), outputs.reshape(-1),
                               ignore_index=self.target_vocab.pad_id)

    # -- decoding ---------------------------------------------------------------------
    def translate(self, sources: Sequence[str], *, beam_width: int = 1, max_length: int = 32,
                  alpha: float = 0.7) -> list[str]:
        """The decoded target texts of ``sources`` (greedy for ``beam_width=1``)."""
        return [self.target_vocab.decode(t) for t in
                self.decode(sources, beam_width=beam_width, max_length=max_length, alpha=alpha).tokens]

    def decode(self, sources: Sequence[str], *, beam_width: int = 1, max_length: int = 32,
               alpha: float = 0.7):
        """The :class:`~rosenblatt.text.beam_search.Hypotheses` of ``sources``."""
        if isinstance(sources, str) or len(sources) == 0:
            raise ValueError("sources must be a non-empty sequence of texts")
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                state, memory = self.encode(*self.batch(sources))

                def step(tokens, carried):
                    logits, next_state, _ = self.decode_step(tokens, carried[0], carried[1])
                    return logits, (next_state, carried[1])

                search = greedy_search if beam_width == 1 else beam_search
                options = {} if beam_width == 1 else {"beam_width": beam_width}
                return search(step, (state, memory), batch_size=len(sources),
                              bos_id=self.target_vocab.bos_id, eos_id=self.target_vocab.eos_id,
                              max_length=max_length, alpha=alpha, **options)
        finally:
            self.train(was_training)

    def attention_map(self, source: str, max_length: int = 32) -> tuple[list[str], list[str], np.ndarray]:
        """(source tokens, output tokens, weights (len(output), len(source))) of a greedy translation.

        The output tokens end with ``<eos>`` when it was produced.
        """
        if self.attention_kind is None:
            raise ValueError("attention_map needs a model with attention")
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                state, memory = self.encode(*self.batch([source]))
                token, rows, outputs = self.target_vocab.bos_id, [], []
                for _ in range(max_length):
                    logits, state, weights = self.decode_step([token], state, memory)
                    token = int(logits.data[0].argmax())
                    rows.append(np.asarray(weights.data[0], dtype=np.float64))
                    outputs.append(self.target_vocab.itos[token])
                    if token == self.target_vocab.eos_id:
                        break
        finally:
            self.train(was_training)
        return self.source_vocab.tokenize(source), outputs, np.stack(rows)


def plot_attention(path, source_tokens: Sequence[str], output_tokens: Sequence[str],
                   weights: np.ndarray, title: str | None = None) -> str:
    """Write the attention weights (outputs x sources) as a heatmap PNG; returns the path."""
    from rosenblatt.plotting import new_figure, save_figure

    weights = np.asarray(weights)
    if weights.shape != (len(output_tokens), len(source_tokens)):
        raise ValueError(f"weights must have shape ({len(output_tokens)}, {len(source_tokens)}), "
                         f"got {weights.shape}")
    figure, (axes,) = new_figure(1, width=max(4.0, 0.3 * len(source_tokens) + 1.5),
                                 height=max(3.0, 0.3 * len(output_tokens) + 1.2))
    image = axes.imshow(weights, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    axes.set_xticks(range(len(source_tokens)), ["\u2423" if t == " " else repr(t)[1:-1] for t in source_tokens])
    axes.set_yticks(range(len(output_tokens)), list(output_tokens))
    axes.set_xlabel("source")
    axes.set_ylabel("output")
    figure.colorbar(image, ax=axes, label="attention weight")
    return save_figure(figure, path, title)


def exact_match(model: Seq2Seq, pairs: Sequence[tuple[str, str]], *, beam_width: int = 1,
                batch_size: int = 500) -> float:
    """The fraction of ``pairs`` whose translation equals the target exactly."""
    if not pairs:
        raise ValueError("pairs must not be empty")
    hits = 0
    for start in range(0, len(pairs), batch_size):
        chunk = pairs[start:start + batch_size]
        max_length = max(len(model.target_vocab.encode(t)) for _, t in chunk) + 2
        outputs = model.translate([s for s, _ in chunk], beam_width=beam_width, max_length=max_length)
        hits += sum(o == t for o, (_, t) in zip(outputs, chunk))
    return hits / len(pairs)


def length_bucketed_batches(lengths: Sequence[int], batch_size: int, pool: int = 16) -> list[np.ndarray]:
    """Index batches of a shuffled epoch in which each batch holds items of similar lengths.

    The shuffled items are cut into pools of ``pool * batch_size``, each pool
    is sorted by length and cut into batches, and the batches are shuffled:
    a recurrent encoder then runs few padded steps (a batch is as long as
    its longest item) while every epoch still mixes the data differently.
    Draws from rosenblatt's generator.
    """
    from rosenblatt.random import generator

    rng = generator()
    order = rng.permutation(len(lengths))
    lengths = np.asarray(lengths)
    batches = []
    for start in range(0, len(order), pool * batch_size):
        members = order[start:start + pool * batch_size]
        members = members[np.argsort(lengths[members], kind="stable")]
        batches += [members[i:i + batch_size] for i in range(0, len(members), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def fit_seq2seq(model: Seq2Seq, pairs: Sequence[tuple[str, str]], *, epochs: int, lr: float = 3e-3,
                batch_size: int = 64, clip: float = 1.0, progress: bool = False) -> list[float]:
    """Train with Adam (cosine-annealed learning rate, gradient norm clipped to ``clip``).

    Batches hold sources of similar lengths (:func:`length_bucketed_batches`), drawn by
    rosenblatt's generator. Returns the mean loss of each epoch.
    """
    from rosenblatt import optim

    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be >= 1, got {epochs} and {batch_size}")
    optimizer = optim.Adam(model.parameters(), lr=lr)
    steps_per_epoch = math.ceil(len(pairs) / batch_size)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * steps_per_epoch)
    history = []
    model.train()
    for epoch in range(epochs):
        total = 0.0
        for batch in length_bucketed_batches([len(s) for s, _ in pairs], batch_size):
            chunk = [pairs[i] for i in batch]
            loss = model.loss([s for s, _ in chunk], [t for _, t in chunk])
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            scheduler.step()
            total += float(loss.data) * len(chunk)
        history.append(total / len(pairs))
        if progress:
            print(f"epoch {epoch + 1}/{epochs}: loss {history[-1]:.4f}")
    return history
