"""Seq2seq with attention on date translation: quality, attention, beam search, heatmap, bad input."""

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.data import date_translation_split
from rosenblatt.models.attention import Attention
from rosenblatt.models.seq2seq import (
    Seq2Seq,
    exact_match,
    fit_seq2seq,
    length_bucketed_batches,
    plot_attention,
)
from rosenblatt.tensor import Tensor
from rosenblatt.text import CharVocab

TRAIN_SIZE, EPOCHS = 4000, 6


def build(attention, seed=0, **options):
    rb.manual_seed(seed)
    train, test = date_translation_split(TRAIN_SIZE, 1000, seed=0)
    source = CharVocab.build([s for s, _ in train])
    target = CharVocab.build([t for _, t in train], bos_eos=True)
    model = Seq2Seq(source, target, embedding_dim=32, hidden_size=64, attention=attention, **options)
    return model, train, test


@pytest.fixture(scope="module")
def trained():
    model, train, test = build("additive")
    fit_seq2seq(model, train, epochs=EPOCHS, lr=5e-3, batch_size=64)
    return model, test


def test_attention_reaches_95_percent_and_beats_no_attention(trained):
    model, test = trained
    accuracy = exact_match(model, test)
    baseline, train, _ = build(None)
    fit_seq2seq(baseline, train, epochs=EPOCHS, lr=5e-3, batch_size=64)  # the same budget
    baseline_accuracy = exact_match(baseline, test)
    print(f"exact match on 1000 held-out dates: attention {accuracy:.3f}, "
          f"none {baseline_accuracy:.3f}")
    assert accuracy >= 0.95
    assert accuracy > baseline_accuracy + 0.1


def test_beam_search_on_the_trained_model(trained):
    model, test = trained
    sources = [s for s, _ in test[:150]]
    greedy = model.decode(sources)
    beam = model.decode(sources, beam_width=4)
    assert (beam.scores >= greedy.scores - 1e-9).all()
    assert model.translate(sources, beam_width=1) == [model.target_vocab.decode(t) for t in greedy.tokens]
    assert exact_match(model, test[:150], beam_width=4) >= exact_match(model, test[:150]) - 0.01


def test_padding_changes_nothing_and_weights_are_a_distribution(trained):
    model, test = trained
    short, long = "3/7/21", "WEDNESDAY, SEPTEMBER 30, 1998"
    model.eval()
    with rb.no_grad():
        alone = model(*model.batch([short]), [[model.target_vocab.bos_id]])
        together = model(*model.batch([short, long]), [[model.target_vocab.bos_id]] * 2)
        np.testing.assert_allclose(together.data[0], alone.data[0], rtol=1e-5, atol=1e-5)
        state, memory = model.encode(*model.batch([short, long]))
        _, _, weights = model.decode_step([model.target_vocab.bos_id] * 2, state, memory)
    weights = weights.data
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-5)
    assert (weights[0, len(short):] == 0).all() and (weights[0, :len(short)] > 0).all()
    model.train()


def test_attention_heatmap_png(trained, tmp_path):
    pytest.importorskip("matplotlib")
    model, test = trained
    source_tokens, output_tokens, weights = model.attention_map(test[0][0])
    assert source_tokens == list(test[0][0])
    assert "".join(output_tokens[:-1]) == model.translate([test[0][0]])[0]
    assert weights.shape == (len(output_tokens), len(source_tokens))
    path = plot_attention(tmp_path / "attention.png", source_tokens, output_tokens, weights)
    with open(path, "rb") as png:
        assert png.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("score", ["additive", "dot", "general"])
