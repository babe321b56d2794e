"""`rosenblatt train kmeans|gmm|knn|svm|pca`: the metric, the --json line, --plot PNG, --save arrays."""

import json
import subprocess
import sys

import numpy as np
import pytest

from rosenblatt.classic.commands import adjusted_rand_index, load_blobs
from rosenblatt.cli import main

PNG = b"\x89PNG\r\n\x1a\n"


def run_cli(capsys, *args):
    assert main(["train", *args]) == 0
    out = capsys.readouterr().out
    return out, json.loads(out.strip().splitlines()[-1])


def read_saved(path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as f:
        metadata = f.metadata()
    return safetensors_numpy.load_file(str(path)), metadata


def test_kmeans_on_digits_with_plot_and_save(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    png, saved = tmp_path / "kmeans.png", tmp_path / "kmeans.safetensors"
    out, summary = run_cli(capsys, "kmeans", "--json", "--plot", str(png), "--save", str(saved))
    assert summary["model"] == "kmeans" and summary["dataset"] == "digits"
    assert summary["test"]["adjusted_rand_index"] > 0.45 and summary["epochs"] >= 1
    assert "10 clusters" in out
    assert png.read_bytes()[:8] == PNG
    arrays, metadata = read_saved(saved)
    assert arrays["cluster_centers_"].shape == (10, 64)
    assert metadata["class"] == "KMeans" and json.loads(metadata["params"])["n_clusters"] == 10


def test_gmm_on_blobs_finds_the_species(capsys, tmp_path):
    saved = tmp_path / "gmm.safetensors"
    _, summary = run_cli(capsys, "gmm", "--dataset", "blobs", "--covariance-type", "full",
                         "--save", str(saved), "--json")
    assert summary["model"] == "gmm" and summary["dataset"] == "blobs"
    assert summary["test"]["adjusted_rand_index"] > 0.6
    assert np.isfinite(summary["test"]["log_likelihood"])
    arrays, _ = read_saved(saved)
    assert arrays["covariances_"].shape == (3, 4, 4) and arrays["weights_"].sum() == pytest.approx(1)


def test_gmm_on_digits_with_plot(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "gmm.png"
    _, summary = run_cli(capsys, "gmm", "--plot", str(png), "--json")
    assert summary["test"]["adjusted_rand_index"] > 0.3
    assert png.read_bytes()[:8] == PNG


def test_knn_picks_k_on_a_validation_split(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "knn.png"
    out, summary = run_cli(capsys, "knn", "--json", "--plot", str(png))
    assert "validation accuracy by n_neighbors" in out
    assert summary["model"] == "knn" and summary["test"]["accuracy"] > 0.97
    assert png.read_bytes()[:8] == PNG


def test_knn_with_a_metric_on_blobs(capsys, tmp_path):
    saved = tmp_path / "knn.safetensors"
    _, summary = run_cli(capsys, "knn", "--dataset", "blobs", "--n-neighbors", "5", "--metric",
                         "manhattan", "--weights", "distance", "--save", str(saved), "--json")
    assert summary["test"]["accuracy"] > 0.85
    arrays, metadata = read_saved(saved)
    assert arrays["_fit_X"].shape[1] == 4 and json.loads(metadata["params"])["metric"] == "manhattan"


def test_svm_on_digits(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "svm.png"
    out, summary = run_cli(capsys, "svm", "--json", "--plot", str(png))
    assert "support vectors" in out
    assert summary["model"] == "svm" and summary["test"]["accuracy"] > 0.97
    assert png.read_bytes()[:8] == PNG


def test_pca_keeps_the_variance_fraction(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    png, saved = tmp_path / "pca.png", tmp_path / "pca.safetensors"
    _, summary = run_cli(capsys, "pca", "--json", "--plot", str(png), "--save", str(saved))
    assert summary["test"]["explained_variance_ratio"] >= 0.95
    assert 20 < summary["test"]["n_components"] < 40
    assert png.read_bytes()[:8] == PNG
    arrays, _ = read_saved(saved)
    assert arrays["components_"].shape == (summary["test"]["n_components"], 64)
    _, summary = run_cli(capsys, "pca", "--dataset", "blobs", "--n-components", "2", "--json")
    assert summary["test"]["n_components"] == 2 and summary["test"]["explained_variance_ratio"] > 0.9


def test_runs_are_repeatable(capsys):
    first = run_cli(capsys, "kmeans", "--dataset", "blobs", "--seed", "3", "--json")[1]
    second = run_cli(capsys, "kmeans", "--dataset", "blobs", "--seed", "3", "--json")[1]
    assert first["test"] == second["test"]


def test_adjusted_rand_index_matches_sklearn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    for _ in range(5):
        a, b = rng.integers(0, 4, 200), rng.integers(0, 6, 200)
        assert adjusted_rand_index(a, b) == pytest.approx(metrics.adjusted_rand_score(a, b), abs=1e-12)
    a = rng.integers(0, 3, 50)
    assert adjusted_rand_index(a, (a + 1) % 3) == pytest.approx(1.0)
    assert adjusted_rand_index(np.zeros(5), np.zeros(5)) == 1.0


def test_blobs_are_iris_like():
    X, y = load_blobs(0)
    assert X.shape == (150, 4) and np.bincount(y).tolist() == [50, 50, 50]
    assert X[y == 0, 2].mean() < 2 < X[y == 2, 2].mean()


def test_bad_arguments_exit_with_a_message():
    for args, message in ((["kmeans", "--n-clusters", "0"], "must be >= 1"),
                          (["pca", "--n-components", "1.5"], "fraction in (0, 1)"),
                          (["knn", "--metric", "mahalanobis"], "invalid choice"),
                          (["gmm", "--dataset", "iris"], "invalid choice")):
        result = subprocess.run([sys.executable, "-m", "rosenblatt.cli", "train", *args],
                                capture_output=True, text=True)
        assert result.returncode == 2 and message in result.stderr
