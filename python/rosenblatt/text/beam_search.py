"""Greedy decoding and beam search over any autoregressive model's step function.

A model exposes one decoding step::

    step(tokens, state) -> (logits, new_state)

``tokens`` is an int64 array (N,) of the last token of N hypotheses,
``state`` whatever the model carries between steps (arrays or Tensors with
the hypotheses along axis 0, or tuples/lists/dicts of them, or None), and
``logits`` (N, vocab) the unnormalized scores of the next token (an array or
a Tensor). Decoding starts from ``bos_id`` and stops at ``eos_id`` or after
``max_length`` tokens.

A hypothesis y_1..y_T (``eos`` included when it was produced) has
log-probability log p = sum_t log softmax(logits_t)[y_t] and beam score
log p / T^alpha (length normalization; alpha = 0 ranks by log p alone).

Beam search keeps the ``beam_width`` best partial hypotheses by log p; a
finished hypothesis (ended in eos) keeps its place and score while the others
grow, and the search stops when every beam has finished or reached
``max_length``. The answer is the best beam score among the final beams and
the greedy hypothesis: plain beam search is not monotone in the width (all
beams can drift away from the greedy path), and taking the greedy hypothesis
into the final choice guarantees a beam score never below greedy decoding's.
With ``beam_width=1`` the beam is the greedy hypothesis.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable

import numpy as np

from rosenblatt.autograd import no_grad
from rosenblatt.tensor import Tensor

StepFunction = Callable[[np.ndarray, Any], tuple[Any, Any]]


@dataclasses.dataclass
class Hypotheses:
    """Decoded sequences of a batch: per item, the tokens (no bos, no eos) and their scores."""

    tokens: list[np.ndarray]
    log_probs: np.ndarray  # (batch,) float64: log p of the tokens, eos included when produced
    lengths: np.ndarray    # (batch,) int64: T, the scored steps (eos included when produced)
    scores: np.ndarray     # (batch,) float64: log p / T^alpha

    def padded(self, pad_id: int) -> np.ndarray:
        """The tokens as one (batch, longest) int64 array padded with ``pad_id``."""
        width = max((len(t) for t in self.tokens), default=0)
        out = np.full((len(self.tokens), width), pad_id, dtype=np.int64)
        for row, tokens in enumerate(self.tokens):
            out[row, :len(tokens)] = tokens
        return out


def select_state(state, index: np.ndarray):
    """``state`` with every array or Tensor leaf indexed by ``index`` along axis 0."""
    if state is None:
        return None
    if isinstance(state, Tensor):
        return Tensor(state.data[index])
    if isinstance(state, np.ndarray):
        return state[index]
    if isinstance(state, (tuple, list)):
        return type(state)(select_state(s, index) for s in state)
    if isinstance(state, dict):
        return {key: select_state(value, index) for key, value in state.items()}
    raise TypeError(f"state leaves must be arrays or Tensors (or tuples/lists/dicts of them), "
                    f"got {type(state).__name__}")


def _log_softmax(logits, rows: int) -> np.ndarray:
    array = np.asarray(getattr(logits, "data", logits), dtype=np.float64)
    if array.ndim != 2 or array.shape[0] != rows:
        raise ValueError(f"step must return logits of shape ({rows}, vocab), got {array.shape}")
    shifted = array - array.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _check(batch_size: int, bos_id: int, eos_id: int, max_length: int, alpha: float) -> None:
    for name, value, low in (("batch_size", batch_size, 1), ("max_length", max_length, 1),
                             ("bos_id", bos_id, 0), ("eos_id", eos_id, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    if not (isinstance(alpha, (int, float)) and math.isfinite(alpha) and alpha >= 0):
        raise ValueError(f"alpha must be a finite number >= 0, got {alpha!r}")


def greedy_search(step: StepFunction, state, *, batch_size: int, bos_id: int, eos_id: int,
                  max_length: int, alpha: float = 0.7) -> Hypotheses:
    """Greedy decoding: the most probable next token at every step, for ``batch_size`` sequences."""
    _check(batch_size, bos_id, eos_id, max_length, alpha)
    tokens = np.full(batch_size, bos_id, dtype=np.int64)
    history = np.zeros((batch_size, max_length), dtype=np.int64)
    log_probs = np.zeros(batch_size)
    lengths = np.zeros(batch_size, dtype=np.int64)
    active = np.arange(batch_size)  # rows still decoding; state holds only these
    with no_grad():
        for t in range(max_length):
            logits, state = step(tokens[active], state)
            logp = _log_softmax(logits, len(active))
            choice = logp.argmax(axis=1)
            tokens[active] = choice
            history[active, t] = choice
            log_probs[active] += logp[np.arange(len(active)), choice]
            lengths[active] = t + 1
            going = choice != eos_id
            if not going.all():
                active = active[going]
                if len(active) == 0:
                    break
                state = select_state(state, np.flatnonzero(going))
    sequences = [history[b, :lengths[b] - (history[b, lengths[b] - 1] == eos_id)]
                 for b in range(batch_size)]
    return Hypotheses(sequences, log_probs, lengths, log_probs / lengths.astype(np.float64) ** alpha)


def beam_search(step: StepFunction, state, *, batch_size: int, bos_id: int, eos_id: int,
                max_length: int, beam_width: int = 4, alpha: float = 0.7) -> Hypotheses:
    """Beam search of width ``beam_width`` with length normalization ``log p / T^alpha``.

    ``state`` holds ``batch_size`` rows; each is repeated ``beam_width``
    times. Returns the best hypothesis per batch item (see the module
    docstring, which also says why the greedy hypothesis takes part).
    """
    _check(batch_size, bos_id, eos_id, max_length, alpha)
    if isinstance(beam_width, bool) or not isinstance(beam_width, (int, np.integer)) \
            or beam_width < 1:
        raise ValueError(f"beam_width must be an int >= 1, got {beam_width!r}")
    greedy = greedy_search(step, state, batch_size=batch_size, bos_id=bos_id, eos_id=eos_id,
                           max_length=max_length, alpha=alpha)
    if beam_width == 1:
        return greedy
    K = beam_width
    state = select_state(state, np.repeat(np.arange(batch_size), K))
    history = np.zeros((batch_size, K, max_length), dtype=np.int64)
    scores = np.full((batch_size, K), -np.inf)
    scores[:, 0] = 0.0  # the first step expands one beam only
    lengths = np.zeros((batch_size, K), dtype=np.int64)
    finished = np.zeros((batch_size, K), dtype=bool)
    tokens = np.full(batch_size * K, bos_id, dtype=np.int64)
    with no_grad():
        for t in range(max_length):
            logits, state = step(tokens, state)
            logp = _log_softmax(logits, batch_size * K).reshape(batch_size, K, -1)
            vocab = logp.shape[2]
            # a finished beam has one continuation of probability 1 that changes nothing
            logp[finished] = -np.inf
            logp[finished, eos_id] = 0.0
            candidates = (scores[:, :, None] + logp).reshape(batch_size, K * vocab)
            best = np.argsort(-candidates, axis=1, kind="stable")[:, :K]
            parent, token = best // vocab, best % vocab
            rows = np.arange(batch_size)[:, None]
            was_finished = finished[rows, parent]
            history = history[rows, parent]
            history[:, :, t] = np.where(was_finished, eos_id, token)
            lengths = np.where(was_finished, lengths[rows, parent], t + 1)
            scores = candidates[rows, best]
            finished = was_finished | (token == eos_id)
            if finished.all():
                break
            state = select_state(state, (rows * K + parent).reshape(-1))
            tokens = token.reshape(-1)
    normalized = np.where(np.isfinite(scores), scores / np.maximum(lengths, 1) ** alpha, -np.inf)
    pick = normalized.argmax(axis=1)
    out_tokens, out_logp, out_len, out_score = [], np.empty(batch_size), np.empty(batch_size, np.int64), \
        np.empty(batch_size)
    for b in range(batch_size):
        k = pick[b]
        if greedy.scores[b] >= normalized[b, k]:
            out_tokens.append(greedy.tokens[b])
            out_logp[b], out_len[b], out_score[b] = greedy.log_probs[b], greedy.lengths[b], \
                greedy.scores[b]
            continue
        T = lengths[b, k]
        ended = history[b, k, T - 1] == eos_id
        out_tokens.append(history[b, k, :T - ended].copy())
        out_logp[b], out_len[b], out_score[b] = scores[b, k], T, normalized[b, k]
    return Hypotheses(out_tokens, out_logp, out_len, out_score)
