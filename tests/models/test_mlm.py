"""Masked language modeling: the 15% / 80-10-10 masking statistics and a model beating the unigram one."""

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.models.mlm import IGNORE_INDEX, MaskedLMTask, mask_tokens


def test_masking_statistics():
    rng = np.random.default_rng(0)
    vocab, mask_id, pad = 50, 49, 0
    ids = rng.integers(1, 49, (400, 500))
    ids[:, -50:] = pad  # padding is never selected
    inputs, labels = mask_tokens(ids, mask_id=mask_id, special_ids={pad}, vocab_size=vocab,
                                 rng=np.random.default_rng(1))
    selected = labels != IGNORE_INDEX
    regular = ids != pad
    assert not selected[~regular].any() and (inputs[~regular] == pad).all()
    np.testing.assert_array_equal(labels[selected], ids[selected])
    np.testing.assert_array_equal(inputs[~selected], ids[~selected])
    n = regular.sum()
    assert abs(selected.sum() / n - 0.15) < 0.003  # 180,000 tokens: sd of the rate ~ 0.0008
    masked = inputs[selected] == mask_id
    changed = (inputs[selected] != ids[selected]) & ~masked
    same = inputs[selected] == ids[selected]
    k = selected.sum()
    assert abs(masked.sum() / k - 0.8) < 0.01
    # a random replacement equals the original 1 time in 48 and then counts as unchanged
    assert abs(changed.sum() / k - 0.1 * 47 / 48) < 0.007
    assert abs(same.sum() / k - (0.1 + 0.1 / 48)) < 0.007
    replacements = inputs[selected][changed]
    assert replacements.min() >= 1 and replacements.max() <= 48  # regular tokens only
    counts = np.bincount(replacements, minlength=49)[1:]
    assert counts.min() > 0.5 * counts.mean()  # uniform over the regular tokens


def test_masking_bad_input():
    with pytest.raises(TypeError, match="integers"):
        mask_tokens(np.zeros((2, 3)), mask_id=1, special_ids=(), vocab_size=4)
    with pytest.raises(ValueError, match="mask_prob"):
        mask_tokens(np.zeros((2, 3), np.int64), mask_id=1, special_ids=(), vocab_size=4,
                    mask_prob=1.0)


def test_mlm_beats_the_unigram_model_on_masked_validation_tokens():
    rb.manual_seed(0)
    task = MaskedLMTask(block_size=64)
    model = task.model(d_model=64, nhead=4, num_layers=2, dim_feedforward=128)
    task.train_model(model, steps=400, batch_size=32, lr=3e-3)
    scores = task.evaluate(model, windows=200)
    print(f"masked tokens ({scores['masked_tokens']}): MLM loss {scores['loss']:.3f}, accuracy "
          f"{scores['accuracy']:.3f}; unigram loss {scores['unigram_loss']:.3f}, accuracy "
          f"{scores['unigram_accuracy']:.3f}")
    assert scores["masked_tokens"] > 1500
    assert scores["loss"] < scores["unigram_loss"] - 0.15
    assert scores["accuracy"] > scores["unigram_accuracy"] + 0.05
