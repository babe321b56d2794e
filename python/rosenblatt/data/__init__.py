"""Data: datasets, mini-batch loading, splits, standardization and bundled data.

``Dataset`` / ``TensorDataset`` / ``Subset`` hold samples; ``DataLoader``
batches them (shuffling through the library generator, so
``rb.manual_seed`` makes it repeatable); ``random_split`` and
``train_test_split`` split them; ``Standardizer`` scales features with
training-split statistics. ``load_digits`` and ``load_mnist5k`` (or
``load_dataset(name)``) read the datasets bundled in the package;
``read_idx`` / ``load_mnist_idx`` read MNIST-format files you downloaded.
Image augmentation (``RandomCrop``, ``RandomHorizontalFlip``,
``BrightnessJitter``, ``Compose``, ``AugmentedDataset``) lives in ``augment``.
"""

from rosenblatt.data.augment import (
    AugmentedDataset,
    BrightnessJitter,
    Compose,
    RandomCrop,
    RandomHorizontalFlip,
)
from rosenblatt.data.dataloader import DataLoader, default_collate
from rosenblatt.data.dataset import Dataset, Subset, TensorDataset
from rosenblatt.data.datasets import DATASETS, load_dataset, load_digits, load_mnist5k
from rosenblatt.data.idx import load_mnist_idx, read_idx
from rosenblatt.data.preprocessing import Standardizer
from rosenblatt.data.split import random_split, train_test_split

__all__ = [
    "AugmentedDataset",
    "BrightnessJitter",
    "Compose",
    "RandomCrop",
    "RandomHorizontalFlip",
    "DATASETS",
    "DataLoader",
    "Dataset",
    "Standardizer",
    "Subset",
    "TensorDataset",
    "default_collate",
    "load_dataset",
    "load_digits",
    "load_mnist5k",
    "load_mnist_idx",
    "random_split",
    "read_idx",
    "train_test_split",
]
