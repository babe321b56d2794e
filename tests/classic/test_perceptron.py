"""rb.classic.Perceptron and KernelPerceptron: XOR (the kernel one separates it, the primal
one cannot), Novikoff's bound, digits, the rule shared with rb.models.Perceptron, bad input."""

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.classic import KernelPerceptron, NotFittedError, Perceptron
from rosenblatt.models import Perceptron as ModulePerceptron

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
XOR_Y = np.array([0, 1, 1, 0])


@pytest.fixture(scope="module")
def digits_split():
    model_selection = pytest.importorskip("sklearn.model_selection")
    X, y = rb.data.load_digits()
    return model_selection.train_test_split(X, y, test_size=0.25, random_state=0)


def test_kernel_perceptron_separates_xor_and_the_primal_one_does_not():
    kernel = KernelPerceptron(kernel="poly", degree=2, gamma=1.0, coef0=1.0, random_state=0)
    kernel.fit(XOR_X, XOR_Y)
    assert kernel.converged_
    np.testing.assert_array_equal(kernel.predict(XOR_X), XOR_Y)
    assert (kernel.decision_function(XOR_X) > 0).tolist() == [False, True, True, False]
    primal = Perceptron(max_iter=500, random_state=0).fit(XOR_X, XOR_Y)
    assert not primal.converged_ and primal.n_iter_ == 500
    assert (primal.predict(XOR_X) == XOR_Y).mean() < 1
    # A linear kernel is the primal perceptron in disguise: it fails too.
    linear = KernelPerceptron(kernel="linear", max_iter=500, random_state=0).fit(XOR_X, XOR_Y)
    assert not linear.converged_ and (linear.predict(XOR_X) == XOR_Y).mean() < 1


def test_dual_coefficients_count_mistakes():
    model = KernelPerceptron(kernel="poly", degree=2, gamma=1.0, shuffle=False).fit(XOR_X, XOR_Y)
    signs = np.where(XOR_Y == 1, 1.0, -1.0)
    alpha = model.dual_coef_[0] * signs[model.support_]       # alpha_i y_i * y_i
    assert (alpha >= 1).all() and np.allclose(alpha, np.round(alpha))
    assert alpha.sum() == sum(model.mistakes_per_epoch_)
    assert model.intercept_[0] == (model.dual_coef_[0]).sum()  # b gathers y_i per mistake


def test_primal_perceptron_within_novikoffs_bound():
    rng = np.random.default_rng(1)
    w_true = np.array([1.0, -2.0, 0.5])
    X = rng.uniform(-1, 1, (300, 3))
    margins = X @ w_true
    keep = np.abs(margins) > 0.2
    X, y = X[keep], np.where(margins[keep] > 0, "yes", "no")
    model = Perceptron(random_state=0).fit(X, y)
    assert model.converged_ and (model.predict(X) == y).all()
    radius = np.sqrt((X ** 2).sum(1).max() + 1)
    gamma = 0.2 / np.linalg.norm(w_true)
    assert sum(model.mistakes_per_epoch_) <= (radius / gamma) ** 2
    assert model.coef_.shape == (1, 3) and model.decision_function(X).shape == (len(X),)
    np.testing.assert_array_equal(model.classes_, ["no", "yes"])


def test_digits(digits_split):
    X_train, X_test, y_train, y_test = digits_split
    primal = Perceptron(max_iter=50, averaged=True, random_state=0).fit(X_train, y_train)
    assert primal.score(X_test, y_test) >= 0.92
    assert primal.coef_.shape == (10, 64)
    kernel = KernelPerceptron(kernel="rbf", max_iter=30, random_state=0).fit(X_train, y_train)
    assert kernel.score(X_test, y_test) >= 0.97
    assert kernel.decision_function(X_test).shape == (len(X_test), 10)
    assert len(kernel.support_) < len(X_train)


def test_the_rule_is_shared_with_the_nn_module():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((120, 4))
    y = rng.integers(0, 3, 120)
    classic = Perceptron(max_iter=7, shuffle=False, averaged=True).fit(X, y)
    module = ModulePerceptron(4, 3, averaged=True, dtype=np.float64)
    module.fit(X, y, max_epochs=7, shuffle=False)
    np.testing.assert_allclose(module.weight.data, classic.coef_, rtol=1e-12)
    np.testing.assert_allclose(module.bias.data, classic.intercept_, rtol=1e-12)
    assert module.mistakes_per_epoch_ == classic.mistakes_per_epoch_


def test_random_state_makes_runs_repeatable():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((80, 3))
    y = (X[:, 0] + 0.5 * rng.standard_normal(80) > 0).astype(int)
    a = Perceptron(max_iter=5, random_state=7).fit(X, y).coef_
    b = Perceptron(max_iter=5, random_state=7).fit(X, y).coef_
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("Model", [Perceptron, KernelPerceptron])
def test_bad_input(Model):
    with pytest.raises(NotFittedError):
        Model().predict(XOR_X)
    with pytest.raises(ValueError, match="NaN or infinity"):
        Model().fit(np.where(XOR_X == 1, np.inf, 0), XOR_Y)
    with pytest.raises(ValueError, match="at least 2"):
        Model().fit(XOR_X, np.ones(4))
    with pytest.raises(ValueError, match="max_iter must be"):
        Model(max_iter=0).fit(XOR_X, XOR_Y)
    model = Model().fit(XOR_X, XOR_Y)
    with pytest.raises(ValueError, match="3 features"):
        model.predict(np.ones((1, 3)))
    with pytest.raises(ValueError, match="NaN or infinity"):
        model.decision_function(np.array([[np.nan, 0.0]]))


def test_kernel_perceptron_bad_kernel():
    with pytest.raises(ValueError, match="kernel must be one of"):
        KernelPerceptron(kernel="laplacian").fit(XOR_X, XOR_Y)
    with pytest.raises(ValueError, match="gamma must be"):
        KernelPerceptron(gamma=0.0).fit(XOR_X, XOR_Y)
