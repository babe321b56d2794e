"""Dataset, TensorDataset, Subset, DataLoader, default_collate, random_split."""

from collections import namedtuple

import numpy as np
import pytest

import rosenblatt.random as rb_random
from rosenblatt.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split
from rosenblatt.tensor import Tensor


def make_dataset(n=10):
    X = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n, dtype=np.int64) % 4
    return TensorDataset(X, y), X, y


class DictDataset(Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        if not 0 <= i < 5:
            raise IndexError(i)
        return {"image": np.full((2, 2), i, dtype=np.uint8), "label": i, "weight": 0.5 * i}


def epoch_rows(loader):
    """The first-feature column of each batch, concatenated over one pass."""
    return np.concatenate([X.data[:, 0] for X, _ in loader])


# -- datasets ----------------------------------------------------------------


def test_tensor_dataset_items_and_tensor_inputs():
    ds, X, y = make_dataset()
    assert len(ds) == 10
    row, label = ds[3]
    np.testing.assert_array_equal(row, X[3])
    assert label == 3 and label.dtype == np.int64
    np.testing.assert_array_equal(ds[-1][0], X[9])
    from_tensors = TensorDataset(Tensor(X), Tensor(y))
    np.testing.assert_array_equal(from_tensors[2][0], X[2])


def test_tensor_dataset_errors():
    with pytest.raises(ValueError, match=r"\[10, 9\]"):
        TensorDataset(np.zeros((10, 2)), np.zeros(9))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()
    with pytest.raises(ValueError, match="scalar"):
        TensorDataset(np.float32(1.0))
    ds, _, _ = make_dataset()
    with pytest.raises(IndexError, match="out of range"):
        ds[10]
    with pytest.raises(IndexError):
        ds[-11]
    with pytest.raises(TypeError):
        ds[1.5]


def test_subset_maps_indices_and_checks_range():
    ds, X, _ = make_dataset()
    sub = Subset(ds, [7, 2, 5])
    assert len(sub) == 3
    np.testing.assert_array_equal(sub[0][0], X[7])
    np.testing.assert_array_equal(sub[-1][0], X[5])
    with pytest.raises(IndexError):
        sub[3]
    with pytest.raises(IndexError, match="10"):
        Subset(ds, [1, 10])


# -- loader ------------------------------------------------------------------


def test_batches_in_order_keep_dtypes():
    ds, X, y = make_dataset()
    batches = list(DataLoader(ds, batch_size=4))
    assert [b[0].shape for b in batches] == [(4, 3), (4, 3), (2, 3)]
    for b in batches:
        assert isinstance(b, tuple) and all(isinstance(t, Tensor) for t in b)
        assert b[0].dtype == np.float32 and b[1].dtype == np.int64
    np.testing.assert_array_equal(np.concatenate([b[0].data for b in batches]), X)
    np.testing.assert_array_equal(np.concatenate([b[1].data for b in batches]), y)


def test_len_and_drop_last():
    ds, _, _ = make_dataset(10)
    assert len(DataLoader(ds, batch_size=4)) == 3
    loader = DataLoader(ds, batch_size=4, drop_last=True)
    assert len(loader) == 2
    batches = list(loader)
    assert len(batches) == 2 and all(b[0].shape == (4, 3) for b in batches)
    assert len(DataLoader(ds, batch_size=5, drop_last=True)) == 2
    assert len(DataLoader(ds, batch_size=10)) == 1


def test_shuffle_is_repeatable_under_manual_seed_and_changes_between_epochs():
    ds, _, _ = make_dataset(50)
    loader = DataLoader(ds, batch_size=8, shuffle=True)
    rb_random.manual_seed(123)
    first, second = epoch_rows(loader), epoch_rows(loader)
    rb_random.manual_seed(123)
    np.testing.assert_array_equal(epoch_rows(loader), first)
    np.testing.assert_array_equal(epoch_rows(loader), second)
    assert not np.array_equal(first, second)
    # every epoch is a permutation of all samples
    np.testing.assert_array_equal(np.sort(first), np.arange(50) * 3)


def test_shuffle_reproduced_from_saved_rng_state():
    ds, _, _ = make_dataset(40)
    loader = DataLoader(ds, batch_size=16, shuffle=True)
    rb_random.manual_seed(7)
    epoch_rows(loader)
    state = rb_random.get_rng_state()
    expected = epoch_rows(loader)
    rb_random.manual_seed(999)
    rb_random.set_rng_state(state)
    np.testing.assert_array_equal(epoch_rows(loader), expected)


def test_shuffle_draws_when_the_pass_starts():
    ds, _, _ = make_dataset(30)
    loader = DataLoader(ds, batch_size=30, shuffle=True)
    rb_random.manual_seed(1)
    iterator = iter(loader)
    rb_random.manual_seed(2)  # reseeding after iter() must not change this pass
    got = next(iterator)[0].data[:, 0]
    rb_random.manual_seed(1)
    np.testing.assert_array_equal(next(iter(loader))[0].data[:, 0], got)


def test_explicit_generator_is_used_and_library_generator_untouched():
    ds, _, _ = make_dataset(30)
    rb_random.manual_seed(5)
    state = rb_random.get_rng_state()
    a = epoch_rows(DataLoader(ds, batch_size=7, shuffle=True, generator=np.random.default_rng(3)))
    b = epoch_rows(DataLoader(ds, batch_size=7, shuffle=True, generator=np.random.default_rng(3)))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, np.random.default_rng(3).permutation(30) * 3)
    assert rb_random.get_rng_state() == state


