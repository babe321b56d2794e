"""GPT character LM: validation perplexity against the unigram model, and KV-cached generation."""

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.models.gpt import GPT, CharLMTask


@pytest.fixture(scope="module")
def trained():
    rb.manual_seed(0)
    task = CharLMTask()
    model = GPT(len(task.vocab), block_size=64, d_model=64, nhead=4, num_layers=2)
    task.train_model(model, steps=300, batch_size=32, lr=3e-3)
    return task, model


def test_validation_perplexity_is_at_least_twice_lower_than_the_unigram_models(trained):
    task, model = trained
    perplexity = task.perplexity(model, max_windows=200)
    unigram = task.unigram_perplexity(model.block_size, max_windows=200)
    print(f"validation perplexity: GPT {perplexity:.2f}, unigram {unigram:.2f}")
    assert unigram > 10 and perplexity * 2 <= unigram


def test_cached_forward_gives_the_logits_of_the_full_forward(trained):
    _, model = trained
    ids = np.random.default_rng(0).integers(0, model.vocab_size, (2, 20))
    with rb.no_grad():
        full = model(ids).data
        cache = model.new_cache()
        prefix = model(ids[:, :12], cache).data  # prefill
        middle = model(ids[:, 12:15], cache).data  # several new tokens at once (offset mask)
        steps = [model(ids[:, t:t + 1], cache).data for t in range(15, 20)]
    assert len(cache) == 20
    np.testing.assert_allclose(np.concatenate([prefix, middle] + steps, axis=1), full,
                               rtol=1e-4, atol=1e-4)


def test_kv_cached_generation_produces_exactly_the_uncached_tokens(trained):
    task, model = trained
    prompt = task.validation[None, :16].repeat(2, axis=0)
    cached = model.generate(prompt, 40, use_cache=True)
    uncached = model.generate(prompt, 40, use_cache=False)
    assert cached.shape == (2, 56)
    np.testing.assert_array_equal(cached, uncached)
    for options in ({"temperature": 0.8}, {"top_k": 5}, {"top_p": 0.9, "temperature": 1.2}):
        rb.manual_seed(7)
        a = model.generate(prompt, 30, strategy="sample", **options)
        rb.manual_seed(7)
        b = model.generate(prompt, 30, strategy="sample", use_cache=False, **options)
        np.testing.assert_array_equal(a, b)
    rb.manual_seed(1)
    top1 = model.generate(prompt, 20, strategy="sample", top_k=1)
    np.testing.assert_array_equal(top1, cached[:, :36])
    print("sample:", repr(task.vocab.decode(model.generate(prompt[:1], 45,
                                                          strategy="sample", top_p=0.9)[0])))


def test_bad_input_raises_naming_it():
    rb.manual_seed(0)
    model = GPT(10, block_size=8, d_model=16, nhead=2, num_layers=1)
    with pytest.raises(ValueError, match="max_new_tokens"):
        model.generate(np.zeros((1, 4), np.int64), 6)
    with pytest.raises(ValueError, match="input_ids"):
        model.generate(np.zeros(4, np.int64), 2)
    with pytest.raises(ValueError, match="strategy"):
        model.generate(np.zeros((1, 2), np.int64), 2, strategy="beam")
    with pytest.raises(ValueError, match="max_len"):
        model(np.zeros((1, 9), np.int64))
    with pytest.raises(ValueError, match="divisible"):
        GPT(10, d_model=10, nhead=3)
    assert model.generate(np.zeros((1, 4), np.int64), 6, use_cache=False).shape == (1, 10)
