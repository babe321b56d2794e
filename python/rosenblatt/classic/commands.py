"""``rosenblatt train kmeans | gmm | knn | svm | pca``: classical models on bundled or generated data.

Each command loads the dataset (the bundled digits, raw pixels 0..16, or
``blobs``: iris-like generated measurements, 3 species x 50 flowers x 4
features), splits it 75/25 with a fixed seed, fits on the training part,
prints the test metric and, with ``--json``, ends with the one-line summary.
``--plot`` draws the 2-D PCA projection of the data (clusters and their
centers; decision regions of a copy of the classifier fitted in that plane;
the cumulative explained variance). ``--save`` writes every array of the
fitted model (attribute name -> array) and its hyper-parameters to a
safetensors file (never pickle).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from rosenblatt.cli import positive_float, positive_int
from rosenblatt.plotting import new_figure, save_figure

DATASETS = ("digits", "blobs")

# Iris-like species: per-feature means and standard deviations (sepal length/width, petal
# length/width, cm), close to Fisher's measurements.
_SPECIES_MEANS = np.array([[5.01, 3.43, 1.46, 0.25], [5.94, 2.77, 4.26, 1.33],
                           [6.59, 2.97, 5.55, 2.03]])
_SPECIES_STDS = np.array([[0.35, 0.38, 0.17, 0.11], [0.52, 0.31, 0.47, 0.20],
                          [0.64, 0.32, 0.55, 0.27]])


def _components(text: str) -> int | float:
    """An int >= 1 (a count) or a fraction in (0, 1) (variance to keep)."""
    value = float(text)
    if value.is_integer() and value >= 1:
        return int(value)
    if 0 < value < 1:
        return value
    raise argparse.ArgumentTypeError(f"must be an int >= 1 or a fraction in (0, 1), got {text}")


def _gamma(text: str) -> str | float:
    return text if text in ("scale", "auto") else positive_float(text)


def load_blobs(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Iris-like blobs: (150, 4) float64 measurements and their species 0, 1, 2."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), 50)
    return _SPECIES_MEANS[y] + _SPECIES_STDS[y] * rng.standard_normal((150, 4)), y


def load(dataset: str, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, X_test, y_train, y_test): the dataset split 75/25 (fixed by ``seed``)."""
    from rosenblatt.data import load_digits, train_test_split

    X, y = load_digits() if dataset == "digits" else load_blobs(seed)
    return train_test_split(X.astype(np.float64), y, test_size=0.25, seed=seed)


def _pairs(counts: np.ndarray) -> float:
    """Number of unordered pairs, ``sum C(c, 2)``, within groups of the given sizes."""
    return float((counts * (counts - 1) / 2).sum())


def adjusted_rand_index(labels_true, labels_pred) -> float:
    """Agreement of two partitions corrected for chance (1 identical, about 0 random).

    ``ARI = (sum_ij C(n_ij, 2) - E) / ((sum_i C(a_i, 2) + sum_j C(b_j, 2)) / 2 - E)`` with
    ``n_ij`` the contingency table, ``a, b`` its margins and ``E = sum_i C(a_i, 2)
    sum_j C(b_j, 2) / C(n, 2)``.
    """
    _, true = np.unique(labels_true, return_inverse=True)
    _, pred = np.unique(labels_pred, return_inverse=True)
    table = np.zeros((true.max() + 1, pred.max() + 1))
    np.add.at(table, (true, pred), 1)
    both, rows, cols = _pairs(table), _pairs(table.sum(axis=1)), _pairs(table.sum(axis=0))
    expected = rows * cols / _pairs(np.array([len(true)]))
    maximum = (rows + cols) / 2
    return 1.0 if maximum == expected else float((both - expected) / (maximum - expected))


