"""IDX reader (MNIST / Fashion-MNIST files): round trips, gzip, corrupt files."""

import gzip
import struct

import numpy as np
import pytest

from rosenblatt.data import load_mnist_idx, read_idx

CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of ``array``, written from the format description."""
    header = struct.pack(">BBBB", 0, 0, CODES[array.dtype.type], array.ndim)
    header += b"".join(struct.pack(">I", size) for size in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(path, array, compress=False):
    raw = idx_bytes(array)
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return path


@pytest.mark.parametrize("dtype", list(CODES))
def test_round_trip_every_type(tmp_path, dtype):
    array = (np.arange(2 * 3 * 5) - 7).reshape(2, 3, 5).astype(dtype)
    out = read_idx(write(tmp_path / "a-idx3", array))
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    np.testing.assert_array_equal(out, array)


def test_round_trip_gzip_is_detected_by_content(tmp_path):
    labels = np.array([5, 0, 4, 1, 9], dtype=np.uint8)
    np.testing.assert_array_equal(read_idx(write(tmp_path / "labels.gz", labels, compress=True)), labels)
    np.testing.assert_array_equal(read_idx(write(tmp_path / "labels-no-suffix", labels, compress=True)), labels)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nothing-idx1-ubyte")


def test_truncated_data_names_file_and_sizes(tmp_path):
    path = tmp_path / "short-idx3-ubyte"
    path.write_bytes(idx_bytes(np.zeros((4, 28, 28), dtype=np.uint8))[:-10])
    with pytest.raises(ValueError, match=r"short-idx3-ubyte: truncated IDX data.*3136 bytes, found 3126"):
        read_idx(path)


def test_truncated_gzip(tmp_path):
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.arange(1000, dtype=np.int32)))[:-20])
    with pytest.raises(ValueError, match="cut.gz: corrupt or truncated gzip"):
        read_idx(path)


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"\x00\x00", "only 2 bytes"),
        (b"\x01\x02\x08\x01" + b"\x00" * 8, "magic number 0x01020801"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x00", "unknown IDX type code 0x07"),
        (b"\x00\x00\x08\x00", "0 dimensions"),
        (b"\x00\x00\x08\x03\x00\x00\x00\x02", "truncated IDX header"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x02\x01\x02\x03", "1 unexpected bytes"),
    ],
)
def test_corrupt_headers(tmp_path, raw, message):
    path = tmp_path / "bad-idx"
    path.write_bytes(raw)
    with pytest.raises(ValueError, match=message) as info:
        read_idx(path)
    assert "bad-idx" in str(info.value)


def make_mnist_dir(tmp_path, n_train=6, n_test=4, compress=True):
    rng = np.random.default_rng(0)
    ext = ".gz" if compress else ""
    arrays = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28)).astype(np.uint8)
        labels = rng.integers(0, 10, size=n).astype(np.uint8)
        write(tmp_path / f"{prefix}-images-idx3-ubyte{ext}", images, compress)
        write(tmp_path / f"{prefix}-labels-idx1-ubyte{ext}", labels, compress)
        arrays[prefix] = images, labels
    return arrays


@pytest.mark.parametrize("compress", [True, False])
def test_load_mnist_idx(tmp_path, compress):
    arrays = make_mnist_dir(tmp_path, compress=compress)
    for train, prefix in ((True, "train"), (False, "t10k")):
        X, y = load_mnist_idx(tmp_path, train=train)
        images, labels = arrays[prefix]
        assert X.dtype == np.float32 and X.shape == (len(labels), 784)
        assert y.dtype == np.int64
        np.testing.assert_allclose(X, images.reshape(len(labels), -1) / 255.0, rtol=1e-6)
        np.testing.assert_array_equal(y, labels)


def test_load_mnist_idx_dotted_names(tmp_path):
    write(tmp_path / "t10k-images.idx3-ubyte", np.zeros((2, 28, 28), dtype=np.uint8))
    write(tmp_path / "t10k-labels.idx1-ubyte", np.array([3, 4], dtype=np.uint8))
    np.testing.assert_array_equal(load_mnist_idx(tmp_path, train=False)[1], [3, 4])


def test_load_mnist_idx_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_mnist_idx(tmp_path / "absent")
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.gz"):
        load_mnist_idx(tmp_path)
    write(tmp_path / "train-images-idx3-ubyte", np.zeros((3, 28, 28), dtype=np.uint8))
    write(tmp_path / "train-labels-idx1-ubyte", np.zeros(2, dtype=np.uint8))
    with pytest.raises(ValueError, match="3 images but .* 2 labels"):
        load_mnist_idx(tmp_path)
    write(tmp_path / "train-labels-idx1-ubyte", np.zeros((3, 1), dtype=np.uint8))
    with pytest.raises(ValueError, match=r"expected uint8 labels"):
        load_mnist_idx(tmp_path)