def test_attention_scores_equal_a_numpy_reference(score):
    rb.manual_seed(1)
    B, S, Q, K = 3, 5, 4 if score != "dot" else 6, 6
    attention = Attention(Q, K, score, attention_size=7).double()
    rng = np.random.default_rng(0)
    query, keys = rng.normal(size=(B, Q)), rng.normal(size=(B, S, K))
    mask = np.arange(S)[None, :] < np.array([5, 3, 1])[:, None]
    context, weights = attention(Tensor(query), Tensor(keys), mask)
    if score == "additive":
        W = attention.query_projection.weight.data
        U, b = attention.key_projection.weight.data, attention.key_projection.bias.data
        v = attention.v.weight.data[0]
        e = np.tanh(query[:, None, :] @ W.T + keys @ U.T + b) @ v
    elif score == "dot":
        e = np.einsum("bq,bsq->bs", query, keys)
    else:
        e = np.einsum("bq,qk,bsk->bs", query, attention.key_projection.weight.data, keys)
    e = np.where(mask, e, -np.inf)
    expected = np.exp(e - e.max(1, keepdims=True))
    expected /= expected.sum(1, keepdims=True)
    np.testing.assert_allclose(weights.data, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(context.data, np.einsum("bs,bsk->bk", expected, keys), rtol=1e-10)


@pytest.mark.parametrize("attention, cell", [("dot", "gru"), ("general", "lstm"), ("additive", "lstm")])
def test_other_scores_and_cells_learn(attention, cell):
    model, train, _ = build(attention, cell=cell)
    pairs = train[:256]
    before = float(model.loss([s for s, _ in pairs], [t for _, t in pairs]).data)
    fit_seq2seq(model, pairs, epochs=3, lr=5e-3, batch_size=64)
    after = float(model.loss([s for s, _ in pairs], [t for _, t in pairs]).data)
    assert after < 0.8 * before


def test_gradients_reach_every_parameter():
    model, train, _ = build("additive")
    loss = model.loss([s for s, _ in train[:8]], [t for _, t in train[:8]])
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and np.isfinite(p.grad.data).all(), name


def test_bad_input():
    source = CharVocab.build(["abc"])
    target = CharVocab.build(["123"])
    with pytest.raises(ValueError, match="bos"):
        Seq2Seq(source, target)
    target = CharVocab.build(["123"], bos_eos=True)
    with pytest.raises(ValueError, match="attention must be"):
        Seq2Seq(source, target, attention="cosine")
    with pytest.raises(ValueError, match="cell must be"):
        Seq2Seq(source, target, cell="rnn")
    with pytest.raises(ValueError, match="hidden_size"):
        Seq2Seq(source, target, hidden_size=0)
    with pytest.raises(ValueError, match="query_size == key_size"):
        Attention(3, 4, "dot")
    model = Seq2Seq(source, target, hidden_size=8, embedding_dim=4, attention=None)
    with pytest.raises(ValueError, match="needs a model with attention"):
        model.attention_map("abc")
    with pytest.raises(ValueError, match="source_ids"):
        model.encode(np.zeros(3, dtype=np.int64), [3])
    with pytest.raises(TypeError, match="integer token ids"):
        model.encode(np.zeros((1, 3)), [3])
    with pytest.raises(IndexError, match="out of range"):
        model.encode(np.full((1, 3), 99), [3])
    with pytest.raises(IndexError, match="out of range"):
        model(np.ones((1, 3), np.int64), [3], np.full((1, 2), 99))
    with pytest.raises(ValueError, match="non-empty sequence of texts"):
        model.translate([])
    with pytest.raises(ValueError, match="non-empty sequence of texts"):
        model.translate("abc")
    with pytest.raises(ValueError, match="epochs and batch_size"):
        fit_seq2seq(model, [("abc", "123")], epochs=0)
    with pytest.raises(ValueError, match="pairs must not be empty"):
        exact_match(model, [])
    with pytest.raises(ValueError, match="weights must have shape"):
        plot_attention("x.png", ["a"], ["b"], np.zeros((2, 2)))
    attention = Attention(4, 4, "additive")
    with pytest.raises(ValueError, match="query must have shape"):
        attention(Tensor(np.zeros((2, 3), np.float32)), Tensor(np.zeros((2, 5, 4), np.float32)))
    with pytest.raises(ValueError, match="keys must have shape"):
        attention(Tensor(np.zeros((2, 4), np.float32)), Tensor(np.zeros((2, 5, 3), np.float32)))


def test_length_bucketed_batches_cover_each_item_once_with_similar_lengths():
    rb.manual_seed(0)
    lengths = np.random.default_rng(0).integers(5, 30, size=1000)
    batches = length_bucketed_batches(lengths, 32, pool=8)
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(1000))
    assert max(len(b) for b in batches) == 32
    spread = np.mean([np.ptp(lengths[b]) for b in batches])
    random_spread = np.mean([np.ptp(lengths[i:i + 32]) for i in range(0, 1000, 32)])
    assert spread < 0.5 * random_spread
    rb.manual_seed(0)
    assert all((a == b).all() for a, b in zip(batches, length_bucketed_batches(lengths, 32, pool=8)))
