"""The one place that knows devices.

A Tensor's data is a ``numpy.ndarray`` on "cpu" (kernels from ``rosenblatt._C``);
the CUDA issue adds "cuda" (``cupy.ndarray``, kernels from
``rosenblatt._C_cuda``). Everything else asks this module which array library
(:func:`xp`) and which device an array belongs to.
"""

from __future__ import annotations

import numpy as np

DEVICES = ("cpu", "cuda")


def device_of(array) -> str:
    """The device an array lives on."""
    return "cpu" if isinstance(array, np.ndarray) else "cuda"


def xp(array=None):
    """The array module (numpy or cupy) for ``array``'s device."""
    return np


def check_device(device) -> str:
    """Normalize a device name ("cpu", "cuda", "cuda:0") or raise a clear error."""
    name = str(device)
    base = name.split(":", 1)[0]
    if base not in DEVICES:
        raise ValueError(f"unknown device {device!r}; expected 'cpu' or 'cuda'")
    if base == "cuda":
        from rosenblatt.runtime import info

        report = info()
        reason = ("this build of rosenblatt has no CUDA module (_C_cuda)" if not report["cuda_built"]
                  else "no usable NVIDIA GPU was found")
        if not report["gpu_available"]:
            raise RuntimeError(f"cannot use device {name!r}: {reason}")
    return base


def to_device(array, device: str):
    """``array`` on ``device`` (the same object when it is already there)."""
    device = check_device(device)
    if device == device_of(array):
        return array
    raise RuntimeError(f"moving arrays to {device!r} needs the CUDA backend")
