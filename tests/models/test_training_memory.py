"""A training loop of 2,000 steps keeps the live tensors and the RSS flat: each backward frees its graph."""

import gc
import sys

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.models import MLPClassifier

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def live_tensors() -> int:
    gc.collect()
    # type(o), not isinstance: isinstance reads o.__class__, which some of
    # torch's module-level objects answer with a deprecation warning.
    return sum(issubclass(type(o), rb.Tensor) for o in gc.get_objects())


def test_training_loop_keeps_memory_flat():
    rng = np.random.default_rng(0)
    x = rb.Tensor(rng.standard_normal((32, 64)).astype(np.float32))
    y = rng.integers(0, 10, 32)
    rb.manual_seed(0)
    model = MLPClassifier(64, (128, 64), 10, dropout=0.1, batch_norm=True)
    optimizer = rb.optim.Adam(model.parameters(), lr=1e-3)

    def steps(n):
        for _ in range(n):
            optimizer.zero_grad()
            loss = model.loss(model(x), y)
            loss.backward()
            optimizer.step()

    steps(100)  # warm up: optimizer state, allocator pools
    tensors, rss = live_tensors(), rss_bytes()
    steps(2000)
    assert live_tensors() == tensors
    assert rss_bytes() - rss < 8 * 2 ** 20, f"RSS grew by {(rss_bytes() - rss) / 2 ** 20:.1f} MiB"
