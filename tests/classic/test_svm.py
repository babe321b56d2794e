"""rb.classic.SVC and LinearSVC against scikit-learn on digits and generated data, and bad input."""

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.classic import SVC, ConvergenceWarning, LinearSVC, NotFittedError

sklearn_svm = pytest.importorskip("sklearn.svm")


@pytest.fixture(scope="module")
def digits_split():
    model_selection = pytest.importorskip("sklearn.model_selection")
    X, y = rb.data.load_digits()
    return model_selection.train_test_split(X, y, test_size=0.25, random_state=0)


@pytest.fixture(scope="module")
def standardized_digits(digits_split):
    X_train, X_test, y_train, y_test = digits_split
    mean, std = X_train.mean(0), X_train.std(0) + 1e-6
    return (X_train - mean) / std, (X_test - mean) / std, y_train, y_test


def blobs(n=150, classes=3, seed=0, spread=1.5):
    rng = np.random.default_rng(seed)
    centers = rng.uniform(-4, 4, (classes, 2))
    y = rng.integers(0, classes, n)
    return centers[y] + spread * rng.standard_normal((n, 2)), y


def test_rbf_svc_on_digits_matches_scikit_learn(digits_split):
    X_train, X_test, y_train, y_test = digits_split
    ours = SVC().fit(X_train, y_train)
    reference = sklearn_svm.SVC().fit(X_train, y_train)
    accuracy, accuracy_ref = ours.score(X_test, y_test), reference.score(X_test, y_test)
    assert accuracy >= 0.98 and abs(accuracy - accuracy_ref) <= 0.01, (accuracy, accuracy_ref)
    assert abs(len(ours.support_) - len(reference.support_)) <= 0.05 * len(reference.support_)
    np.testing.assert_array_equal(ours.classes_, np.arange(10))
    assert ours.n_support_.sum() == len(ours.support_) == len(ours.support_vectors_)
    assert ours.dual_coef_.shape == (9, len(ours.support_)) and ours.intercept_.shape == (45,)
    assert ours.n_iter_.shape == (45,) and ours.fit_status_ == 0
    np.testing.assert_array_equal(ours.support_vectors_, X_train[ours.support_])
    # Same dual problems, same solver family: the vote-based decision values agree.
    np.testing.assert_allclose(ours.decision_function(X_test[:50]),
                               reference.decision_function(X_test[:50]), atol=2e-2)


def test_one_vs_rest_on_digits(digits_split):
    X_train, X_test, y_train, y_test = digits_split
    model = SVC(multi_class="ovr").fit(X_train, y_train)
    scores = model.decision_function(X_test)
    assert scores.shape == (len(X_test), 10) and model.dual_coef_.shape == (10, len(model.support_))
    np.testing.assert_array_equal(model.predict(X_test), scores.argmax(1))
    assert model.score(X_test, y_test) >= 0.97
    # Each machine's decision value, rebuilt from the public attributes.
    K = np.exp(-model._kernel_params["gamma"] *
               ((X_test[:5, None, :].astype(np.float64) - model.support_vectors_) ** 2).sum(-1))
    np.testing.assert_allclose(K @ model.dual_coef_.T + model.intercept_, scores[:5], atol=1e-5)


@pytest.mark.parametrize("kernel, options", [
    ("linear", {}), ("poly", {"degree": 2, "coef0": 1.0}), ("rbf", {"gamma": 0.5}),
    ("sigmoid", {"gamma": 0.05, "coef0": -1.0})])
def test_binary_decision_values_match_scikit_learn(kernel, options):
    X, y = blobs(n=160, classes=2, seed=1, spread=2.0)
    ours = SVC(kernel=kernel, C=2.0, tol=1e-5, **options).fit(X, y)
    reference = sklearn_svm.SVC(kernel=kernel, C=2.0, tol=1e-5, **options).fit(X, y)
    X_new, _ = blobs(n=60, classes=2, seed=2, spread=3.0)
    np.testing.assert_allclose(ours.decision_function(X_new), reference.decision_function(X_new),
                               atol=1e-2, rtol=1e-2)
    np.testing.assert_allclose(ours.intercept_, reference.intercept_, atol=1e-2)
    assert abs(len(ours.support_) - len(reference.support_)) <= max(2, 0.05 * len(reference.support_))
    clear = np.abs(reference.decision_function(X_new)) > 1e-2   # away from the boundary
    np.testing.assert_array_equal(ours.predict(X_new)[clear], reference.predict(X_new)[clear])


