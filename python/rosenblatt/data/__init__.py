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
``date_pairs`` / ``date_translation_split`` generate the date-translation
task (human-written dates -> ISO); ``load_text_corpus`` returns the bundled
English corpus (CPython's pydoc topics) for language modeling.
"""

from rosenblatt.data.augment import (
    AugmentedDataset,
    BrightnessJitter,
    Compose,
    RandomCrop,
    RandomHorizontalFlip,
)
from rosenblatt.data.dataloader import DataLoader, default_collate
from rosenblatt.data.corpus import load_text_corpus
from rosenblatt.data.dataset import Dataset, Subset, TensorDataset
from rosenblatt.data.dates import DATE_FORMATS, date_pairs, date_translation_split, format_date
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
    "DATE_FORMATS",
    "DataLoader",
    "Dataset",
    "Standardizer",
    "Subset",
    "TensorDataset",
    "date_pairs",
    "date_translation_split",
    "default_collate",
    "format_date",
    "load_dataset",
    "load_digits",
    "load_mnist5k",
    "load_mnist_idx",
    "load_text_corpus",
    "random_split",
    "read_idx",
    "train_test_split",
]
