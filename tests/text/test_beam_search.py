"""Greedy decoding and beam search on random autoregressive models with known exact answers."""

import itertools

import numpy as np
import pytest

from rosenblatt.tensor import Tensor
from rosenblatt.text.beam_search import beam_search, greedy_search, select_state

BOS, EOS = 0, 1


def table_model(vocab: int, max_length: int, seed: int, sharpness: float = 2.0):
    """A model whose next-token logits depend on the previous token and the position.

    The state is the position (one int per hypothesis), so reordering beams is exercised.
    """
    table = np.random.default_rng(seed).normal(0, sharpness, (vocab, max_length, vocab))
    table[:, :, BOS] = -np.inf  # bos is never generated

    def step(tokens, position):
        return Tensor(table[tokens, position]), position + 1

    return step, table


def log_prob(table, sequence) -> float:
    """log p of a sequence (eos included if present), the exact reference."""
    total, previous = 0.0, BOS
    for t, token in enumerate(sequence):
        logits = table[previous, t]
        total += logits[token] - np.logaddexp.reduce(logits[np.isfinite(logits)])
        previous = token
    return total


def exhaustive_best(table, vocab: int, max_length: int, alpha: float):
    """The best length-normalized score over every sequence: eos at step T, or none up to max_length."""
    best = (-np.inf, None)
    for T in range(1, max_length + 1):
        for body in itertools.product(range(2, vocab), repeat=T - 1):
            for ending in ([EOS] if T < max_length else [EOS, *range(2, vocab)]):
                sequence = [*body, ending]
                score = log_prob(table, sequence) / T ** alpha
                best = max(best, (score, tuple(sequence)))
    return best


def positions(batch):
    return np.zeros(batch, dtype=np.int64)


@pytest.mark.parametrize("seed", range(5))
def test_greedy_takes_the_argmax_each_step(seed):
    step, table = table_model(6, 8, seed)
    result = greedy_search(step, positions(3), batch_size=3, bos_id=BOS, eos_id=EOS, max_length=8)
    sequence, previous = [], BOS
    for t in range(8):
        token = int(table[previous, t].argmax())
        sequence.append(token)
        previous = token
        if token == EOS:
            break
    for b in range(3):
        expected = sequence[:-1] if sequence[-1] == EOS else sequence
        assert result.tokens[b].tolist() == expected
        assert result.log_probs[b] == pytest.approx(log_prob(table, sequence))
        assert result.lengths[b] == len(sequence)


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("alpha", [0.0, 0.7])
def test_beam_never_scores_below_greedy_and_width_one_is_greedy(seed, alpha):
    step, table = table_model(7, 10, seed)
    options = dict(batch_size=2, bos_id=BOS, eos_id=EOS, max_length=10, alpha=alpha)
    greedy = greedy_search(step, positions(2), **options)
    one = beam_search(step, positions(2), beam_width=1, **options)
    assert [t.tolist() for t in one.tokens] == [t.tolist() for t in greedy.tokens]
    np.testing.assert_array_equal(one.scores, greedy.scores)
    for width in (2, 3, 5):
        beam = beam_search(step, positions(2), beam_width=width, **options)
        assert (beam.scores >= greedy.scores - 1e-12).all()
        for b in range(2):  # the reported score is the score of the returned tokens
            tokens = beam.tokens[b].tolist() + ([EOS] if beam.lengths[b] > len(beam.tokens[b]) else [])
            assert beam.log_probs[b] == pytest.approx(log_prob(table, tokens))
            assert beam.scores[b] == pytest.approx(beam.log_probs[b] / beam.lengths[b] ** alpha)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("alpha", [0.0, 0.7, 1.0])
def test_a_wide_enough_beam_finds_the_exact_optimum(seed, alpha):
    vocab, max_length = 4, 4  # tokens 2, 3 and eos: 3^3 = 27 paths at most, a beam of 27 is exhaustive
    step, table = table_model(vocab, max_length, seed, sharpness=1.0)
    beam = beam_search(step, positions(1), batch_size=1, bos_id=BOS, eos_id=EOS,
                       max_length=max_length, beam_width=27, alpha=alpha)
    score, sequence = exhaustive_best(table, vocab, max_length, alpha)
    assert beam.scores[0] == pytest.approx(score)
    ended = sequence[-1] == EOS
    assert beam.tokens[0].tolist() == list(sequence[:-1] if ended else sequence)


def test_wider_beams_find_better_sequences_on_average():
    gains = []
    for seed in range(30):
        step, _ = table_model(8, 12, 100 + seed)
        options = dict(batch_size=1, bos_id=BOS, eos_id=EOS, max_length=12, alpha=0.0)
        gains.append(beam_search(step, positions(1), beam_width=6, **options).scores[0]
                     - greedy_search(step, positions(1), **options).scores[0])
    assert min(gains) >= -1e-12 and np.mean(gains) > 0.1


def test_padded_and_select_state():
    step, _ = table_model(5, 6, 0)
    result = beam_search(step, positions(4), batch_size=4, bos_id=BOS, eos_id=EOS, max_length=6,
                         beam_width=3)
    padded = result.padded(pad_id=9)
    assert padded.shape == (4, max(len(t) for t in result.tokens))
    state = {"h": Tensor(np.arange(6.0).reshape(3, 2)), "c": (np.arange(3), None)}
    picked = select_state(state, np.array([2, 0]))
    np.testing.assert_array_equal(picked["h"].data, [[4, 5], [0, 1]])
    np.testing.assert_array_equal(picked["c"][0], [2, 0])
    with pytest.raises(TypeError, match="state leaves"):
        select_state("abc", np.array([0]))


@pytest.mark.parametrize("kwargs, match", [
    ({"beam_width": 0}, "beam_width"),
    ({"max_length": 0}, "max_length"),
    ({"alpha": -1.0}, "alpha"),
    ({"eos_id": -1}, "eos_id"),
])
def test_bad_arguments(kwargs, match):
    step, _ = table_model(5, 6, 0)
    options = dict(batch_size=1, bos_id=BOS, eos_id=EOS, max_length=6, beam_width=2) | kwargs
    with pytest.raises(ValueError, match=match):
        beam_search(step, positions(1), **options)


def test_step_returning_the_wrong_shape():
    def step(tokens, state):
        return np.zeros((len(tokens) + 1, 3)), state

    with pytest.raises(ValueError, match="step must return logits"):
        greedy_search(step, None, batch_size=2, bos_id=0, eos_id=1, max_length=3)