def test_one_vs_one_layout_matches_scikit_learn():
    X, y = blobs(n=120, classes=4, seed=3)
    labels = np.array(["ant", "bee", "cat", "dog"])[y]        # any label type
    ours = SVC(C=1.0, gamma=0.5, tol=1e-5).fit(X, labels)
    reference = sklearn_svm.SVC(C=1.0, gamma=0.5, tol=1e-5).fit(X, labels)
    np.testing.assert_array_equal(ours.classes_, reference.classes_)
    np.testing.assert_array_equal(ours.support_, reference.support_)
    np.testing.assert_array_equal(ours.n_support_, reference.n_support_)
    np.testing.assert_allclose(ours.dual_coef_, reference.dual_coef_, atol=1e-3)
    np.testing.assert_allclose(ours.intercept_, reference.intercept_, atol=1e-3)
    for shape in ("ovo", "ovr"):
        ours.set_params(decision_function_shape=shape)
        reference.set_params(decision_function_shape=shape)
        np.testing.assert_allclose(ours.decision_function(X), reference.decision_function(X),
                                   atol=1e-3)
    np.testing.assert_array_equal(ours.predict(X), reference.predict(X))


def test_gamma_options():
    X, y = blobs(n=80, classes=2, seed=4)
    X = X * 3
    scale = 1.0 / (X.shape[1] * X.var())
    for gamma, value in (("scale", scale), ("auto", 0.5), (0.7, 0.7)):
        a = SVC(gamma=gamma).fit(X, y).decision_function(X)
        b = SVC(gamma=value).fit(X, y).decision_function(X)
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_max_iter_warns_and_reports():
    X, y = blobs(n=100, classes=2, seed=5, spread=3.0)
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        model = SVC(max_iter=2).fit(X, y)
    assert model.fit_status_ == 1 and model.n_iter_.tolist() == [2]


def test_linear_svc_on_standardized_digits(standardized_digits):
    X_train, X_test, y_train, y_test = standardized_digits
    ours = LinearSVC(random_state=0).fit(X_train, y_train)
    reference = sklearn_svm.LinearSVC(loss="hinge", max_iter=20000).fit(X_train, y_train)
    accuracy, accuracy_ref = ours.score(X_test, y_test), reference.score(X_test, y_test)
    assert accuracy >= accuracy_ref - 0.02, (accuracy, accuracy_ref)
    assert ours.coef_.shape == (10, 64) and ours.intercept_.shape == (10,)
    assert 1 <= ours.n_iter_ < 1000


def test_linear_svc_binary_reaches_the_hinge_optimum():
    X, y = blobs(n=200, classes=2, seed=6, spread=2.5)
    ours = LinearSVC(C=1.0, random_state=0, tol=1e-6, max_iter=300).fit(X, y)
    reference = sklearn_svm.LinearSVC(loss="hinge", C=1.0, max_iter=100000, tol=1e-8).fit(X, y)
    signs = np.where(y == 1, 1.0, -1.0)

    def objective(w, b):   # scikit-learn's: 1/2 ||(w, b)||^2 + C sum hinge (b regularized)
        return 0.5 * (w @ w + b * b) + np.maximum(0, 1 - signs * (X @ w + b)).sum()

    ours_value = objective(ours.coef_[0], ours.intercept_[0])
    best = objective(reference.coef_[0], reference.intercept_[0])
    assert ours_value <= best * 1.02, (ours_value, best)
    assert ours.decision_function(X).shape == (200,)
    assert (ours.predict(X) == y).mean() >= (reference.predict(X) == y).mean() - 0.02