def save_model(path: str, model) -> None:
    """Every array attribute of ``model`` and its hyper-parameters in a safetensors file."""
    import safetensors.numpy

    from rosenblatt.train.atomic import write_atomic

    arrays = {name: np.ascontiguousarray(value) for name, value in vars(model).items()
              if isinstance(value, np.ndarray) and value.dtype.kind in "biuf"}
    params = {name: value for name, value in model.get_params().items()
              if not isinstance(value, np.ndarray)}
    metadata = {"format": "rosenblatt.classic", "class": type(model).__name__,
                "params": json.dumps(params, default=str)}
    write_atomic(path, safetensors.numpy.save(arrays, metadata=metadata))


# -- plots ---------------------------------------------------------------------
def _plane(X_train: np.ndarray):
    from rosenblatt.classic import PCA

    return PCA(n_components=2).fit(X_train)


def plot_clusters(path: str, X: np.ndarray, labels: np.ndarray, centers: np.ndarray,
                  title: str) -> None:
    """Samples in the 2-D PCA plane colored by cluster, centers as crosses."""
    plane = _plane(X)
    figure, (axes,) = new_figure(width=5.5, height=4.5)
    points, marks = plane.transform(X), plane.transform(centers)
    axes.scatter(points[:, 0], points[:, 1], c=labels, cmap="tab10", s=8, alpha=0.7)
    axes.scatter(marks[:, 0], marks[:, 1], c="black", marker="x", s=80, linewidths=2)
    axes.set_xlabel("PC 1")
    axes.set_ylabel("PC 2")
    axes.set_title(title)
    save_figure(figure, path)


