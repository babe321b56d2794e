"""Character LSTM language model on the bundled corpus: perplexity vs unigram, sampling, bad input."""

import math

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.data import load_text_corpus
from rosenblatt.models.charlm import CharLM, fit_charlm, unigram_perplexity
from rosenblatt.text import CharVocab


@pytest.fixture(scope="module")
def trained():
    rb.manual_seed(0)
    train, validation = load_text_corpus("train"), load_text_corpus("validation")
    vocab = CharVocab.build([train])
    model = CharLM(vocab, embedding_dim=32, hidden_size=128)
    history = fit_charlm(model, train, steps=90, sequence_length=48, batch_size=64, lr=1e-2)
    return model, train, validation, history


def test_validation_perplexity_below_half_of_the_unigram_models(trained):
    model, train, validation, history = trained
    perplexity = model.perplexity(validation)
    baseline = unigram_perplexity(train, validation, model.vocab)
    print(f"validation perplexity {perplexity:.3f}, unigram {baseline:.3f}")
    assert perplexity < 0.5 * baseline
    assert np.mean(history[-10:]) < np.mean(history[:10])


def test_unigram_perplexity_by_hand():
    vocab = CharVocab.build(["aab"])  # <pad>, <unk>, a, b
    # p(a) = (2 + 1) / (3 + 4), p(b) = (1 + 1) / 7; text "ab"
    expected = math.exp(-(math.log(3 / 7) + math.log(2 / 7)) / 2)
    assert unigram_perplexity("aab", "ab", vocab) == pytest.approx(expected)


def test_perplexity_is_the_exponentiated_mean_loss(trained):
    model, _, validation, _ = trained
    text = validation[:400]
    ids = model.encode(text)
    model.eval()
    with rb.no_grad():
        logits, _ = model(ids[None, :-1])
    model.train()
    logp = logits.data[0].astype(np.float64)
    logp -= np.log(np.exp(logp - logp.max(1, keepdims=True)).sum(1, keepdims=True)) + logp.max(1, keepdims=True)
    expected = math.exp(-logp[np.arange(len(ids) - 1), ids[1:]].mean())
    assert model.perplexity(text, streams=1, window=97) == pytest.approx(expected, rel=1e-4)


def test_generation_greedy_sampled_and_seeded(trained):
    model = trained[0]
    greedy = model.generate("The ", 40, greedy=True)
    assert greedy.startswith("The ") and len(greedy) == 44
    assert model.generate("The ", 40, greedy=True) == greedy
    assert model.generate("The ", 40, top_k=1) == greedy  # top-1 sampling is greedy
    rb.manual_seed(3)
    first = model.generate("The ", 60, temperature=0.8, top_p=0.9)
    rb.manual_seed(3)
    assert model.generate("The ", 60, temperature=0.8, top_p=0.9) == first
    sample = model.generate("", 30, generator=np.random.default_rng(0))
    assert len(sample) == 30 and set(sample) <= set(model.vocab.itos)


def test_bad_input(trained):
    model = trained[0]
    with pytest.raises(ValueError, match="length"):
        model.generate("a", -1)
    with pytest.raises(ValueError, match="ids must be"):
        model(np.zeros(3, dtype=np.int64))
    with pytest.raises(TypeError, match="integer token ids"):
        model(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="at least 2 characters"):
        model.perplexity("a")
    with pytest.raises(ValueError, match="too short"):
        fit_charlm(model, "abc", steps=1, sequence_length=8, batch_size=2)
    with pytest.raises(ValueError, match="steps"):
        fit_charlm(model, "abc" * 100, steps=0)
    with pytest.raises(ValueError, match="hidden_size"):
        CharLM(model.vocab, hidden_size=0)
    with pytest.raises(ValueError, match="temperature"):
        model.generate("a", 3, temperature=-1.0)
