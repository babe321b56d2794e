"""GEMM benchmarks: rb.kernels.gemm against NumPy's matmul (OpenBLAS) and torch."""

from __future__ import annotations

import numpy as np

from rosenblatt import kernels
from rosenblatt.bench.common import Case, torch_or_none


def _product_case(m: int, k: int, n: int, dtype, torch) -> Case:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    out = np.empty((m, n), dtype)
    candidates = {
        "rosenblatt": lambda: kernels.gemm(a, b, out=out),
        "numpy": lambda: np.matmul(a, b, out=out),
    }
    if torch is not None:
        ta, tb, tout = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(out)
        candidates["torch"] = lambda: torch.matmul(ta, tb, out=tout)
    name = f"gemm {np.dtype(dtype).name} ({m}x{k})({k}x{n})"
    return Case(name, candidates, flops=2.0 * m * n * k)


def _bias_relu_case(m: int, k: int, n: int, torch) -> Case:
    """y = relu(x @ w + b): ours fused in one call, NumPy as matmul, +=, maximum."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((m, k)).astype(np.float32)
    w = rng.standard_normal((k, n)).astype(np.float32)
    bias = rng.standard_normal(n).astype(np.float32)
    out = np.empty((m, n), np.float32)

    def numpy_composite():
        np.matmul(x, w, out=out)
        np.add(out, bias, out=out)
        np.maximum(out, 0, out=out)

    candidates = {
        "rosenblatt": lambda: kernels.gemm(x, w, bias=bias, activation="relu", out=out),
        "numpy": numpy_composite,
    }
    if torch is not None:
        tx, tw, tb = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(bias)
        candidates["torch"] = lambda: torch.relu_(torch.addmm(tb, tx, tw))
    return Case(f"gemm+bias+relu fp32 ({m}x{k})({k}x{n})", candidates, flops=2.0 * m * n * k)


def cases(quick: bool = False) -> list[Case]:
    torch = torch_or_none()
    shapes = [(1024, 1024, 1024), (128, 784, 512), (64, 512, 512)]
    if not quick:
        shapes.insert(1, (2048, 2048, 2048))
    result = [_product_case(m, k, n, np.float32, torch) for m, k, n in shapes]
    result.append(_bias_relu_case(256, 1024, 1024, torch))
    result.append(_product_case(1024, 1024, 1024, np.float64, torch))
    return result

