"""rosenblatt: a compact deep-learning and machine-learning library.

Its heavy kernels are its own C++ (``rosenblatt._C``); ``rosenblatt.kernels``
is the kernel API on NumPy arrays. ``rb.Tensor`` records ops for reverse-mode
autograd; ``rb.functional``, ``rb.nn``, ``rb.optim``, ``rb.data``,
``rb.train`` and ``rb.models`` build on it.
"""

from rosenblatt._openmp import load_native_module

_C = load_native_module()

from rosenblatt import kernels  # noqa: E402  (after _C, whose loading sets OpenMP's waits)
from rosenblatt import autograd, classic, data, functional, models, nn, optim, train
from rosenblatt import metrics, text
from rosenblatt.autograd import enable_grad, is_grad_enabled, no_grad
from rosenblatt.creation import (
    arange,
    empty,
    eye,
    from_numpy,
    full,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from rosenblatt.functional import (
    abs,
    cat,
    clamp,
    concat,
    exp,
    gather,
    log,
    logsumexp,
    matmul,
    maximum,
    minimum,
    pad,
    scatter_add,
    sigmoid,
    split,
    sqrt,
    stack,
    tanh,
    where,
)
from rosenblatt.random import manual_seed
from rosenblatt.runtime import get_num_threads, info, set_num_threads
from rosenblatt.tensor import Tensor

float32 = "float32"
float64 = "float64"
int64 = "int64"

__version__ = _C.__version__
