"""How long OpenMP threads busy-wait before sleeping, set once as ``rosenblatt._C`` loads.

GCC's OpenMP runtime (libgomp) lets an idle thread spin for about 300,000
iterations (a millisecond or so) before it sleeps. Our kernels open many
short parallel regions (a barrier per time step in the RNN, one region per
layer of a CNN); when other processes share the cores, a spinning thread
burns the time slice its partner needs, and a LeNet-5 step measured 7x and an
LSTM forward 30x slower than with sleeping waits. A spin of 1,000 iterations
(a few microseconds) still catches the waits of a quiet machine and sleeps
soon on a busy one.

libgomp reads ``GOMP_SPINCOUNT`` when it is loaded, so the variable is set
only around the import of ``_C`` and removed afterwards: libraries loaded
later (PyTorch's own libgomp, say) keep their defaults. A user's own
``GOMP_SPINCOUNT`` or ``OMP_WAIT_POLICY`` always wins.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

SPIN_COUNT = "1000"


def load_native_module() -> ModuleType:
    """``rosenblatt._C``, with libgomp's spin count bounded unless the user chose one."""
    chosen = "GOMP_SPINCOUNT" in os.environ or "OMP_WAIT_POLICY" in os.environ
    if not chosen:
        os.environ["GOMP_SPINCOUNT"] = SPIN_COUNT
    try:
        return importlib.import_module("rosenblatt._C")
    finally:
        if not chosen:
            del os.environ["GOMP_SPINCOUNT"]
