"""Kernels called many times keep memory flat: no reference or buffer leaks."""

import sys

import numpy as np
import pytest

from rosenblatt import kernels

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def workload(rng, arrays):
    x, w, bias, logits, labels, params, grads, m, v = arrays
    kernels.gemm(x, w, trans_b=True, bias=bias, activation="gelu")
    kernels.batched_gemm(x[None].repeat(3, 0), w, trans_b=True)
    kernels.softmax(logits, axis=0)
    kernels.log_softmax(logits)
    kernels.cross_entropy(logits, labels, reduction="none", label_smoothing=0.1)
    kernels.adam_(params, grads, m, v, step=3)
    kernels.sgd_(params, grads, [np.zeros_like(p) for p in params], momentum=0.9)
    for bad in (lambda: kernels.gemm(x, x), lambda: kernels.adam_(params, grads, m, v, step=0)):
        try:
            bad()
        except ValueError:
            pass


def test_repeated_kernel_calls_keep_rss_flat():
    rng = np.random.default_rng(0)
    arrays = (
        rng.standard_normal((64, 300), dtype=np.float32),
        rng.standard_normal((200, 300), dtype=np.float32),
        rng.standard_normal(200, dtype=np.float32),
        rng.standard_normal((128, 100), dtype=np.float32),
        rng.integers(0, 100, 128),
        [rng.standard_normal(n, dtype=np.float32) for n in (10, 1000, 100_000)],
        [rng.standard_normal(n, dtype=np.float32) for n in (10, 1000, 100_000)],
        [np.zeros(n, np.float32) for n in (10, 1000, 100_000)],
        [np.zeros(n, np.float32) for n in (10, 1000, 100_000)],
    )
    for _ in range(50):  # warm up: thread pools, scratch buffers, allocator pools
        workload(rng, arrays)
    before = rss_bytes()
    for _ in range(1000):
        workload(rng, arrays)
    growth = rss_bytes() - before
    assert growth < 8 * 2**20, f"RSS grew by {growth / 2**20:.1f} MiB over 1000 iterations"
