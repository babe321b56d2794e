"""Benchmark of scaled dot-product attention against NumPy and PyTorch, and its memory.

Targets (issue 6), B=8, H=8, T=512, D=64, float32, forward and forward+backward:
>= 1.0x torch.nn.functional.scaled_dot_product_attention non-causal and
>= 1.5x causal. The NumPy column is the materialized softmax(Q K^T / sqrt(d)) V
(non-causal forward only: it has no autograd, and takes seconds per call). Run with ``rosenblatt bench --only attention``;
``python -m rosenblatt.bench.attention --memory`` prints the memory report
(:func:`memory_report`).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys

import numpy as np

import rosenblatt as rb
from rosenblatt import _C
from rosenblatt import functional as F
from rosenblatt.bench.common import Case, torch_or_none


def numpy_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray, causal: bool) -> np.ndarray:
    """softmax(Q K^T / sqrt(D) (+ causal mask)) V with the (T, T) scores materialized."""
    s = q @ np.swapaxes(k, -1, -2) * np.float32(1 / math.sqrt(q.shape[-1]))
    if causal:
        s = np.where(np.tri(s.shape[-2], s.shape[-1], dtype=bool), s, -np.inf)
    s = np.exp(s - s.max(-1, keepdims=True))
    s /= s.sum(-1, keepdims=True)
    return s @ v


def cases(quick: bool = False) -> list[Case]:
    b, h, t, d = (2, 4, 128, 64) if quick else (8, 8, 512, 64)
    rng = np.random.default_rng(0)
    q, k, v, grad = (rng.standard_normal((b, h, t, d)).astype(np.float32) for _ in range(4))
    torch = torch_or_none()
    result = []
    for causal in (False, True):
        label = f"sdpa {'causal' if causal else 'non-causal'} B={b} H={h} T={t} D={d} float32"
        flops = 4.0 * b * h * t * t * d * (0.5 if causal else 1.0)   # two products per score
        forward = {
            "rosenblatt": lambda c=causal: F.scaled_dot_product_attention(
                rb.Tensor(q), rb.Tensor(k), rb.Tensor(v), is_causal=c),
        }
        if not causal:  # seconds per call at the full size: once is enough to show the gap
            forward["numpy"] = lambda: numpy_attention(q, k, v, False)
        leaves = [rb.Tensor(a, requires_grad=True) for a in (q, k, v)]

        def ours_backward(c=causal):
            for leaf in leaves:
                leaf.grad = None
            F.scaled_dot_product_attention(*leaves, is_causal=c).backward(grad)

        both = {"rosenblatt": ours_backward}
        if torch is not None:
            tq, tk, tv = (torch.from_numpy(a) for a in (q, k, v))
            t_leaves = [torch.from_numpy(a.copy()).requires_grad_(True) for a in (q, k, v)]
            t_grad = torch.from_numpy(grad)
            sdpa = torch.nn.functional.scaled_dot_product_attention

            def torch_forward(c=causal):
                with torch.no_grad():
                    return sdpa(tq, tk, tv, is_causal=c)

            def torch_backward(c=causal):
                for leaf in t_leaves:
                    leaf.grad = None
                sdpa(*t_leaves, is_causal=c).backward(t_grad)

            forward["torch"] = torch_forward
            both["torch"] = torch_backward
        result.append(Case(f"{label} forward", forward, flops=flops))
        # the backward's five products recompute S and add dV, dP, dQ, dK: 2.5x the forward
        result.append(Case(f"{label} forward+backward", both, flops=3.5 * flops,
                           baseline="torch"))
    return result


def _peak_rss_child(t: int, backend: str) -> dict:
    """Run in a fresh process: RSS high-water of one forward+backward above its inputs/outputs."""
    code = f"""
import json, numpy as np
import rosenblatt as rb
from rosenblatt import kernels

def status(key):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) * 1024

def inputs(t):
    rng = np.random.default_rng(0)
    return [rng.standard_normal((1, 8, t, 64)).astype(np.float32) for _ in range(4)]

def run(q, k, v, g):
    if {backend!r} == 'rosenblatt':
        o, lse = kernels.attention_forward(q, k, v)
        return (o, lse) + kernels.attention_backward(q, k, v, o, lse, g)
    if {backend!r} == 'numpy':   # the materialized softmax, forward only
        s = q @ k.swapaxes(-1, -2) / 8.0
        s = np.exp(s - s.max(-1, keepdims=True))
        return (s / s.sum(-1, keepdims=True)) @ v,
    import torch
    leaves = [torch.from_numpy(a.copy()).requires_grad_(True) for a in (q, k, v)]
    o = torch.nn.functional.scaled_dot_product_attention(*leaves)
    o.backward(torch.from_numpy(g))
    return (o,) + tuple(x.grad for x in leaves)

run(*inputs(16))                        # load the libraries, start the threads
q, k, v, g = inputs({t})
with open('/proc/self/clear_refs', 'w') as f:
    f.write('5')                        # reset the RSS high-water mark to the current RSS
before = status('VmRSS:')
outputs = run(q, k, v, g)
after = status('VmRSS:')                # outputs still alive
print(json.dumps(dict(extra=status('VmHWM:') - after, outputs=after - before)))
"""
    # A fixed mmap threshold: every block of 64 KiB or more is mapped when allocated and
    # unmapped when freed (glibc's default raises the threshold and keeps freed blocks
    # resident, which would hide a transient allocation from the high-water mark).
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env=env)
    return json.loads(done.stdout)


def scratch_bytes(t: int, d: int = 64, threads: int | None = None) -> tuple[int, int]:
    """The kernel's scratch (forward, backward) in bytes for float32, Tq = Tk = t, as allocated."""
    threads = rb.get_num_threads() if threads is None else threads
    return (_C.attention_scratch_bytes(False, t, d, d, 4, threads),
            _C.attention_scratch_bytes(True, t, d, d, 4, threads))


def memory_report(lengths=(512, 2048)) -> str:
    """Peak extra memory of attention at B=1, H=8, D=64, float32, for each T in ``lengths``.

    "scratch" is the kernel's own allocation (computed from its tile sizes);
    "RSS peak above outputs" is measured in a fresh process, on the first
    call at that size (a warm-up at T=16 loads the libraries): the high-water
    mark of the resident set during one forward+backward, minus the resident
    set once it returned (inputs and outputs alive), i.e. the transient memory
    (torch's caching allocator may keep some of it, which then shows as 0). A materialized T x T score matrix of the 8 heads would take
    8 T^2 4 bytes.
    """
    torch = torch_or_none()
    backends = ["rosenblatt", "numpy"] + (["torch"] if torch is not None else [])
    lines = ["| T | scores T x T (8 heads) | rosenblatt scratch fwd / bwd | "
             + " | ".join(f"{b} RSS peak above outputs" for b in backends) + " |",
             "|---|---|---|" + "---|" * len(backends)]
    for t in lengths:
        fwd, bwd = scratch_bytes(t)
        measured = [_peak_rss_child(t, b)["extra"] for b in backends]
        lines.append(f"| {t} | {8 * t * t * 4 / 2**20:.1f} MiB | {fwd / 2**10:.0f} KiB / "
                     f"{bwd / 2**10:.0f} KiB | "
                     + " | ".join(f"{m / 2**20:.2f} MiB" for m in measured) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory", action="store_true", help="print the memory report")
    args = parser.parse_args()
    if args.memory:
        print(memory_report())
    else:
        from rosenblatt.bench import run
        print(run(("attention",)))
