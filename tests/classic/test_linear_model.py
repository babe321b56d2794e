"""rb.classic.LinearRegression, Ridge and LogisticRegression against scikit-learn, and bad input."""

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.classic import ConvergenceWarning, LinearRegression, LogisticRegression, NotFittedError, Ridge

linear_model = pytest.importorskip("sklearn.linear_model")


def regression_data(n=80, d=5, targets=None, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * rng.uniform(0.5, 3, d) + rng.uniform(-2, 2, d)
    W = rng.standard_normal((d,) if targets is None else (d, targets))
    return X, X @ W + 1.5 + 0.1 * rng.standard_normal(W.shape[1:] and (n, targets) or n)


@pytest.mark.parametrize("targets", [None, 3])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_linear_regression_matches_scikit_learn(targets, fit_intercept):
    X, y = regression_data(targets=targets)
    ours = LinearRegression(fit_intercept=fit_intercept).fit(X, y)
    reference = linear_model.LinearRegression(fit_intercept=fit_intercept).fit(X, y)
    np.testing.assert_allclose(ours.coef_, reference.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, reference.intercept_, atol=1e-6)
    np.testing.assert_allclose(ours.predict(X), reference.predict(X), atol=1e-6)
    if targets is None:
        assert abs(ours.score(X, y) - reference.score(X, y)) < 1e-9


def test_rank_deficient_least_squares_is_the_minimum_norm_solution():
    X, y = regression_data()
    X = np.hstack([X, X[:, :1], 2 * X[:, 1:2]])           # two dependent columns
    ours = LinearRegression().fit(X, y)
    reference = linear_model.LinearRegression().fit(X, y)
    np.testing.assert_allclose(ours.coef_, reference.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, reference.intercept_, atol=1e-6)
    Xc = X - X.mean(0)
    np.testing.assert_allclose(ours.coef_, np.linalg.lstsq(Xc, y - y.mean(), rcond=None)[0],
                               atol=1e-8)


@pytest.mark.parametrize("targets", [None, 2])
@pytest.mark.parametrize("alpha", [0.0, 0.1, 10.0])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_ridge_matches_scikit_learn(targets, alpha, fit_intercept):
    X, y = regression_data(targets=targets, seed=1)
    ours = Ridge(alpha=alpha, fit_intercept=fit_intercept).fit(X, y)
    reference = linear_model.Ridge(alpha=alpha, fit_intercept=fit_intercept).fit(X, y)
    np.testing.assert_allclose(ours.coef_, reference.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, reference.intercept_, atol=1e-6)


def test_ridge_on_float32_input_computes_in_float64():
    X, y = regression_data(seed=2)
    ours = Ridge(alpha=1.0).fit(X.astype(np.float32), y)
    reference = linear_model.Ridge(alpha=1.0).fit(X.astype(np.float32).astype(np.float64), y)
    assert ours.coef_.dtype == np.float64
    np.testing.assert_allclose(ours.coef_, reference.coef_, atol=1e-6)


def classification_data(n=300, classes=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    W = rng.standard_normal((3, classes)) * 2
    y = (X @ W + rng.gumbel(size=(n, classes))).argmax(1)
    return X, y


@pytest.mark.parametrize("classes", [2, 3])
def test_logistic_regression_reaches_scikit_learns_optimum(classes):
    X, y = classification_data(classes=classes)
    ours = LogisticRegression(C=0.5, tol=1e-7, max_iter=20000).fit(X, y)
    reference = linear_model.LogisticRegression(C=0.5, tol=1e-10, max_iter=10000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, reference.coef_, atol=1e-4)
    np.testing.assert_allclose(ours.intercept_, reference.intercept_, atol=1e-4)
    np.testing.assert_allclose(ours.predict_proba(X), reference.predict_proba(X), atol=1e-5)
    np.testing.assert_allclose(ours.predict_proba(X).sum(1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(ours.predict_log_proba(X), np.log(ours.predict_proba(X)))
    np.testing.assert_array_equal(ours.predict(X), reference.predict(X))


def test_logistic_regression_one_vs_rest():
    X, y = classification_data(classes=3, seed=1)
    ours = LogisticRegression(multi_class="ovr", tol=1e-7, max_iter=20000).fit(X, y)
    # One-vs-rest is a binary problem per class: each row is that binary model.
    for c in range(3):
        binary = LogisticRegression(tol=1e-7, max_iter=20000).fit(X, (y == c).astype(int))
        np.testing.assert_allclose(ours.coef_[c], binary.coef_[0], atol=1e-5)
    p = ours.predict_proba(X)
    np.testing.assert_allclose(p.sum(1), 1.0)
    np.testing.assert_array_equal(ours.predict(X), p.argmax(1))


def test_logistic_regression_on_digits():
    model_selection = pytest.importorskip("sklearn.model_selection")
    X, y = rb.data.load_digits()
    X_train, X_test, y_train, y_test = model_selection.train_test_split(X, y, test_size=0.25,
                                                                        random_state=0)
    ours = LogisticRegression(max_iter=3000, tol=1e-3).fit(X_train, y_train)
    reference = linear_model.LogisticRegression(max_iter=5000).fit(X_train, y_train)
    accuracy, accuracy_ref = ours.score(X_test, y_test), reference.score(X_test, y_test)
    assert accuracy >= 0.95 and abs(accuracy - accuracy_ref) <= 0.015, (accuracy, accuracy_ref)


def test_logistic_regression_warns_without_convergence():
    X, y = classification_data()
    with pytest.warns(ConvergenceWarning, match="did not reach tol"):
        model = LogisticRegression(max_iter=3).fit(X, y)
    assert model.n_iter_ == 3


@pytest.mark.parametrize("Model", [LinearRegression, Ridge, LogisticRegression])
def test_bad_input(Model):
    X, y = classification_data(n=30)
    with pytest.raises(NotFittedError):
        Model().predict(X)
    for bad in (np.nan, -np.inf):
        X_bad = X.copy()
        X_bad[0, 0] = bad
        with pytest.raises(ValueError, match="NaN or infinity"):
            Model().fit(X_bad, y)
    with pytest.raises(ValueError, match="samples but y has"):
        Model().fit(X, y[:-2])
    model = Model().fit(X, y)
    with pytest.raises(ValueError, match="4 features, but .* 3 features"):
        model.predict(np.ones((2, 4)))
    with pytest.raises(ValueError, match="2-D"):
        model.predict(np.ones(3))


def test_bad_targets_and_hyper_parameters():
    X, y = regression_data(n=20)
    with pytest.raises(ValueError, match="y contains NaN"):
        LinearRegression().fit(X, np.where(y > 0, np.nan, y))
    with pytest.raises(ValueError, match="y must be 1-D or 2-D"):
        Ridge().fit(X, np.ones((20, 2, 2)))
    with pytest.raises(ValueError, match="alpha must be"):
        Ridge(alpha=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="fit_intercept must be a bool"):
        LinearRegression(fit_intercept="yes").fit(X, y)
    Xc, yc = classification_data(n=30)
    with pytest.raises(ValueError, match="at least 2"):
        LogisticRegression().fit(Xc, np.zeros(30))
    for params, message in [({"C": 0}, "C must be"), ({"lr": "fast"}, "lr must be"),
                            ({"lr": -0.1}, "lr must be"), ({"tol": np.inf}, "tol must be"),
                            ({"multi_class": "auto"}, "multi_class must be")]:
        with pytest.raises(ValueError, match=message):
            LogisticRegression(**params).fit(Xc, yc)


def test_multi_output_score_is_the_mean_of_per_output_r2():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(3)
    X = rng.standard_normal((60, 3))
    Y = np.stack([X @ [1.0, 2.0, 0.0], 100 * X @ [0.0, 1.0, -1.0]], axis=1) + rng.standard_normal((60, 2))
    model = Ridge(alpha=5.0).fit(X, Y)
    expected = sklearn_metrics.r2_score(Y, model.predict(X))      # uniform average over outputs
    assert model.score(X, Y) == pytest.approx(expected, rel=1e-12)
