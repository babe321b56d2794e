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

FAMILIES = ("gemm", "softmax", "optim", "mlp", "distance", "classic", "attention", "cnn", "conv", "rnn",
            "generation")


def machine_description() -> str:
    """One line naming the CPU, the core count and the libraries compared."""
    cpu = platform.processor() or platform.machine()
    fields = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                fields.setdefault(key.strip(), value.strip())
                if not line.strip():
                    break        # the first processor is enough
    except OSError:
        pass
    if "model name" in fields:
        # Virtual machines may name only the brand ("AMD EPYC"); the family and
        # model tell the core generation (AMD family 25 is Zen 3/4, 26 is Zen 5).
        cpu = (f"{fields['model name']} (family {fields.get('cpu family', '?')}, "
               f"model {fields.get('model', '?')})")
    rb = info()
    torch = torch_or_none()
    parts = [
        f"{cpu}, {os.cpu_count()} cores",
        f"rosenblatt {rb['version']} ({rb['simd_active']}, {rb['num_threads']} threads)",
        f"NumPy {np.__version__}",
    ]
    if torch is not None:
        parts.append(f"PyTorch {torch.__version__} ({torch.get_num_threads()} threads)")
    try:
        import sklearn
        parts.append(f"scikit-learn {sklearn.__version__}")
    except ImportError:
        pass
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
