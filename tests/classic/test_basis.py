"""Basis-function regression: PolynomialFeatures as scikit-learn's, the Gaussian and sigmoid
bases by their formulas, the regressor as scikit-learn's pipeline, and bad input."""

import numpy as np
import pytest

from rosenblatt.classic import (
    BasisFunctionRegression,
    GaussianFeatures,
    NotFittedError,
    PolynomialFeatures,
    SigmoidFeatures,
)

preprocessing = pytest.importorskip("sklearn.preprocessing")
linear_model = pytest.importorskip("sklearn.linear_model")


def sine(n=40, seed=0, noise=0.1):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (n, 1))
    return x, np.sin(2 * np.pi * x[:, 0]) + noise * rng.standard_normal(n)


@pytest.mark.parametrize("degree, include_bias", [
    (0, True), (1, True), (1, False), (2, True), (2, False), (3, True), (3, False)])
def test_polynomial_features_match_scikit_learn(degree, include_bias):
    X = np.random.default_rng(1).standard_normal((7, 3))
    ours = PolynomialFeatures(degree=degree, include_bias=include_bias).fit_transform(X)
    reference = preprocessing.PolynomialFeatures(degree=degree, include_bias=include_bias)
    np.testing.assert_allclose(ours, reference.fit_transform(X), rtol=1e-12)
    model = PolynomialFeatures(degree=degree, include_bias=include_bias).fit(X)
    np.testing.assert_array_equal(model.powers_, reference.powers_)
    assert model.n_output_features_ == reference.n_output_features_


def test_polynomial_features_keep_float32():
    X = np.arange(6, dtype=np.float32).reshape(3, 2)
    assert PolynomialFeatures(degree=2).fit_transform(X).dtype == np.float32


@pytest.mark.parametrize("Features, profile", [
    (GaussianFeatures, lambda u: np.exp(-u ** 2 / 2)),
    (SigmoidFeatures, lambda u: 1 / (1 + np.exp(-u)))])
def test_radial_bases_follow_their_formula(Features, profile):
    X = np.array([[0.0, 10.0], [1.0, 30.0], [0.25, 20.0]])
    features = Features(n_centers=5, width=2.0).fit(X)
    Phi = features.transform(X)
    assert Phi.shape == (3, 10)
    for j, (low, high) in enumerate([(0.0, 1.0), (10.0, 30.0)]):
        centers = np.linspace(low, high, 5)
        s = 2.0 * (high - low) / 4
        np.testing.assert_allclose(Phi[:, 5 * j:5 * j + 5],
                                   profile((X[:, j:j + 1] - centers) / s), rtol=1e-12)


def test_sigmoid_basis_does_not_overflow():
    features = SigmoidFeatures(n_centers=3, width=1e-3).fit(np.array([[0.0], [1.0]]))
    Phi = features.transform(np.array([[-1e6], [1e6]]))
    np.testing.assert_array_equal(Phi, [[0, 0, 0], [1, 1, 1]])


@pytest.mark.parametrize("alpha", [0.0, 0.01])
def test_polynomial_regression_equals_the_pipeline(alpha):
    x, y = sine()
    ours = BasisFunctionRegression(basis="polynomial", degree=5, alpha=alpha).fit(x, y)
    Phi = preprocessing.PolynomialFeatures(degree=5, include_bias=False).fit_transform(x)
    reference = (linear_model.Ridge(alpha=alpha) if alpha else linear_model.LinearRegression())
    reference.fit(Phi, y)
    np.testing.assert_allclose(ours.coef_, reference.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, reference.intercept_, atol=1e-6)
    x_new = np.linspace(0, 1, 11)[:, None]
    np.testing.assert_allclose(ours.predict(x_new), reference.predict(
        preprocessing.PolynomialFeatures(degree=5, include_bias=False).fit_transform(x_new)),
        atol=1e-6)


@pytest.mark.parametrize("basis", ["polynomial", "gaussian", "sigmoid"])
def test_every_basis_fits_a_sine(basis):
    x, y = sine(n=80, noise=0.05)
    model = BasisFunctionRegression(basis=basis, degree=7, n_centers=9, alpha=1e-6).fit(x, y)
    x_new = np.linspace(0.02, 0.98, 50)[:, None]
    assert np.abs(model.predict(x_new) - np.sin(2 * np.pi * x_new[:, 0])).max() < 0.15
    assert model.score(x, y) > 0.98
    # A straight line cannot: the basis is what buys the fit.
    assert BasisFunctionRegression(basis="polynomial", degree=1).fit(x, y).score(x, y) < 0.7


def test_multi_feature_gaussian_basis_is_additive():
    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, (200, 2))
    y = np.sin(3 * X[:, 0]) + X[:, 1] ** 2
    model = BasisFunctionRegression(basis="gaussian", n_centers=8, alpha=1e-4).fit(X, y)
    assert model.coef_.shape == (16,)
    assert model.score(X, y) > 0.99


def test_bad_input():
    x, y = sine()
    with pytest.raises(NotFittedError):
        BasisFunctionRegression().predict(x)
    with pytest.raises(NotFittedError):
        GaussianFeatures().transform(x)
    with pytest.raises(ValueError, match="basis must be one of"):
        BasisFunctionRegression(basis="fourier").fit(x, y)
    with pytest.raises(ValueError, match="degree must be an int >= 1"):
        BasisFunctionRegression(degree=0).fit(x, y)
    with pytest.raises(ValueError, match="degree must be an int >= 0"):
        PolynomialFeatures(degree=-1).fit(x)
    with pytest.raises(ValueError, match="leaves no features"):
        PolynomialFeatures(degree=0, include_bias=False).fit(x)
    with pytest.raises(ValueError, match="n_centers must be"):
        BasisFunctionRegression(basis="gaussian", n_centers=0).fit(x, y)
    with pytest.raises(ValueError, match="width must be"):
        SigmoidFeatures(width=0.0).fit(x)
    with pytest.raises(ValueError, match="NaN or infinity"):
        BasisFunctionRegression().fit(np.where(x > 0.5, np.nan, x), y)
    model = BasisFunctionRegression(basis="sigmoid").fit(x, y)
    with pytest.raises(ValueError, match="2 features, but .* 1 features"):
        model.predict(np.ones((3, 2)))
    with pytest.raises(ValueError, match="2 features"):
        PolynomialFeatures().fit(x).transform(np.ones((3, 2)))
