"""Encoder-decoder transformer on date translation: exact match, beam search, int8 quantization."""

import copy

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt import nn
from rosenblatt.models.transformer import DateTranslationTask, Seq2SeqTransformer, train_seq2seq


@pytest.fixture(scope="module")
def trained():
    rb.manual_seed(0)
    task = DateTranslationTask(n_train=20000, n_test=1000, seed=0)
    model = task.model(d_model=64, nhead=4, dim_feedforward=128, dropout=0.0)
    losses = train_seq2seq(model, task.src, task.tgt, steps=600, batch_size=64, lr=3e-3)
    assert losses[-1] < losses[0] / 50
    return task, model, task.exact_match(model)


def test_exact_match_on_1000_held_out_dates(trained):
    task, _, exact = trained
    assert len(task.test) == 1000
    held_out = {t for _, t in task.test}
    assert not held_out & {t for _, t in task.train}  # the held-out dates are unseen
    print(f"date translation: exact match {exact:.4f} on 1000 held-out dates (greedy)")
    assert exact >= 0.98


def test_beam_search_decodes_as_well_as_greedy(trained):
    task, model, _ = trained
    sources = [s for s, _ in task.test[:100]]
    targets = [t for _, t in task.test[:100]]
    greedy = task.translate(model, sources)
    beam = task.translate(model, sources, beam_width=4)
    assert task.translate(model, sources[:10], beam_width=1) == greedy[:10]
    exact_greedy = np.mean([p == t for p, t in zip(greedy, targets)])
    exact_beam = np.mean([p == t for p, t in zip(beam, targets)])
    print(f"first 100 held-out dates: greedy {exact_greedy:.2f}, beam 4 {exact_beam:.2f}")
    assert exact_beam >= 0.97 and exact_beam >= exact_greedy - 0.02
    assert all(len(p) == 10 for p in beam)


def test_int8_quantization_changes_exact_match_by_less_than_a_point(trained):
    task, model, exact = trained
    quantized = copy.deepcopy(model)
    replaced = nn.quantize_linear_layers(quantized)
    assert "generator" in replaced and any(name.endswith("linear1") for name in replaced)
    assert any(name.endswith("out_proj") for name in replaced)
    int8_exact = task.exact_match(quantized)
    print(f"exact match: float32 {exact:.4f}, int8 {int8_exact:.4f}")
    assert abs(int8_exact - exact) < 0.01


def test_bad_input_raises_naming_it():
    rb.manual_seed(0)
    model = Seq2SeqTransformer(12, 8, d_model=16, nhead=2, num_encoder_layers=1,
                               num_decoder_layers=1, dim_feedforward=16, max_len=10)
    with pytest.raises(ValueError, match="src must be"):
        model(np.zeros(5, np.int64), np.zeros((1, 3), np.int64))
    with pytest.raises(ValueError, match="tgt_in must be"):
        model(np.ones((1, 5), np.int64), np.zeros((1, 3)))
    with pytest.raises(ValueError, match="max_len"):
        model(np.ones((1, 11), np.int64), np.ones((1, 3), np.int64))
    with pytest.raises(ValueError, match="divisible"):
        Seq2SeqTransformer(12, 8, d_model=16, nhead=3)
