"""Run every benchmark and write bench/RESULTS.md (machine details and each benchmark's table).

Run from the repository root, after the install and `npm ci`: ``.venv/bin/python bench/run_all.py``.
Each benchmark compares with a bare baseline measured in the same run: read the ratios,
not the seconds (the machines are shared and noisy).
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = [
    ("Reference geography: loading, cold and cached", "bench_geography.py", []),
    ("Geocoding 1 M rows of name + postal code", "bench_geocode.py", []),
    ("Name rules on every registry case", "bench_names.py", []),
    ("Checking funded projects against the plan", "bench_programme.py", []),
    ("Nearest distance and full analysis", "bench_analysis.py", []),
    ("Coverage year by year and the map's year slider", "bench_timeline.py", []),
    ("Map weight against explore()", "bench_map_size.py", []),
    ("Siting against spopt + CBC", "bench_siting.py", []),
    ("Assignment and the Dask engine (1 M and 10 M points)", "bench_scale.py", []),
]


def machine() -> list[str]:
    import numpy
    import pandas
    import psutil
    import shapely

    return [
        f"- date: {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB, {platform.platform()}",
        f"- Python {platform.python_version()}, numpy {numpy.__version__}, pandas {pandas.__version__}, "
        f"shapely {shapely.__version__} (GEOS {shapely.geos_version_string})",
    ]


def main() -> None:
    sections = [
        "# Benchmark results",
        "",
        "Written by `bench/run_all.py`. Ratios compare with a bare baseline measured in the same run.",
        "",
        "## Machine",
        "",
        *machine(),
    ]
    for title, script, args in BENCHMARKS:
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, str(HERE / script), *args], capture_output=True, text=True, cwd=HERE.parent
        )
        output = done.stdout.strip() if done.returncode == 0 else f"FAILED ({done.returncode}):\n{done.stderr[-2000:]}"
        print(f"## {title}\n{output}\n", flush=True)
        sections += [
            "",
            f"## {title}",
            "",
            f"`bench/{script}` ({time.perf_counter() - start:.0f} s)",
            "",
            "```",
            output,
            "```",
        ]
    (HERE / "RESULTS.md").write_text("\n".join(sections) + "\n", encoding="utf-8")
    print(HERE / "RESULTS.md")


if __name__ == "__main__":
    main()
