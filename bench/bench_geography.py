"""Benchmark: loading the embedded geography, cold and cached, against a bare pyogrio read.

Run: ``.venv/bin/python bench/bench_geography.py``. Prints medians and ratios to the
baseline measured in the same run (the machines are shared: compare ratios, not seconds).
"""

from __future__ import annotations

import statistics
import subprocess
import sys

import pyogrio
from _timing import median_time

import territorial
from territorial import geography


def cold_start() -> float:
    """Communes + territories in a fresh interpreter (import excluded)."""
    code = (
        "import time, territorial as t; s=time.perf_counter(); t.communes(); t.territories(); "
        "print(time.perf_counter()-s)"
    )
    runs = [float(subprocess.check_output([sys.executable, "-c", code], text=True)) for _ in range(5)]
    return statistics.median(runs)


def main() -> None:
    path = geography.geodata_path()
    baseline = median_time(lambda: pyogrio.read_dataframe(path, layer="communes"))
    territorial.communes(), territorial.territories()  # warm the cache
    cached = median_time(lambda: (territorial.communes(), territorial.territories()))
    cold = cold_start()
    print(f"bare pyogrio.read_dataframe(communes): {baseline * 1e3:8.1f} ms  (baseline)")
    print(f"cold communes() + territories():       {cold * 1e3:8.1f} ms  ratio {cold / baseline:5.2f}")
    print(f"cached communes() + territories():     {cached * 1e3:8.1f} ms  ratio {cached / baseline:5.3f}")


if __name__ == "__main__":
    main()
