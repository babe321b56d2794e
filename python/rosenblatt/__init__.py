"""rosenblatt: a compact deep-learning and machine-learning library.

Its heavy kernels are its own C++ (``rosenblatt._C``); ``rosenblatt.kernels``
is the kernel API on NumPy arrays.
"""

from rosenblatt import _C, kernels
from rosenblatt.runtime import get_num_threads, info, set_num_threads

__version__ = _C.__version__

__all__ = ["__version__", "get_num_threads", "info", "kernels", "set_num_threads"]