def plot_decision_regions(path: str, model, X_train, y_train, X_test, y_test, title: str) -> float:
    """Regions of a copy of ``model`` fitted on the 2-D PCA projection; returns its test accuracy."""
    plane = _plane(X_train)
    train2, test2 = plane.transform(X_train), plane.transform(X_test)
    flat = type(model)(**model.get_params()).fit(train2, y_train)
    low, high = train2.min(axis=0) - 1, train2.max(axis=0) + 1
    gx, gy = np.meshgrid(np.linspace(low[0], high[0], 150), np.linspace(low[1], high[1], 150))
    regions = flat.predict(np.column_stack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
    accuracy = flat.score(test2, y_test)
    figure, (axes,) = new_figure(width=5.5, height=4.5)
    levels = np.arange(len(flat.classes_) + 1) - 0.5
    codes = np.searchsorted(flat.classes_, regions)
    axes.contourf(gx, gy, codes, levels=levels, cmap="tab10", alpha=0.3)
    axes.scatter(test2[:, 0], test2[:, 1], c=np.searchsorted(flat.classes_, y_test), cmap="tab10",
                 vmin=0, vmax=len(flat.classes_) - 1, s=10, edgecolors="k", linewidths=0.3)
    axes.set_xlabel("PC 1")
    axes.set_ylabel("PC 2")
    axes.set_title(f"{title}\n(refitted in the PCA plane: test accuracy {accuracy:.3f})")
    save_figure(figure, path)
    return accuracy


def plot_pca(path: str, pca, X: np.ndarray, y: np.ndarray) -> None:
    """Cumulative explained variance ratio, and the samples on the first two components."""
    figure, (left, right) = new_figure(2, width=5.5, height=4.5)
    ratio = np.cumsum(pca.explained_variance_ratio_)
    left.plot(np.arange(1, len(ratio) + 1), ratio, marker="o", markersize=3)
    left.set_xlabel("components")
    left.set_ylabel("cumulative explained variance ratio")
    left.grid(True, alpha=0.3)
    points = _plane(X).transform(X)
    right.scatter(points[:, 0], points[:, 1], c=y, cmap="tab10", s=8, alpha=0.7)
    right.set_xlabel("PC 1")
    right.set_ylabel("PC 2")
    save_figure(figure, path)


# -- commands ------------------------------------------------------------------
def _finish(args, model, name: str, iterations: int | None, test: dict, start: float) -> int:
    from rosenblatt.cli import report

    if args.save:
        save_model(args.save, model)
    report(args, model=name, dataset=args.dataset, epochs=iterations, test=test,
           seconds=time.perf_counter() - start)
    return 0


def _kmeans(args: argparse.Namespace) -> int:
    from rosenblatt.classic import KMeans

    start = time.perf_counter()
    X_train, X_test, y_train, y_test = load(args.dataset, args.seed)
    k = args.n_clusters or len(np.unique(y_train))
    model = KMeans(n_clusters=k, n_init=args.n_init, max_iter=args.max_iter,
                   random_state=args.seed).fit(X_train)
    labels = model.predict(X_test)
    print(f"{k} clusters, {model.n_iter_} iterations, train inertia {model.inertia_:.1f}")
    if args.plot:
        plot_clusters(args.plot, X_test, labels, model.cluster_centers_,
                      f"k-means (k={k}) on {args.dataset} test samples")
    test = {"adjusted_rand_index": round(adjusted_rand_index(y_test, labels), 4),
            "inertia_per_sample": round(-model.score(X_test) / len(X_test), 4)}
    return _finish(args, model, "kmeans", model.n_iter_, test, start)


def _gmm(args: argparse.Namespace) -> int:
    from rosenblatt.classic import GaussianMixture

    start = time.perf_counter()
    X_train, X_test, y_train, y_test = load(args.dataset, args.seed)
    k = args.n_components or len(np.unique(y_train))
    model = GaussianMixture(n_components=k, covariance_type=args.covariance_type,
                            reg_covar=args.reg_covar, max_iter=args.max_iter, n_init=args.n_init,
                            random_state=args.seed).fit(X_train)
    labels = model.predict(X_test)
    print(f"{k} {args.covariance_type} components, {model.n_iter_} EM iterations"
          f"{' (converged)' if model.converged_ else ''}; train BIC {model.bic(X_train):.1f}")
    if args.plot:
        plot_clusters(args.plot, X_test, labels, model.means_,
                      f"Gaussian mixture (k={k}, {args.covariance_type}) on {args.dataset}")
    test = {"log_likelihood": round(model.score(X_test), 4),
            "adjusted_rand_index": round(adjusted_rand_index(y_test, labels), 4)}
    return _finish(args, model, "gmm", model.n_iter_, test, start)


def _classifier(args, model, name: str, X_train, X_test, y_train, y_test, start) -> int:
    accuracy = model.score(X_test, y_test)
    if args.plot:
        plot_decision_regions(args.plot, model, X_train, y_train, X_test, y_test,
                              f"{name} on {args.dataset}")
    return _finish(args, model, name, None, {"accuracy": round(accuracy, 4)}, start)


def _knn(args: argparse.Namespace) -> int:
    from rosenblatt.classic import KNeighborsClassifier, select_n_neighbors
    from rosenblatt.data import train_test_split

    start = time.perf_counter()
    X_train, X_test, y_train, y_test = load(args.dataset, args.seed)
    model = KNeighborsClassifier(metric=args.metric, p=args.p, weights=args.weights)
    if args.n_neighbors is None:
        X_fit, X_val, y_fit, y_val = train_test_split(X_train, y_train, test_size=0.2, seed=args.seed)
        chosen = select_n_neighbors(model, X_fit, y_fit, X_val, y_val)
        print("validation accuracy by n_neighbors: "
              + ", ".join(f"{k}: {s:.4f}" for k, s in chosen.scores.items())
              + f" -> n_neighbors {chosen.n_neighbors}")
        model.set_params(n_neighbors=chosen.n_neighbors)
    else:
        model.set_params(n_neighbors=args.n_neighbors)
    model.fit(X_train, y_train)
    return _classifier(args, model, "knn", X_train, X_test, y_train, y_test, start)


def _svm(args: argparse.Namespace) -> int:
    from rosenblatt.classic import SVC

    start = time.perf_counter()
    X_train, X_test, y_train, y_test = load(args.dataset, args.seed)
    model = SVC(C=args.C, kernel=args.kernel, gamma=args.gamma, degree=args.degree).fit(X_train, y_train)
    print(f"{len(model.support_)} support vectors")
    return _classifier(args, model, "svm", X_train, X_test, y_train, y_test, start)


def _pca(args: argparse.Namespace) -> int:
    from rosenblatt.classic import PCA

    start = time.perf_counter()
    X_train, X_test, y_train, _ = load(args.dataset, args.seed)
    model = PCA(n_components=args.n_components, whiten=args.whiten).fit(X_train)
    reconstruction = model.inverse_transform(model.transform(X_test))
    print(f"{model.n_components_} components of {X_train.shape[1]} features")
    if args.plot:
        plot_pca(args.plot, model, X_train, y_train)
    test = {"n_components": model.n_components_,
            "explained_variance_ratio": round(float(model.explained_variance_ratio_.sum()), 4),
            "reconstruction_mse": round(float(((reconstruction - X_test) ** 2).mean()), 4)}
    return _finish(args, model, "pca", None, test, start)


def register(commands, common: argparse.ArgumentParser) -> None:
    """Add the kmeans, gmm, knn, svm and pca subcommands of ``rosenblatt train``."""
    def add(name: str, help_text: str, run):
        parser = commands.add_parser(name, parents=[common], help=help_text, description=help_text)
        parser.add_argument("--dataset", choices=DATASETS, default="digits",
                            help="digits (bundled) or blobs (iris-like, generated); default digits")
        parser.set_defaults(run=run)
        return parser

    kmeans = add("kmeans", "k-means clustering (adjusted Rand index against the labels)", _kmeans)
    kmeans.add_argument("--n-clusters", type=positive_int,
                        help="clusters (default: the number of classes)")
    kmeans.add_argument("--n-init", type=positive_int, default=4, help="seedings (default 4)")
    kmeans.add_argument("--max-iter", type=positive_int, default=300,
                        help="Lloyd iterations per seeding (default 300)")

    gmm = add("gmm", "Gaussian mixture by EM (test log-likelihood, adjusted Rand index)", _gmm)
    gmm.add_argument("--n-components", type=positive_int,
                     help="components (default: the number of classes)")
    gmm.add_argument("--covariance-type", choices=("full", "tied", "diag", "spherical"),
                     default="diag", help="covariance structure (default diag)")
    gmm.add_argument("--reg-covar", type=positive_float, default=1e-2,
                     help="added to the covariance diagonals (default 1e-2)")
    gmm.add_argument("--n-init", type=positive_int, default=2, help="initializations (default 2)")
    gmm.add_argument("--max-iter", type=positive_int, default=100,
                     help="EM iterations per initialization (default 100)")

    knn = add("knn", "k-nearest-neighbor classifier (test accuracy)", _knn)
    knn.add_argument("--n-neighbors", type=positive_int,
                     help="neighbors (default: chosen on a validation split of the training set)")
    knn.add_argument("--metric", default="minkowski",
                     choices=("minkowski", "euclidean", "manhattan", "chebyshev", "hamming", "cosine"),
                     help="distance (default minkowski with --p)")
    knn.add_argument("--p", type=float, default=2.0, help="Minkowski power (default 2)")
    knn.add_argument("--weights", choices=("uniform", "distance"), default="uniform",
                     help="vote weights (default uniform)")

    svm = add("svm", "support vector classifier trained by SMO (test accuracy)", _svm)
    svm.add_argument("--C", type=positive_float, default=1.0, help="soft-margin penalty (default 1)")
    svm.add_argument("--kernel", choices=("linear", "poly", "rbf", "sigmoid"), default="rbf",
                     help="kernel (default rbf)")
    svm.add_argument("--gamma", type=_gamma, default="scale",
                     help="kernel coefficient: scale, auto or a number > 0 (default scale)")
    svm.add_argument("--degree", type=positive_int, default=3, help="poly degree (default 3)")

    pca = add("pca", "principal component analysis (explained variance)", _pca)
    pca.add_argument("--n-components", type=_components, default=0.95,
                     help="components to keep, or the variance fraction (default 0.95)")
    pca.add_argument("--whiten", action="store_true", help="scale the components to unit variance")
