"""Benchmarks of rosenblatt's kernels against NumPy and (when installed) PyTorch.

``rosenblatt bench`` runs them; each family module exposes ``cases(quick)``.
"""

from __future__ import annotations

import importlib
import os
import platform

import numpy as np

from rosenblatt.bench.common import markdown_table, run_case, torch_or_none
from rosenblatt.runtime import info

FAMILIES = ("gemm", "softmax", "optim", "mlp", "distance", "classic")


def machine_description() -> str:
    """One line naming the CPU, the core count and the libraries compared."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    rb = info()
    torch = torch_or_none()
    parts = [
        f"{cpu}, {os.cpu_count()} cores",
        f"rosenblatt {rb['version']} ({rb['simd_active']}, {rb['num_threads']} threads)",
        f"NumPy {np.__version__}",
    ]
    if torch is not None:
        parts.append(f"PyTorch {torch.__version__} ({torch.get_num_threads()} threads)")
    return "; ".join(parts)


def run(families=FAMILIES, quick: bool = False, rounds: int = 11) -> str:
    """Run the named families and return the markdown table (with the machine line)."""
    unknown = set(families) - set(FAMILIES)
    if unknown:
        raise ValueError(f"unknown benchmark families {sorted(unknown)}; choose from {FAMILIES}")
    results = []
    for family in families:
        module = importlib.import_module(f"rosenblatt.bench.{family}")
        results.extend(run_case(case, rounds=rounds) for case in module.cases(quick))
    return f"Machine: {machine_description()}\n\n{markdown_table(results)}"
