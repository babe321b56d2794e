"""The first model family trains to its quality bars on bundled data (fixed seeds, fixed 80/20 splits)."""

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.models import LogisticRegression, MLPClassifier, MLPRegressor, Perceptron
from rosenblatt.models.commands import prepared_split, train_classifier


@pytest.fixture(scope="module")
def digits():
    return prepared_split("digits")


@pytest.fixture(scope="module")
def mnist5k():
    return prepared_split("mnist5k")


def test_mlp_on_digits(digits):
    X_train, X_test, y_train, y_test = digits
    rb.manual_seed(0)
    model = MLPClassifier(64, (512, 256), 10, dropout=0.3)
    accuracy, history = train_classifier(model, X_train, y_train, X_test, y_test, epochs=40,
                                         lr=1e-3, batch_size=64, progress=False)
    assert accuracy >= 0.97, accuracy


@pytest.mark.slow
def test_mlp_on_mnist5k(mnist5k):
    X_train, X_test, y_train, y_test = mnist5k
    assert len(X_train) == 4000 and len(X_test) == 1000
    rb.manual_seed(0)
    model = MLPClassifier(784, (512, 256), 10, dropout=0.3)   # the CLI's defaults
    accuracy, _ = train_classifier(model, X_train, y_train, X_test, y_test, epochs=40, lr=1e-3,
                                   batch_size=64, progress=False)
    assert accuracy >= 0.94, accuracy


def test_logistic_regression_on_digits(digits):
    X_train, X_test, y_train, y_test = digits
    rb.manual_seed(0)
    model = LogisticRegression(64, 10)
    accuracy, _ = train_classifier(model, X_train, y_train, X_test, y_test, epochs=30, lr=1e-2,
                                   batch_size=64, progress=False)
    assert accuracy >= 0.95, accuracy


def test_binary_logistic_regression_probabilities():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 2)).astype(np.float32)
    y = (X @ np.array([2.0, -1.0]) + 0.3 > 0).astype(np.int64)
    rb.manual_seed(0)
    model = LogisticRegression(2)
    accuracy, _ = train_classifier(model, X[:300], y[:300], X[300:], y[300:], epochs=40, lr=0.05,
                                   batch_size=32, progress=False)
    assert accuracy >= 0.95
    p = model.predict_proba(rb.Tensor(X[:5]))
    assert p.shape == (5,) and ((p >= 0) & (p <= 1)).all()


def test_one_vs_rest_perceptron_on_digits(digits):
    X_train, X_test, y_train, y_test = digits
    rb.manual_seed(0)
    model = Perceptron(64, 10, averaged=True).fit(X_train, y_train, max_epochs=50)
    assert (model.predict(X_test) == y_test).mean() >= 0.90


def test_perceptron_converges_on_separable_data_within_novikoffs_bound():
    rng = np.random.default_rng(1)
    w_true = np.array([1.0, -2.0, 0.5])
    X = rng.uniform(-1, 1, (200, 3))
    margins = X @ w_true
    keep = np.abs(margins) > 0.2            # a margin gamma >= 0.2 / |w_true|
    X, y = X[keep], (margins[keep] > 0).astype(np.int64)
    rb.manual_seed(0)
    model = Perceptron(3, 2).fit(X, y, max_epochs=1000)
    assert model.converged_
    assert (model.predict(X) == y).all()
    radius = np.sqrt((X ** 2).sum(1).max() + 1)   # the bias as an extra input of 1
    gamma = 0.2 / np.sqrt((w_true ** 2).sum())
    assert model.updates_ <= (radius / gamma) ** 2


def test_perceptron_cannot_separate_xor_but_an_mlp_can():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array([0, 1, 1, 0])
    perceptron = Perceptron(2, 2).fit(X, y, max_epochs=200)
    assert not perceptron.converged_
    assert (perceptron.predict(X) == y).mean() < 1
    rb.manual_seed(0)
    mlp = MLPClassifier(2, (8,), 2, activation="tanh")
    optimizer = rb.optim.Adam(mlp.parameters(), lr=0.05)
    for _ in range(300):
        optimizer.zero_grad()
        loss = mlp.loss(mlp(rb.Tensor(X)), y)
        loss.backward()
        optimizer.step()
    assert (mlp.predict(rb.Tensor(X)) == y).all()


def test_mlp_regressor_fits_a_smooth_function():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, (256, 1)).astype(np.float32)
    y = np.sin(X)
    rb.manual_seed(0)
    model = MLPRegressor(1, (32, 32), 1, activation="tanh", init="xavier")
    optimizer = rb.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(400):
        optimizer.zero_grad()
        loss = model.loss(model(rb.Tensor(X)), y)
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.01


def test_pytorch_layout_state_dict_loads_into_an_mlp():
    rng = np.random.default_rng(0)
    # PyTorch's nn.Sequential(Linear(4, 8), BatchNorm1d(8), ReLU(), Linear(8, 3)) under `layers`
    state = {
        "layers.0.weight": rng.standard_normal((8, 4)).astype(np.float32),
        "layers.0.bias": rng.standard_normal(8).astype(np.float32),
        "layers.1.weight": rng.uniform(0.5, 1.5, 8).astype(np.float32),
        "layers.1.bias": rng.standard_normal(8).astype(np.float32),
        "layers.1.running_mean": rng.standard_normal(8).astype(np.float32),
        "layers.1.running_var": rng.uniform(0.5, 2, 8).astype(np.float32),
        "layers.1.num_batches_tracked": np.array(10, dtype=np.int64),
        "layers.3.weight": rng.standard_normal((3, 8)).astype(np.float32),
        "layers.3.bias": rng.standard_normal(3).astype(np.float32),
    }
    model = MLPClassifier(4, (8,), 3, batch_norm=True)
    model.load_state_dict(state, strict=True)
    model.eval()
    x = rng.standard_normal((5, 4)).astype(np.float32)
    h = x @ state["layers.0.weight"].T + state["layers.0.bias"]
    h = (h - state["layers.1.running_mean"]) / np.sqrt(state["layers.1.running_var"] + 1e-5)
    h = np.maximum(h * state["layers.1.weight"] + state["layers.1.bias"], 0)
    expected = h @ state["layers.3.weight"].T + state["layers.3.bias"]
    np.testing.assert_allclose(model(rb.Tensor(x)).data, expected, rtol=1e-5, atol=1e-5)


def test_bad_model_arguments():
    with pytest.raises(ValueError, match="activation"):
        MLPClassifier(4, (8,), 3, activation="swish")
    with pytest.raises(ValueError, match="dropout"):
        MLPClassifier(4, (8,), 3, dropout=1.0)
    with pytest.raises(ValueError, match="features"):
        Perceptron(3, 2).fit(np.ones((4, 2)), np.zeros(4, dtype=np.int64))
    with pytest.raises(ValueError, match="NaN"):
        Perceptron(2, 2).fit(np.full((4, 2), np.nan), np.zeros(4, dtype=np.int64))
    with pytest.raises(ValueError, match="labels"):
        Perceptron(2, 2).fit(np.ones((4, 2)), np.array([0, 1, 2, 0]))
