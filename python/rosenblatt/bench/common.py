"""Benchmark harness: medians of interleaved runs, printed as a markdown table.

A :class:`Case` holds one workload and its candidates ("rosenblatt",
"numpy", "torch", ...), zero-argument callables doing the same work on the
same shapes. :func:`run_case` calibrates each candidate so one sample lasts
at least ``min_sample_s``, warms them all up, then takes ``rounds`` samples
in rotating order (so drifting machine load hits every candidate alike) and
reports the median time per call. Ratios, not absolute times, are what a
shared machine can compare.

Before each sample the harness pauses ``settle_s`` and then runs the
candidate untimed for at least ``warmup_s``: thread pools spin for a while
after their work is done (OpenBLAS's workers for about 2^28 cycles, some
0.1 s), and on two cores a pool still spinning from the previous candidate
would take a core from the next one; the untimed calls then wake the
candidate's own threads and caches. They last ``warmup_s`` rather than one
sample because this virtual machine runs the first tens of milliseconds
after a pause at about half speed: with one untimed call of 13 ms before a
timed one, both ran at ~27 ms, whatever the library.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from typing import Callable


@dataclasses.dataclass
class Case:
    name: str
    candidates: dict[str, Callable[[], object]]
    flops: float | None = None        # floating-point operations per call
    baseline: str = "numpy"           # the column ratios are taken against


@dataclasses.dataclass
class Result:
    case: Case
    seconds: dict[str, float]         # median seconds per call

    def ratio(self, other: str, ours: str = "rosenblatt") -> float | None:
        """How many times faster ours is than `other` (> 1: ours is faster)."""
        if other not in self.seconds or ours not in self.seconds:
            return None
        return self.seconds[other] / self.seconds[ours]


def _time_calls(fn: Callable[[], object], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def _warm_up(fn: Callable[[], object], number: int, seconds: float) -> None:
    """Untimed samples of ``number`` calls until ``seconds`` have passed (at least one)."""
    end = time.perf_counter() + seconds
    _time_calls(fn, number)
    while time.perf_counter() < end:
        _time_calls(fn, number)


def run_case(case: Case, *, rounds: int = 11, min_sample_s: float = 0.02,
             settle_s: float = 0.15, warmup_s: float = 0.1) -> Result:
    numbers = {}
    for name, fn in case.candidates.items():
        _warm_up(fn, 1, warmup_s)  # page in buffers, start thread pools
        number = 1
        while _time_calls(fn, number) * number < min_sample_s and number < 1 << 20:
            number *= 2
        numbers[name] = number
    names = list(case.candidates)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[: r % len(names)]:
            time.sleep(settle_s)
            _warm_up(case.candidates[name], numbers[name], warmup_s)  # wake threads, caches
            samples[name].append(_time_calls(case.candidates[name], numbers[name]))
    return Result(case, {name: statistics.median(s) for name, s in samples.items()})


def _fmt_time(seconds: float) -> str:
    return f"{seconds * 1e3:.3f} ms" if seconds < 1 else f"{seconds:.2f} s"


def markdown_table(results: list[Result],
                   others: tuple[str, ...] = ("numpy", "torch", "sklearn")) -> str:
    """One row per case: each candidate's median (and GFLOP/s), then ours vs each other."""
    present = [o for o in others if any(o in r.seconds for r in results)]
    header = ["case", "rosenblatt"] + present + [f"vs {o}" for o in present]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in results:
        cells = [r.case.name]
        for name in ["rosenblatt"] + present:
            if name not in r.seconds:
                cells.append("-")
                continue
            cell = _fmt_time(r.seconds[name])
            if r.case.flops:
                cell += f" ({r.case.flops / r.seconds[name] / 1e9:.0f} GFLOP/s)"
            cells.append(cell)
        for o in present:
            ratio = r.ratio(o)
            cells.append("-" if ratio is None else f"{ratio:.2f}x")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def torch_or_none():
    """torch if it is importable (the comparisons are optional), else None."""
    try:
        import torch
    except ImportError:
        return None
    return torch
