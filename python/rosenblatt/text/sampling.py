"""Choosing the next token from logits: greedy, temperature, top-k and top-p (nucleus) sampling.

For logits ``z`` (the last axis indexes the vocabulary) the sampling
distribution is ``softmax(z / temperature)`` restricted to

* top-k: the ``k`` largest logits (ties with the k-th value are kept);
* top-p: the smallest set of most probable tokens whose probability sums to
  at least ``p`` (the most probable token is always kept);

and renormalized. Temperature 0 (or ``greedy=True``) is argmax. Draws come
from rosenblatt's generator (``rb.manual_seed`` makes them repeatable) unless
a ``numpy.random.Generator`` is passed.
"""

from __future__ import annotations

import math

import numpy as np


def _logits_array(logits) -> np.ndarray:
    data = getattr(logits, "data", logits)  # a Tensor or an array
    array = np.asarray(data, dtype=np.float64)
    if array.ndim not in (1, 2) or array.shape[-1] == 0:
        raise ValueError(f"logits must have shape (vocab,) or (batch, vocab) with vocab >= 1, "
                         f"got {array.shape}")
    if np.isnan(array).any() or np.isposinf(array).any():
        raise ValueError("logits must not contain NaN or +inf")
    if np.isneginf(array).all(axis=-1).any():
        raise ValueError("logits must allow at least one token in every row (all are -inf)")
    return array


def top_k_filter(logits: np.ndarray, k: int) -> np.ndarray:
    """``logits`` with every entry below the row's k-th largest set to -inf."""
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"top_k must be an int >= 1, got {k!r}")
    if k >= logits.shape[-1]:
        return logits
    kth = np.partition(logits, -k, axis=-1)[..., -k:].min(axis=-1, keepdims=True)
    return np.where(logits >= kth, logits, -np.inf)


def top_p_filter(logits: np.ndarray, p: float) -> np.ndarray:
    """``logits`` keeping, per row, the most probable tokens until their probability reaches ``p``."""
    if not 0 < p <= 1:
        raise ValueError(f"top_p must be in (0, 1], got {p!r}")
    probs = _softmax(logits)
    order = np.argsort(-probs, axis=-1, kind="stable")
    sorted_probs = np.take_along_axis(probs, order, axis=-1)
    # keep a token when the mass before it is still below p (so the first one always stays)
    mass_before = np.cumsum(sorted_probs, axis=-1) - sorted_probs
    keep_sorted = mass_before < p
    keep = np.empty_like(keep_sorted)
    np.put_along_axis(keep, order, keep_sorted, axis=-1)
    return np.where(keep, logits, -np.inf)


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def sampling_probabilities(logits, *, temperature: float = 1.0, top_k: int | None = None,
                           top_p: float | None = None) -> np.ndarray:
    """The float64 distribution :func:`sample` draws from (temperature > 0)."""
    if not (isinstance(temperature, (int, float)) and math.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be a finite number > 0 here, got {temperature!r}")
    scaled = _logits_array(logits) / temperature
    if top_k is not None:
        scaled = top_k_filter(scaled, top_k)
    if top_p is not None:
        scaled = top_p_filter(scaled, top_p)
    return _softmax(scaled)


def sample(logits, *, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
           greedy: bool = False, generator: np.random.Generator | None = None):
    """The next token id for each row of ``logits``: an int for (vocab,), an int64 array for (batch, vocab).

    ``greedy=True`` or ``temperature=0`` takes the argmax (the first one on
    ties); otherwise a draw from :func:`sampling_probabilities`.
    """
    if not (isinstance(temperature, (int, float)) and math.isfinite(temperature) and temperature >= 0):
        raise ValueError(f"temperature must be a finite number >= 0, got {temperature!r}")
    array = _logits_array(logits)
    if greedy or temperature == 0:
        choice = array.argmax(axis=-1)
    else:
        probs = sampling_probabilities(array, temperature=temperature, top_k=top_k, top_p=top_p)
        if generator is None:
            from rosenblatt.random import generator as library_generator

            generator = library_generator()
        cdf = np.cumsum(probs, axis=-1)
        u = generator.random(size=cdf.shape[:-1] + (1,)) * cdf[..., -1:]
        # inverse CDF: the first token whose cumulative probability exceeds u, never one of
        # probability 0 (its step of the CDF is empty)
        choice = np.minimum((cdf <= u).sum(axis=-1), cdf.shape[-1] - 1)
    choice = choice.astype(np.int64)
    return int(choice) if choice.ndim == 0 else choice
