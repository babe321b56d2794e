"""Process-wide settings of the native kernels and a report of the build."""

from __future__ import annotations

import operator
import platform

from rosenblatt import _C


def set_num_threads(n: int) -> None:
    """Set the number of threads the kernels use (also settable with ``RB_NUM_THREADS``)."""
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"n must be an int, got {type(n).__name__}") from None
    _C.set_num_threads(n)


def get_num_threads() -> int:
    """The number of threads the kernels use."""
    return _C.get_num_threads()


def _cuda_status() -> tuple[bool, bool]:
    """(whether rosenblatt._C_cuda was built, whether a GPU is usable)."""
    try:
        from rosenblatt import _C_cuda  # noqa: F401  (built only with CUDA)
    except ImportError:
        return False, False
    try:
        return True, bool(_C_cuda.device_count() > 0)
    except Exception:  # a driver problem means no usable GPU
        return True, False


def info() -> dict:
    """What this build of rosenblatt is and how its kernels run."""
    cuda_built, gpu_usable = _cuda_status()
    return {
        "version": _C.__version__,
        "python": platform.python_version(),
        "compiler": _C.compiler,
        "openmp": _C.openmp,
        "simd_compiled": list(_C.compiled_isas()),
        "simd_supported": list(_C.supported_isas()),
        "simd_active": _C.get_isa(),
        "num_threads": _C.get_num_threads(),
        "cuda_built": cuda_built,
        "gpu_available": gpu_usable,
    }
