"""Soft prompt tuning: prompt vectors prepended to a frozen model's input embeddings."""

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt import functional as F
from rosenblatt import nn


class MeanPoolClassifier(nn.Module):
    """Token embeddings, mean over positions, an MLP: follows rb.nn.prompt's protocol."""

    def __init__(self, vocab: int = 10, dim: int = 16) -> None:
        super().__init__()
        self.table = nn.Parameter(rb.randn(vocab, dim).data)
        self.head = nn.Sequential(nn.Linear(dim, 32), nn.ReLU(), nn.Linear(32, 2))

    def embed(self, ids):
        return self.table[np.asarray(ids)]

    def forward_embeddings(self, embeds):
        return self.head(embeds.mean(1))

    def forward(self, ids):
        return self.forward_embeddings(self.embed(ids))


def sequences(n, threshold, seed):
    """Digits 0..9 of length 6 labeled by whether their mean exceeds ``threshold``."""
    ids = np.random.default_rng(seed).integers(0, 10, (n, 6))
    return ids, (ids.mean(1) > threshold).astype(np.int64)


def fit(module, params, ids, labels, steps, lr):
    optimizer = rb.optim.Adam(params, lr=lr)
    for step in range(steps):
        batch = slice((step * 64) % len(ids), (step * 64) % len(ids) + 64)
        optimizer.zero_grad()
        F.cross_entropy(module(ids[batch]), labels[batch]).backward()
        optimizer.step()


def accuracy(module, ids, labels):
    with rb.no_grad():
        return float((module(ids).data.argmax(1) == labels).mean())


def test_soft_prompt_prepends_its_vectors():
    rb.manual_seed(0)
    prompt = nn.SoftPrompt(3, 4)
    embeds = rb.randn(2, 5, 4)
    out = prompt(embeds)
    assert out.shape == (2, 8, 4)
    np.testing.assert_array_equal(out.data[:, :3], np.broadcast_to(prompt.weight.data, (2, 3, 4)))
    np.testing.assert_array_equal(out.data[:, 3:], embeds.data)
    out.sum().backward()
    np.testing.assert_allclose(prompt.weight.grad.data, np.full((3, 4), 2.0))
    mask = prompt.extend_padding_mask(np.array([[False, False, True, True, True]] * 2))
    assert mask.shape == (2, 8) and not mask[:, :5].any() and mask[:, 5:].all()


def test_init_from_copies_rows_of_the_table():
    rb.manual_seed(0)
    table = np.arange(20, dtype=np.float32).reshape(5, 4)
    prompt = nn.SoftPrompt(6, 4, init_from=table)
    assert all(any((row == t).all() for t in table) for row in prompt.weight.data)


def test_prompt_tuning_adapts_a_frozen_model_to_a_shifted_task():
    rb.manual_seed(0)
    model = MeanPoolClassifier()
    ids, labels = sequences(2048, 4.5, seed=0)
    fit(model, list(model.parameters()), ids, labels, 300, 1e-2)
    test_ids, test_a = sequences(1000, 4.5, seed=1)
    assert accuracy(model, test_ids, test_a) > 0.93
    frozen = {k: v.data.copy() for k, v in model.state_dict().items()}

    _, shifted = sequences(2048, 5.5, seed=0)  # the same inputs, a higher threshold
    _, test_b = sequences(1000, 5.5, seed=1)
    before = accuracy(model, test_ids, test_b)
    tuned = nn.PromptTuned(model, num_virtual_tokens=2, init_from=model.table)
    assert [n for n, p in tuned.named_parameters() if p.requires_grad] == ["prompt.weight"]
    fit(tuned, [tuned.prompt.weight], ids, shifted, 300, 5e-2)
    after = accuracy(tuned, test_ids, test_b)
    print(f"shifted task: frozen model {before:.3f}, with a 2-vector soft prompt {after:.3f}")
    assert after > before + 0.05 and after > 0.9
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value.data, frozen[key])


def test_bad_arguments_raise_naming_them():
    with pytest.raises(ValueError, match="num_virtual_tokens"):
        nn.SoftPrompt(0, 4)
    with pytest.raises(ValueError, match="init_from"):
        nn.SoftPrompt(2, 4, init_from=np.zeros((3, 5)))
    with pytest.raises(ValueError, match="embeds must be"):
        nn.SoftPrompt(2, 4)(rb.randn(3, 4))
    with pytest.raises(TypeError, match="embed"):
        nn.PromptTuned(nn.Linear(2, 2), 3)


def test_prompt_tuning_wraps_a_frozen_gpt():
    rb.manual_seed(0)
    gpt = rb.models.GPT(vocab_size=12, block_size=16, d_model=16, nhead=2, num_layers=1)
    ids = np.random.default_rng(0).integers(0, 12, (3, 6))
    np.testing.assert_allclose(gpt.forward_embeddings(gpt.embed(ids)).data, gpt(ids).data)
    tuned = nn.PromptTuned(gpt, num_virtual_tokens=4, init_from=gpt.token_embedding.weight)
    logits = tuned(ids)
    assert logits.shape == (3, 10, 12)
    F.cross_entropy(logits[:, 4:].reshape(-1, 12), ids.reshape(-1)).backward()
    assert tuned.prompt.weight.grad is not None
    assert all(p.grad is None for p in gpt.parameters())
