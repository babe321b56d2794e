"""The bias-variance tool on y = sin(2 pi x) + noise with the polynomial degree as capacity,
checked against the decomposition's identities and a model whose bias and variance are known."""

import numpy as np
import pytest

from rosenblatt.classic import BasisFunctionRegression, bias_variance_decomposition
from rosenblatt.classic import plot_bias_variance

SIGMA = 0.3
DEGREES = [1, 3, 5, 7, 9]
X_TEST = np.linspace(0.05, 0.95, 100)[:, None]
F_TEST = np.sin(2 * np.pi * X_TEST[:, 0])


def draw(rng, n=30):
    x = rng.uniform(0, 1, (n, 1))
    return x, np.sin(2 * np.pi * x[:, 0]) + SIGMA * rng.standard_normal(n)


def polynomial(degree):
    return BasisFunctionRegression(basis="polynomial", degree=degree)


@pytest.fixture(scope="module")
def fresh_draws():
    return bias_variance_decomposition(polynomial, DEGREES, None, None, X_TEST, F_TEST,
                                       n_bootstrap=200, noise_variance=SIGMA ** 2,
                                       random_state=0, draw_training_set=draw)


def test_bias_falls_and_variance_rises_with_the_degree(fresh_draws):
    r = fresh_draws
    assert r.capacities == DEGREES
    assert r.bias2[0] > r.bias2[1] > r.bias2[2]             # the fit improves ...
    assert r.bias2[-1] < 0.05 * r.bias2[0]                  # ... and stays good
    assert (np.diff(r.variance[1:]) > 0).all()              # while the variance grows
    assert r.variance[-1] > 10 * r.variance[1]
    # The expected test error is U-shaped: its minimum is inside the grid.
    best = int(np.argmin(r.expected_error))
    assert 0 < best < len(DEGREES) - 1
    assert r.expected_error[0] > 1.5 * r.expected_error[best]
    assert r.expected_error[-1] > 1.5 * r.expected_error[best]


def test_the_decomposition_adds_up(fresh_draws):
    r = fresh_draws
    np.testing.assert_allclose(r.mse, r.bias2 + r.variance, rtol=1e-10)
    np.testing.assert_allclose(r.expected_error, r.mse + SIGMA ** 2, rtol=1e-12)
    assert r.noise == SIGMA ** 2


def test_expected_error_predicts_the_error_on_fresh_noisy_targets(fresh_draws):
    # Independent Monte Carlo: train degree-3 models on new sets, score them on
    # new noisy observations of the test points.
    rng = np.random.default_rng(123)
    errors = []
    for _ in range(300):
        model = polynomial(3).fit(*draw(rng))
        y_noisy = F_TEST + SIGMA * rng.standard_normal(len(F_TEST))
        errors.append(((model.predict(X_TEST) - y_noisy) ** 2).mean())
    assert abs(np.mean(errors) - fresh_draws.expected_error[1]) < 0.1 * fresh_draws.expected_error[1]


class MeanModel:
    """Predicts the training mean of y everywhere: bias and variance are known in closed form."""

    def fit(self, X, y):
        self.mean = y.mean()
        return self

    def predict(self, X):
        return np.full(len(X), self.mean)


def test_bootstrap_estimates_of_a_known_model():
    rng = np.random.default_rng(4)
    X = rng.uniform(0, 1, (200, 1))
    y = 2.0 + rng.standard_normal(200)
    f_test = np.linspace(1.0, 3.0, 50)
    r = bias_variance_decomposition(lambda _: MeanModel(), ["mean"], X, y, X[:50], f_test,
                                    n_bootstrap=400, random_state=0)
    # The bootstrap mean of the resample means is y.mean(); their variance y.var() / n.
    np.testing.assert_allclose(r.bias2[0], ((y.mean() - f_test) ** 2).mean(), rtol=0.02)
    np.testing.assert_allclose(r.variance[0], y.var() / 200, rtol=0.2)
    assert r.noise == 0 and r.expected_error[0] == r.mse[0]


def test_plot_writes_a_png(fresh_draws, tmp_path):
    pytest.importorskip("matplotlib")
    path = plot_bias_variance(fresh_draws, tmp_path / "bias_variance.png", xlabel="degree")
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_bad_input():
    x, y = draw(np.random.default_rng(0))
    with pytest.raises(ValueError, match="capacities must hold"):
        bias_variance_decomposition(polynomial, [], x, y, X_TEST, F_TEST)
    with pytest.raises(ValueError, match="n_bootstrap must be"):
        bias_variance_decomposition(polynomial, [1], x, y, X_TEST, F_TEST, n_bootstrap=1)
    with pytest.raises(ValueError, match="y_true_test must be"):
        bias_variance_decomposition(polynomial, [1], x, y, X_TEST, F_TEST[:-1])
    with pytest.raises(ValueError, match="y_train must be"):
        bias_variance_decomposition(polynomial, [1], x, y[:-1], X_TEST, F_TEST)
    with pytest.raises(ValueError, match="NaN or infinity"):
        bias_variance_decomposition(polynomial, [1], np.where(x > 0.5, np.inf, x), y, X_TEST,
                                    F_TEST)
    with pytest.raises(ValueError, match="features"):
        bias_variance_decomposition(polynomial, [1], np.hstack([x, x]), y, X_TEST, F_TEST)
    with pytest.raises(ValueError, match="noise_variance must be"):
        bias_variance_decomposition(polynomial, [1], x, y, X_TEST, F_TEST, noise_variance=-1.0)
    with pytest.raises(ValueError, match="as None when draw_training_set"):
        bias_variance_decomposition(polynomial, [1], x, y, X_TEST, F_TEST, draw_training_set=draw)