def test_subset_of_tensor_dataset_and_generic_path_agree():
    ds, X, y = make_dataset(12)
    sub = Subset(ds, [11, 0, 5, 3, 8])
    fast = list(DataLoader(sub, batch_size=2))
    generic = list(DataLoader(sub, batch_size=2, collate_fn=default_collate))
    for f, g in zip(fast, generic, strict=True):
        for a, b in zip(f, g, strict=True):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a.data, b.data)
    np.testing.assert_array_equal(np.concatenate([b[1].data for b in fast]), y[[11, 0, 5, 3, 8]])


def test_collate_dict_items():
    batch = next(iter(DataLoader(DictDataset(), batch_size=3)))
    assert list(batch) == ["image", "label", "weight"]
    assert batch["image"].shape == (3, 2, 2) and batch["image"].dtype == np.uint8
    assert batch["label"].dtype == np.int64
    np.testing.assert_array_equal(batch["label"].data, [0, 1, 2])
    assert batch["weight"].dtype == np.float32
    np.testing.assert_allclose(batch["weight"].data, [0.0, 0.5, 1.0])


def test_collate_tuples_named_tuples_single_arrays_and_tensors():
    Pair = namedtuple("Pair", "x y")
    out = default_collate([Pair(np.ones(2), 1), Pair(np.zeros(2), 0)])
    assert isinstance(out, Pair) and out.x.shape == (2, 2)
    np.testing.assert_array_equal(out.y.data, [1, 0])
    single = default_collate([np.arange(3), np.arange(3) + 1])
    assert isinstance(single, Tensor) and single.shape == (2, 3)
    stacked = default_collate([(Tensor(np.ones(4, dtype=np.float32)), "a"), (Tensor(np.zeros(4, dtype=np.float32)), "b")])
    assert stacked[0].shape == (2, 4) and stacked[0].dtype == np.float32
    assert stacked[1] == ["a", "b"]
    as_list = default_collate([[1, 2.0], [3, 4.0]])
    assert isinstance(as_list, list) and as_list[0].dtype == np.int64


def test_collate_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"field 0.*shapes"):
        default_collate([(np.zeros(2), 1), (np.zeros(3), 1)])
    with pytest.raises(ValueError, match="keys"):
        default_collate([{"a": 1}, {"b": 1}])
    with pytest.raises(TypeError, match="unsupported"):
        default_collate([object(), object()])
    with pytest.raises(ValueError, match="empty"):
        default_collate([])


def test_custom_collate_fn():
    ds, _, y = make_dataset(6)
    loader = DataLoader(ds, batch_size=4, collate_fn=lambda samples: [int(s[1]) for s in samples])
    assert list(loader) == [list(y[:4]), list(y[4:])]


@pytest.mark.parametrize("batch_size", [0, -1, 2.0, "4", None, True])
def test_bad_batch_size(batch_size):
    ds, _, _ = make_dataset()
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(ds, batch_size=batch_size)


def test_bad_loader_arguments():
    with pytest.raises(ValueError, match="empty"):
        DataLoader(TensorDataset(np.zeros((0, 3))), batch_size=2)
    ds, _, _ = make_dataset(5)
    with pytest.raises(ValueError, match="no batches"):
        DataLoader(ds, batch_size=8, drop_last=True)
    with pytest.raises(TypeError, match="generator"):
        DataLoader(ds, shuffle=True, generator=42)
    with pytest.raises(TypeError, match="collate_fn"):
        DataLoader(ds, collate_fn="stack")
    with pytest.raises(TypeError, match="__len__"):
        DataLoader([x for x in range(3)].__iter__())


# -- random_split ------------------------------------------------------------


def test_random_split_sizes_disjoint_and_seeded():
    ds, _, _ = make_dataset(10)
    rb_random.manual_seed(0)
    parts = random_split(ds, [0.7, 0.3])
    assert [len(p) for p in parts] == [7, 3]
    indices = np.concatenate([p.indices for p in parts])
    np.testing.assert_array_equal(np.sort(indices), np.arange(10))
    rb_random.manual_seed(0)
    again = random_split(ds, [7, 3])
    np.testing.assert_array_equal(again[0].indices, parts[0].indices)
    same = random_split(ds, [5, 5], generator=np.random.default_rng(1))
    np.testing.assert_array_equal(same[0].indices, np.random.default_rng(1).permutation(10)[:5])


def test_random_split_fraction_remainder_round_robin():
    ds, _, _ = make_dataset(10)
    assert [len(p) for p in random_split(ds, [1 / 3] * 3)] == [4, 3, 3]


def test_random_split_errors():
    ds, _, _ = make_dataset(10)
    with pytest.raises(ValueError, match="sum to 9"):
        random_split(ds, [4, 5])
    with pytest.raises(ValueError, match="sum to 1"):
        random_split(ds, [0.5, 0.6])
    with pytest.raises(ValueError, match=">= 0"):
        random_split(ds, [11, -1])