@pytest.mark.parametrize("Model", [SVC, LinearSVC])
def test_bad_input(Model):
    X, y = blobs(n=40, classes=2, seed=7)
    with pytest.raises(NotFittedError):
        Model().predict(X)
    with pytest.raises(NotFittedError):
        Model().decision_function(X)
    for bad in (np.nan, np.inf):
        X_bad = X.copy()
        X_bad[3, 1] = bad
        with pytest.raises(ValueError, match="NaN or infinity"):
            Model().fit(X_bad, y)
    with pytest.raises(ValueError, match="at least 2"):
        Model().fit(X, np.zeros(len(X)))
    for C in (0, -1.0, np.nan, "1"):
        with pytest.raises(ValueError, match="C must be"):
            Model(C=C).fit(X, y)
    with pytest.raises(ValueError, match="samples but y has"):
        Model().fit(X, y[:-1])
    model = Model().fit(X, y)
    with pytest.raises(ValueError, match="3 features, but .* with 2 features"):
        model.predict(np.ones((2, 3)))
    with pytest.raises(ValueError, match="NaN or infinity"):
        model.predict(np.full((2, 2), np.nan))
    with pytest.raises(ValueError, match="2-D"):
        model.predict(np.ones(2))
    assert Model(C=3.0).get_params()["C"] == 3.0
    assert "C=3.0" in repr(Model(C=3.0))


def test_svc_bad_hyper_parameters():
    X, y = blobs(n=40, classes=2, seed=8)
    for params, message in [({"kernel": "cubic"}, "kernel must be one of"),
                            ({"gamma": "large"}, "gamma must be"),
                            ({"gamma": -1.0}, "gamma must be"),
                            ({"degree": 0}, "degree must be"),
                            ({"degree": 2.5}, "degree must be"),
                            ({"coef0": np.nan}, "coef0 must be"),
                            ({"tol": 0}, "tol must be"),
                            ({"max_iter": 0}, "max_iter must be"),
                            ({"multi_class": "crammer"}, "multi_class must be"),
                            ({"decision_function_shape": "both"}, "decision_function_shape")]:
        with pytest.raises(ValueError, match=message):
            SVC(**params).fit(X, y)
    with pytest.raises(ValueError, match="invalid parameter"):
        SVC().set_params(nu=0.5)


def test_linear_svc_bad_hyper_parameters():
    X, y = blobs(n=40, classes=2, seed=9)
    for params, message in [({"learning_rate": "adaptive"}, "learning_rate must be"),
                            ({"eta0": 0.0}, "eta0 must be"), ({"batch_size": 0}, "batch_size"),
                            ({"n_iter_no_change": 0}, "n_iter_no_change"),
                            ({"max_iter": -1}, "max_iter must be"),
                            ({"random_state": "seed"}, "random_state")]:
        with pytest.raises(ValueError, match=message):
            LinearSVC(**params).fit(X, y)


def test_float32_input_uses_a_float32_kernel_that_agrees_with_float64():
    X, y = blobs(n=150, classes=3, seed=10)
    X = X + 1e4        # a large common offset: the RBF kernel is computed around the mean
    ours32 = SVC(gamma=0.5, decision_function_shape="ovo").fit(X.astype(np.float32), y)
    ours64 = SVC(gamma=0.5, decision_function_shape="ovo").fit(X, y)
    assert ours32.support_vectors_.dtype == np.float32
    np.testing.assert_array_equal(ours32.support_, ours64.support_)
    np.testing.assert_allclose(ours32.decision_function(X), ours64.decision_function(X),
                               atol=2e-3)
    reference = sklearn_svm.SVC(gamma=0.5).fit(X, y)
    agree = ours32.predict(X.astype(np.float32)) == reference.predict(X)
    assert agree.mean() >= 0.99


def test_linear_svc_warns_without_convergence():
    X, y = blobs(n=60, classes=2, seed=11)
    with pytest.warns(ConvergenceWarning, match="did not reach tol"):
        model = LinearSVC(max_iter=2, random_state=0).fit(X, y)
    assert model.n_iter_ == 2
