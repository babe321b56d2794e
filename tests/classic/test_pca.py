"""PCA against scikit-learn on digits: components up to sign, variances, transforms, whitening, errors."""

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.classic import PCA, NotFittedError

sklearn_decomposition = pytest.importorskip("sklearn.decomposition")


@pytest.fixture(scope="module")
def digits():
    X, _ = rb.data.load_digits()
    return X.astype(np.float64)


@pytest.mark.parametrize("n_components", [None, 1, 10, 0.5, 0.9, 0.95])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matches_sklearn(digits, n_components, dtype):
    X = digits.astype(dtype)
    ours = PCA(n_components=n_components).fit(X)
    ref = sklearn_decomposition.PCA(n_components=n_components, svd_solver="full").fit(X)
    assert ours.n_components_ == ref.n_components_
    tol = 1e-9 if dtype == np.float64 else 2e-4
    np.testing.assert_allclose(ours.explained_variance_ratio_, ref.explained_variance_ratio_,
                               rtol=tol, atol=tol)
    np.testing.assert_allclose(ours.explained_variance_, ref.explained_variance_, rtol=tol,
                               atol=tol * ref.explained_variance_[0])
    np.testing.assert_allclose(ours.singular_values_, ref.singular_values_, rtol=tol,
                               atol=tol * ref.singular_values_[0])
    np.testing.assert_allclose(ours.mean_, ref.mean_, rtol=tol, atol=tol)
    # Components with a distinct, non-zero variance are unique up to sign.
    distinct = ref.explained_variance_ > 1e-3 * ref.explained_variance_[0]
    signs = np.sign((ours.components_ * ref.components_).sum(axis=1))
    np.testing.assert_allclose((ours.components_ * signs[:, None])[distinct],
                               ref.components_[distinct], atol=100 * tol)
    np.testing.assert_allclose((ours.transform(X) * signs)[:, distinct],
                               ref.transform(X)[:, distinct], atol=1e3 * tol, rtol=tol)
    assert ours.transform(X).dtype == dtype


def test_whitening_and_inverse_transform(digits):
    ours = PCA(n_components=20, whiten=True).fit(digits)
    ref = sklearn_decomposition.PCA(n_components=20, whiten=True, svd_solver="full").fit(digits)
    Z = ours.transform(digits)
    np.testing.assert_allclose(Z.var(axis=0, ddof=1), np.ones(20), rtol=1e-9)
    signs = np.sign((ours.components_ * ref.components_).sum(axis=1))
    np.testing.assert_allclose(Z * signs, ref.transform(digits), atol=1e-7)
    np.testing.assert_allclose(ours.inverse_transform(Z), ref.inverse_transform(ref.transform(digits)),
                               atol=1e-8)
    np.testing.assert_allclose(ours.noise_variance_, ref.noise_variance_, rtol=1e-9)


def test_all_components_reconstruct_exactly():
    X = np.random.default_rng(0).standard_normal((30, 7))
    pca = PCA().fit(X)
    assert pca.n_components_ == 7 and pca.noise_variance_ == 0.0
    np.testing.assert_allclose(pca.inverse_transform(pca.fit_transform(X)), X, atol=1e-12)
    np.testing.assert_allclose(pca.components_ @ pca.components_.T, np.eye(7), atol=1e-12)
    assert pca.explained_variance_ratio_.sum() == pytest.approx(1.0)


def test_params_and_repr():
    pca = PCA(n_components=3)
    assert pca.get_params() == {"n_components": 3, "whiten": False}
    assert repr(pca.set_params(whiten=True)) == "PCA(n_components=3, whiten=True)"


def test_bad_input(digits):
    with pytest.raises(ValueError, match="n_components=65"):
        PCA(n_components=65).fit(digits)
    with pytest.raises(ValueError, match="n_components=6 must be between"):
        PCA(n_components=6).fit(digits[:5])
    for bad in (0, 1.0, 1.5, -0.5, "all", True):
        with pytest.raises(ValueError, match="n_components"):
            PCA(n_components=bad).fit(digits)
    with pytest.raises(NotFittedError):
        PCA().transform(digits)
    bad = digits.copy()
    bad[3, 4] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        PCA().fit(bad)
    bad[3, 4] = np.inf
    with pytest.raises(ValueError, match="NaN or infinity"):
        PCA().fit(bad)
    pca = PCA(n_components=5).fit(digits)
    with pytest.raises(ValueError, match="63 features, but PCA was fitted with 64"):
        pca.transform(digits[:, :63])
    with pytest.raises(ValueError, match="has 4 components"):
        pca.inverse_transform(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="must be 2-D"):
        pca.transform(digits[0])
    with pytest.raises(ValueError, match="at least 2"):
        PCA().fit(digits[:1])
    with pytest.raises(ValueError, match="must hold numbers"):
        PCA().fit(np.array([["a", "b"], ["c", "d"]]))
