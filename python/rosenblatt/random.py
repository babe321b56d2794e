"""rosenblatt's random number generator: every random draw in the library goes through it.

``rb.manual_seed(s)`` makes a whole run repeatable: parameter initialization,
dropout masks, data shuffling, augmentation and sampling all draw from the one
``numpy.random.Generator`` returned by :func:`generator`. Its state can be
saved and restored (checkpoints do), so a resumed run draws the same numbers
as an uninterrupted one.
"""

from __future__ import annotations

import operator

import numpy as np

_generator = np.random.default_rng()


def nonnegative_int(value, name: str) -> int:
    """``value`` as an int >= 0 (seeds, counts): TypeError or ValueError naming ``name`` otherwise."""
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an int, got {type(value).__name__}") from None
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the library's generator (a non-negative int) and return it."""
    global _generator
    _generator = np.random.default_rng(nonnegative_int(seed, "seed"))
    return _generator


def generator() -> np.random.Generator:
    """The generator every random draw of the library uses."""
    return _generator


def get_rng_state() -> dict:
    """The generator's state (a JSON-serializable dict), for checkpoints."""
    return _generator.bit_generator.state


def set_rng_state(state: dict) -> None:
    """Restore a state returned by :func:`get_rng_state`."""
    if not isinstance(state, dict) or "bit_generator" not in state:
        raise ValueError("state must be a dict returned by get_rng_state()")
    bit_generator = getattr(np.random, state["bit_generator"], None)
    if bit_generator is None:
        raise ValueError(f"unknown bit generator {state['bit_generator']!r} in RNG state")
    global _generator
    fresh = bit_generator()
    fresh.state = state
    _generator = np.random.Generator(fresh)
