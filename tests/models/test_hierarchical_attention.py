"""Hierarchical attention network on generated reviews: accuracy, attention on opinions, padding."""

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.data.reviews import NEGATIVE, POSITIVE, review_documents
from rosenblatt.models.hierarchical_attention import HierarchicalAttentionNetwork, batch_documents
from rosenblatt.text import WordVocab


def _polarity(sentence: str) -> int:
    words = sentence.split()
    if words[-1] in POSITIVE or words[-1] in NEGATIVE:
        value = 1 if words[-1] in POSITIVE else -1
        return -value if "not" in words else value
    return 0


def test_reviews_are_deterministic_and_labelled_by_their_opinions():
    documents, labels = review_documents(300, seed=4)
    again, labels_again = review_documents(300, seed=4)
    assert documents == again and (labels == labels_again).all()
    for document, label in zip(documents, labels):
        total = sum(_polarity(s) for s in document)
        assert total != 0 and label == int(total > 0) and 3 <= len(document) <= 7
    assert 0.4 < labels.mean() < 0.6
    with pytest.raises(ValueError, match="n must be"):
        review_documents(-1)


@pytest.fixture(scope="module")
def trained():
    rb.manual_seed(0)
    documents, labels = review_documents(2000, seed=0)
    vocab = WordVocab.build([s for d in documents for s in d])
    model = HierarchicalAttentionNetwork(len(vocab), 2, pad_id=vocab.pad_id)
    optimizer = rb.optim.Adam(model.parameters(), lr=5e-3)
    for _ in range(4):
        order = rb.random.generator().permutation(len(documents))
        for start in range(0, len(documents), 64):
            index = order[start:start + 64]
            loss = model.loss(batch_documents(vocab, [documents[i] for i in index]), labels[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model, vocab


def test_accuracy_on_held_out_documents_and_attention_on_opinions(trained):
    model, vocab = trained
    documents, labels = review_documents(1000, seed=1)
    batch = batch_documents(vocab, documents)
    accuracy = (model.predict(batch) == labels).mean()
    print(f"hierarchical attention accuracy on 1000 held-out reviews: {accuracy:.3f}")
    assert accuracy >= 0.95
    opinion, neutral = [], []
    for d, document in enumerate(documents):
        for s, sentence in enumerate(document):
            (opinion if _polarity(sentence) else neutral).append(model.sentence_weights[d, s])
    assert np.mean(opinion) > 2 * np.mean(neutral)
    assert np.allclose(model.sentence_weights.sum(1), 1, atol=1e-5)


def test_padding_changes_nothing(trained):
    model, vocab = trained
    short = ["the food was good", "we stayed 3 nights", "the bed was not clean"]
    long = ["we came by train"] * 6 + ["the staff was not rude at all really"]
    model.eval()
    with rb.no_grad():
        alone = model(*batch_documents(vocab, [short])).data
        together = model(*batch_documents(vocab, [short, long])).data
    model.train()
    np.testing.assert_allclose(together[0], alone[0], rtol=1e-5, atol=1e-6)
    assert (model.word_weights[0, 3:] == 0).all() and (model.sentence_weights[0, 3:] == 0).all()


def test_bad_input(trained):
    model, vocab = trained
    with pytest.raises(TypeError, match="documents must be"):
        batch_documents(vocab, ["a sentence"])
    with pytest.raises(ValueError, match="every document needs a sentence"):
        batch_documents(vocab, [[]])
    ids, words, sentences = batch_documents(vocab, [["the food was good"]])
    with pytest.raises(ValueError, match="expected ids"):
        model(ids[0], words, sentences)
    with pytest.raises(ValueError, match="sentence_counts"):
        model(ids, words, np.array([2]))
    with pytest.raises(ValueError, match="num_classes"):
        HierarchicalAttentionNetwork(10, 0)
