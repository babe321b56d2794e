"""GaussianNB against scikit-learn: identical predictions on digits and on generated data."""

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.classic import GaussianNB, NotFittedError

sklearn_naive_bayes = pytest.importorskip("sklearn.naive_bayes")


def digits_split():
    X, y = rb.data.load_digits()
    return rb.data.train_test_split(X, y, test_size=0.25, seed=0)


def generated(seed=0, n=600):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centers = rng.normal(0, 2, (3, 5))
    scales = rng.uniform(0.5, 2.0, (3, 5))
    return centers[y] + scales[y] * rng.standard_normal((n, 5)), np.array(["a", "b", "c"])[y]


@pytest.mark.parametrize("var_smoothing", [1e-9, 1e-2])
def test_digits_predictions_identical(var_smoothing):
    X_train, X_test, y_train, y_test = digits_split()
    ours = GaussianNB(var_smoothing=var_smoothing).fit(X_train, y_train)
    ref = sklearn_naive_bayes.GaussianNB(var_smoothing=var_smoothing).fit(
        X_train.astype(np.float64), y_train)
    np.testing.assert_array_equal(ours.predict(X_test), ref.predict(X_test.astype(np.float64)))
    np.testing.assert_array_equal(ours.classes_, ref.classes_)
    np.testing.assert_allclose(ours.theta_, ref.theta_, rtol=1e-12)
    np.testing.assert_allclose(ours.var_, ref.var_, rtol=1e-9)
    assert ours.score(X_test, y_test) > 0.75


def test_generated_predictions_and_probabilities_match():
    X, y = generated()
    ours = GaussianNB().fit(X[:400], y[:400])
    ref = sklearn_naive_bayes.GaussianNB().fit(X[:400], y[:400])
    np.testing.assert_array_equal(ours.predict(X[400:]), ref.predict(X[400:]))
    np.testing.assert_allclose(ours.predict_proba(X[400:]), ref.predict_proba(X[400:]),
                               rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(ours.predict_log_proba(X[400:]), ref.predict_log_proba(X[400:]),
                               rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(ours.class_prior_, ref.class_prior_)
    assert ours.score(X[400:], y[400:]) == pytest.approx(ref.score(X[400:], y[400:]))


def test_priors():
    X, y = generated(1)
    priors = [0.7, 0.2, 0.1]
    ours = GaussianNB(priors=priors).fit(X, y)
    ref = sklearn_naive_bayes.GaussianNB(priors=priors).fit(X, y)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=1e-8, atol=1e-12)
    with pytest.raises(ValueError, match="sum to 1"):
        GaussianNB(priors=[0.5, 0.2, 0.1]).fit(X, y)
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        GaussianNB(priors=[0.5, 0.5]).fit(X, y)


def test_bad_input():
    X, y = generated()
    with pytest.raises(NotFittedError):
        GaussianNB().predict(X)
    model = GaussianNB().fit(X, y)
    with pytest.raises(ValueError, match="4 features, but GaussianNB was fitted with 5"):
        model.predict(X[:, :4])
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        GaussianNB().fit(bad, y)
    with pytest.raises(ValueError, match="NaN or infinity"):
        model.predict_proba(bad)
    with pytest.raises(ValueError, match="samples but y has"):
        GaussianNB().fit(X, y[:-1])
    with pytest.raises(ValueError, match="var_smoothing"):
        GaussianNB(var_smoothing=-1.0).fit(X, y)
