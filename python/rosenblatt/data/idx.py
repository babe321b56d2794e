"""Reader for IDX files, the format of MNIST and Fashion-MNIST.

An IDX file is a header then the values, big-endian::

    bytes 0-1   0x00 0x00
    byte  2     type code: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                0x0D float32, 0x0E float64
    byte  3     number of dimensions d
    4 * d       each dimension's size as a big-endian uint32
    rest        prod(sizes) values of that type, row-major

Files may be gzip-compressed (``*.gz``, as distributed); they are recognised
by their content, not their name. Nothing is downloaded: fetch the four files
of MNIST (or Fashion-MNIST, which uses the same names) yourself and point
:func:`load_mnist_idx` at their folder.
"""

from __future__ import annotations

import gzip
import os
import pathlib
import zlib

import numpy as np

_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: pathlib.Path) -> bytes:
    with open(path, "rb") as f:
        raw = f.read()
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"{path}: corrupt or truncated gzip data ({exc})") from None


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """The array stored in an IDX file (raw or gzip-compressed).

    Returns an array of the file's shape in native byte order (uint8 for
    MNIST images and labels). A missing file raises FileNotFoundError; a
    corrupt one (bad magic number, unknown type code, zero dimensions, or
    a length that does not match the header: truncated or with trailing
    bytes) raises ValueError naming the file and the problem.
    """
    path = pathlib.Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise ValueError(f"{path}: not an IDX file (only {len(raw)} bytes, shorter than the 4-byte magic number)")
    magic = int.from_bytes(raw[:4], "big")
    if raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path}: not an IDX file (magic number 0x{magic:08X} does not start with two zero bytes)")
    code, ndim = raw[2], raw[3]
    if code not in _TYPES:
        known = ", ".join(f"0x{c:02X}" for c in _TYPES)
        raise ValueError(f"{path}: unknown IDX type code 0x{code:02X} (magic 0x{magic:08X}); expected one of {known}")
    if ndim == 0:
        raise ValueError(f"{path}: IDX header declares 0 dimensions")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header ({len(raw)} bytes, {ndim} dimensions need {header})")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = _TYPES[code]
    expected = int(np.prod(shape, dtype=object)) * dtype.itemsize
    found = len(raw) - header
    if found < expected:
        raise ValueError(f"{path}: truncated IDX data: shape {shape} needs {expected} bytes, found {found}")
    if found > expected:
        raise ValueError(f"{path}: {found - expected} unexpected bytes after the IDX data of shape {shape}")
    values = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="))


_MNIST_FILES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _find(directory: pathlib.Path, stem: str) -> pathlib.Path:
    """``stem`` in ``directory``, raw or ``.gz``, also with the ``.idx`` dot spelling."""
    dotted = stem.replace("-idx", ".idx")
    candidates = [directory / f"{name}{ext}" for name in (stem, dotted) for ext in ("", ".gz")]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    tried = ", ".join(c.name for c in candidates)
    raise FileNotFoundError(f"no MNIST file {stem} in {directory} (looked for {tried})")


def load_mnist_idx(directory: str | os.PathLike, train: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """MNIST or Fashion-MNIST from the standard IDX files in ``directory``.

    Reads ``train-images-idx3-ubyte`` and ``train-labels-idx1-ubyte`` (or the
    ``t10k-`` pair when ``train=False``), raw or ``.gz``. Returns ``X`` float32
    (n, rows * cols) with the grey levels 0..255 divided by 255 (as
    :func:`~rosenblatt.data.load_mnist5k`) and ``y`` int64 (n,). Use
    :func:`read_idx` for the raw uint8 arrays.
    """
    directory = pathlib.Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"MNIST directory {directory} does not exist")
    image_path, label_path = (_find(directory, stem) for stem in _MNIST_FILES[bool(train)])
    images, labels = read_idx(image_path), read_idx(label_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"{image_path}: expected uint8 images (n, rows, cols), got {images.dtype} {images.shape}")
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise ValueError(f"{label_path}: expected uint8 labels (n,), got {labels.dtype} {labels.shape}")
    if images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{image_path} has {images.shape[0]} images but {label_path} has {labels.shape[0]} labels"
        )
    X = images.reshape(images.shape[0], -1).astype(np.float32) / np.float32(255)
    return X, labels.astype(np.int64)
