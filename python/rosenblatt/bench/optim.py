"""Benchmark of the fused optimizer steps (rosenblatt.kernels.optim).

Adam and SGD with momentum on 10M float32 parameters, held as one array and
as 100 arrays of 100k. Candidates: ours (one native call per step), a NumPy
composite (in-place ufuncs with ``out=``, one pass per operation), and
PyTorch's fused ``torch.optim.Adam`` / ``torch.optim.SGD`` (``fused=True``)
when torch is installed. These updates are memory-bound: Adam reads p, g, m, v
and writes p, m, v (28 bytes per float32 parameter), SGD with momentum reads
p, g, b and writes p, b (20 bytes), so time / bytes is the figure to compare
with the machine's memory bandwidth.

Run: ``rosenblatt bench --only optim``.
"""

from __future__ import annotations

import numpy as np

from rosenblatt import kernels
from rosenblatt.bench.common import Case, torch_or_none

LR, BETA1, BETA2, EPS, MOMENTUM = 1e-3, 0.9, 0.999, 1e-8, 0.9


def _problem(sizes: list[int], states: int, seed: int) -> list[list[np.ndarray]]:
    """[params, grads, state lists...]: float32 arrays of the given sizes, the
    same for every candidate (same seed), each candidate with its own copy."""
    rng = np.random.default_rng(seed)
    lists = [[rng.standard_normal(n, dtype=np.float32) for n in sizes] for _ in range(2)]
    return lists + [[np.zeros(n, np.float32) for n in sizes] for _ in range(states)]


def _torch_params(torch, sizes: list[int], seed: int):
    """torch parameters with their .grad set, from the same data as _problem."""
    params, grads = _problem(sizes, 0, seed)
    tensors = [torch.from_numpy(p).requires_grad_() for p in params]
    for t, g in zip(tensors, grads):
        t.grad = torch.from_numpy(g)
    return tensors


def _adam_case(name: str, sizes: list[int]) -> Case:
    params, grads, exp_avgs, exp_avg_sqs = _problem(sizes, 2, seed=0)
    step = [0]

    def ours():
        step[0] += 1
        kernels.adam_(params, grads, exp_avgs, exp_avg_sqs, step=step[0],
                      lr=LR, beta1=BETA1, beta2=BETA2, eps=EPS)

    np_params, np_grads, np_m, np_v = _problem(sizes, 2, seed=0)
    np_tmp = [np.empty_like(p) for p in np_params]
    np_step = [0]

    def numpy_composite():
        np_step[0] += 1
        bias_correction1 = 1 - BETA1 ** np_step[0]
        bias_correction2_sqrt = (1 - BETA2 ** np_step[0]) ** 0.5
        for p, g, m, v, tmp in zip(np_params, np_grads, np_m, np_v, np_tmp):
            m *= BETA1
            np.multiply(g, 1 - BETA1, out=tmp)
            m += tmp
            v *= BETA2
            np.multiply(g, g, out=tmp)
            tmp *= 1 - BETA2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp /= bias_correction2_sqrt
            tmp += EPS
            np.divide(m, tmp, out=tmp)
            tmp *= -LR / bias_correction1
            p += tmp

    candidates = {"rosenblatt": ours, "numpy": numpy_composite}
    torch = torch_or_none()
    if torch is not None:
        optimizer = torch.optim.Adam(_torch_params(torch, sizes, seed=0), lr=LR,
                                     betas=(BETA1, BETA2), eps=EPS, fused=True)
        candidates["torch"] = optimizer.step
    return Case(name, candidates)


def _sgd_case(name: str, sizes: list[int]) -> Case:
    params, grads, buffers = _problem(sizes, 1, seed=1)
    first = [True]

    def ours():
        kernels.sgd_(params, grads, buffers, lr=LR, momentum=MOMENTUM, fresh_buffers=first[0])
        first[0] = False

    np_params, np_grads, np_buffers = _problem(sizes, 1, seed=1)
    np_tmp = [np.empty_like(p) for p in np_params]

    def numpy_composite():
        for p, g, b, tmp in zip(np_params, np_grads, np_buffers, np_tmp):
            b *= MOMENTUM
            b += g
            np.multiply(b, LR, out=tmp)
            p -= tmp

    candidates = {"rosenblatt": ours, "numpy": numpy_composite}
    torch = torch_or_none()
    if torch is not None:
        optimizer = torch.optim.SGD(_torch_params(torch, sizes, seed=1), lr=LR,
                                    momentum=MOMENTUM, fused=True)
        candidates["torch"] = optimizer.step
    return Case(name, candidates)


def cases(quick: bool = False) -> list[Case]:
    """Adam and SGD-momentum on 10M float32 parameters (1M when quick)."""
    total = 1_000_000 if quick else 10_000_000
    label = f"{total // 1_000_000}M"
    one, many = [total], [total // 100] * 100
    return [
        _adam_case(f"adam {label} fp32, 1 array", one),
        _adam_case(f"adam {label} fp32, 100 arrays", many),
        _sgd_case(f"sgd momentum {label} fp32, 1 array", one),
        _sgd_case(f"sgd momentum {label} fp32, 100 arrays", many),
    ]

