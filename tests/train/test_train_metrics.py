"""Metrics: accuracy (logits, probabilities, binary), top-k, mse, confusion matrix."""

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.train import accuracy, confusion_matrix, mean_squared_error, top_k_accuracy
from rosenblatt.train.metrics import get_metric, predicted_classes


def test_accuracy_from_logits_probabilities_and_tensors():
    logits = np.array([[2.0, -1.0, 0.5], [0.1, 0.3, -2.0], [-1.0, -2.0, 4.0], [1.0, 0.0, 0.0]])
    y = np.array([0, 1, 1, 0])
    assert accuracy(logits, y) == 0.75
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert accuracy(probabilities, y) == 0.75
    assert accuracy(rb.tensor(logits), rb.tensor(y)) == 0.75
    assert accuracy(logits, y.reshape(-1, 1)) == 0.75


def test_binary_accuracy_logits_probabilities_and_labels():
    y = np.array([1, 0, 1, 0])
    assert accuracy(np.array([2.5, -1.0, 0.3, -0.2]), y) == 1.0  # logits: threshold 0
    assert accuracy(np.array([[0.9], [0.2], [0.6], [0.4]]), y) == 1.0  # probabilities: 0.5
    assert accuracy(np.array([0.4, 0.1, 0.3, 0.2]), y, from_logits=True) == 0.5  # all > 0
    assert accuracy(np.array([1, 0, 0, 0]), y) == 0.75  # 0/1 predictions
    assert accuracy(np.array([True, False, True, True]), y.astype(np.float32)) == 0.75


def test_top_k_accuracy():
    scores = np.array([[0.1, 0.5, 0.4], [0.6, 0.3, 0.1], [0.1, 0.3, 0.6]])
    y = np.array([2, 2, 0])
    assert top_k_accuracy(scores, y, k=1) == 0.0
    assert top_k_accuracy(scores, y, k=2) == pytest.approx(1 / 3)
    assert top_k_accuracy(scores, y, k=3) == 1.0
    assert top_k_accuracy(scores, y, k=10) == 1.0
    with pytest.raises(ValueError, match="k must be"):
        top_k_accuracy(scores, y, k=0)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\)"):
        top_k_accuracy(scores, np.array([0, 1, 3]), k=2)


def test_mean_squared_error():
    assert mean_squared_error(np.array([1.0, 2.0, 4.0]), np.array([1.0, 0.0, 1.0])) == pytest.approx(13 / 3)
    assert mean_squared_error(np.ones((3, 1)), np.zeros(3)) == 1.0
    with pytest.raises(ValueError, match="does not match"):
        mean_squared_error(np.ones((3, 2)), np.zeros(3))


def test_confusion_matrix():
    y_true = np.array([0, 1, 2, 2, 1])
    y_pred = np.array([0, 2, 2, 2, 1])
    expected = np.array([[1, 0, 0], [0, 1, 1], [0, 0, 2]])
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred), expected)
    np.testing.assert_array_equal(confusion_matrix(y_true, np.eye(3)[y_pred] * 5.0), expected)
    padded = confusion_matrix(y_true, y_pred, num_classes=4)
    assert padded.shape == (4, 4) and padded.sum() == 5 and padded.dtype == np.int64
    with pytest.raises(ValueError, match="num_classes is 2"):
        confusion_matrix(y_true, y_pred, num_classes=2)
    with pytest.raises(ValueError, match=">= 0"):
        confusion_matrix(np.array([-1, 0]), np.array([0, 0]))


def test_bad_inputs_are_clear():
    with pytest.raises(ValueError, match="output has 2 samples, target has 3"):
        accuracy(np.zeros((2, 3)), np.zeros(3, np.int64))
    with pytest.raises(ValueError, match="non-integer"):
        accuracy(np.zeros((2, 3)), np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="zero samples"):
        accuracy(np.zeros((0, 3)), np.zeros(0, np.int64))
    with pytest.raises(ValueError, match=r"shape \(N, C\) or \(N,\)"):
        predicted_classes(np.zeros((2, 3, 4)))


def test_metric_names():
    assert get_metric("accuracy")[0] == "accuracy" and get_metric("acc")[1] is accuracy
    assert get_metric("mse")[1] is mean_squared_error
    name, fn = get_metric("top3_accuracy")
    assert name == "top3_accuracy" and fn(np.eye(4), np.arange(4)) == 1.0
    assert get_metric("top2")[0] == "top2_accuracy"
    assert get_metric(lambda o, t: 0.0)[0] == "<lambda>"
    with pytest.raises(ValueError, match="unknown metric 'top0'"):
        get_metric("top0")
    with pytest.raises(TypeError, match="a name or a callable"):
        get_metric(3)
