"""Next-token sampling: greedy, temperature, top-k, top-p; seeded through rosenblatt's generator."""

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.tensor import Tensor
from rosenblatt.text import sample, sampling_probabilities, top_k_filter, top_p_filter

LOGITS = np.log(np.array([0.5, 0.25, 0.15, 0.1]))


def test_greedy_and_zero_temperature_take_the_argmax():
    logits = np.array([[0.1, 2.0, -1.0], [3.0, 3.0, 0.0]])
    assert sample(logits, greedy=True).tolist() == [1, 0]
    assert sample(logits, temperature=0).tolist() == [1, 0]
    assert sample(Tensor(logits[0]), greedy=True) == 1  # a Tensor row gives an int


def test_top_k_and_top_p_filters():
    np.testing.assert_array_equal(np.isfinite(top_k_filter(LOGITS, 2)), [True, True, False, False])
    assert np.isfinite(top_k_filter(LOGITS, 10)).all()
    # cumulative 0.5, 0.75, 0.9, 1.0: p=0.7 needs the first two, p=0.5 the first only
    np.testing.assert_array_equal(np.isfinite(top_p_filter(LOGITS, 0.7)), [True, True, False, False])
    np.testing.assert_array_equal(np.isfinite(top_p_filter(LOGITS, 0.5)), [True, False, False, False])
    np.testing.assert_array_equal(np.isfinite(top_p_filter(LOGITS, 1.0)), [True] * 4)
    shuffled = LOGITS[[2, 0, 3, 1]]
    np.testing.assert_array_equal(np.isfinite(top_p_filter(shuffled, 0.7)), [False, True, False, True])


def test_probabilities_with_temperature():
    np.testing.assert_allclose(sampling_probabilities(LOGITS), [0.5, 0.25, 0.15, 0.1])
    sharp = np.array([0.5, 0.25, 0.15, 0.1]) ** 2
    np.testing.assert_allclose(sampling_probabilities(LOGITS, temperature=0.5), sharp / sharp.sum())
    np.testing.assert_allclose(sampling_probabilities(LOGITS, top_k=2), [2 / 3, 1 / 3, 0, 0])


@pytest.mark.parametrize("options, expected", [
    ({}, [0.5, 0.25, 0.15, 0.1]),
    ({"temperature": 2.0}, np.sqrt([0.5, 0.25, 0.15, 0.1]) / np.sqrt([0.5, 0.25, 0.15, 0.1]).sum()),
    ({"top_k": 3}, np.array([0.5, 0.25, 0.15, 0]) / 0.9),
    ({"top_p": 0.8}, np.array([0.5, 0.25, 0.15, 0]) / 0.9),
])
def test_draw_frequencies_match_the_distribution(options, expected):
    draws = sample(np.tile(LOGITS, (40_000, 1)), generator=np.random.default_rng(0), **options)
    frequencies = np.bincount(draws, minlength=4) / len(draws)
    np.testing.assert_allclose(frequencies, expected, atol=0.01)
    assert frequencies[np.asarray(expected) == 0].sum() == 0


def test_draws_follow_manual_seed():
    rb.manual_seed(11)
    first = sample(np.tile(LOGITS, (50, 1)))
    rb.manual_seed(11)
    np.testing.assert_array_equal(sample(np.tile(LOGITS, (50, 1))), first)
    assert first.dtype == np.int64


def test_minus_infinity_logits_are_never_drawn():
    logits = np.array([-np.inf, 0.0, -np.inf, 0.0])
    draws = sample(np.tile(logits, (1000, 1)), generator=np.random.default_rng(1))
    assert set(draws.tolist()) == {1, 3}


@pytest.mark.parametrize("kwargs, match", [
    ({"temperature": -1.0}, "temperature"),
    ({"temperature": float("nan")}, "temperature"),
    ({"top_k": 0}, "top_k"),
    ({"top_p": 0.0}, "top_p"),
    ({"top_p": 1.5}, "top_p"),
])
def test_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sample(LOGITS, **kwargs)


@pytest.mark.parametrize("logits, match", [
    (np.zeros((2, 2, 2)), "shape"),
    (np.zeros((2, 0)), "shape"),
    (np.array([0.0, np.nan]), "NaN"),
    (np.array([-np.inf, -np.inf]), "at least one token"),
])
def test_bad_logits(logits, match):
    with pytest.raises(ValueError, match=match):
        sample(logits)
