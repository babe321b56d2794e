"""Standardizer: training-split statistics, zero-variance features, arrays and Tensors."""

import numpy as np
import pytest

from rosenblatt.data import Standardizer
from rosenblatt.tensor import Tensor


def data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(loc=[3.0, -2.0, 100.0], scale=[0.5, 4.0, 20.0], size=(n, 3))
    X[:, 1] = 7.25  # a constant feature
    return X


def test_fit_statistics_and_transform():
    X = data()
    scaler = Standardizer().fit(X)
    np.testing.assert_allclose(scaler.mean_, X.mean(axis=0))
    np.testing.assert_allclose(scaler.var_, [X[:, 0].var(), 0.0, X[:, 2].var()])
    np.testing.assert_allclose(scaler.scale_, [X[:, 0].std(), 1.0, X[:, 2].std()])
    assert scaler.n_samples_seen_ == 200
    Z = scaler.transform(X)
    assert Z.dtype == np.float64
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z[:, [0, 2]].std(axis=0), 1.0)
    assert np.all(Z[:, 1] == 0.0)  # zero variance: exactly 0, no division by zero


def test_statistics_come_from_the_training_split_only():
    X = data()
    train, test = X[:150], X[150:] + 10.0
    scaler = Standardizer().fit(train)
    np.testing.assert_allclose(scaler.mean_, train.mean(axis=0))
    np.testing.assert_allclose(scaler.transform(test), (test - train.mean(0)) / scaler.scale_)


def test_inverse_transform_round_trip_and_matches_scikit_learn():
    X = data().astype(np.float32)
    scaler = Standardizer()
    Z = scaler.fit_transform(X)
    assert Z.dtype == np.float32
    np.testing.assert_allclose(scaler.inverse_transform(Z), X, rtol=1e-5)
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    np.testing.assert_allclose(Z, preprocessing.StandardScaler().fit_transform(X), rtol=1e-4, atol=1e-5)


def test_tensors_in_tensors_out_and_integer_input():
    pixels = np.random.default_rng(1).integers(0, 256, size=(50, 1, 4, 4)).astype(np.uint8)
    pixels[:, 0, 0, 0] = 0
    scaler = Standardizer().fit(Tensor(pixels))
    assert scaler.mean_.shape == (1, 4, 4)
    out = scaler.transform(Tensor(pixels))
    assert isinstance(out, Tensor) and out.dtype == np.float32 and out.shape == (50, 1, 4, 4)
    np.testing.assert_allclose(out.data.reshape(50, -1).mean(axis=0), 0.0, atol=1e-5)
    assert isinstance(scaler.transform(pixels), np.ndarray)


def test_with_mean_and_with_std_off():
    X = data()
    np.testing.assert_allclose(Standardizer(with_mean=False).fit_transform(X), X / Standardizer().fit(X).scale_)
    np.testing.assert_allclose(Standardizer(with_std=False).fit_transform(X), X - X.mean(axis=0))


def test_errors():
    scaler = Standardizer()
    with pytest.raises(RuntimeError, match="not fitted"):
        scaler.transform(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"reshape\(-1, 1\)"):
        scaler.fit(np.zeros(5))
    with pytest.raises(ValueError, match="0 samples"):
        scaler.fit(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="NaN"):
        scaler.fit(np.array([[1.0, np.nan]]))
    with pytest.raises(TypeError, match="numeric"):
        scaler.fit(np.array([["a", "b"]]))
    scaler.fit(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        scaler.transform(np.ones((4, 2)))
    with pytest.raises(TypeError):
        Standardizer(True)
