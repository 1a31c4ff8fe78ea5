"""Timing helper shared by the benchmarks."""

from __future__ import annotations

import statistics
import time


def median_time(func, repeat: int = 20) -> float:
    """Median wall time of ``repeat`` calls of ``func``, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
