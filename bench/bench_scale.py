"""Benchmark: assigning many points to communes, in memory and on Dask.

Run: ``.venv/bin/python bench/bench_scale.py [N ...]`` (default 1,000,000 and 10,000,000).

1. Assignment of 1 M synthetic points (drawn inside communes by population): territorial's
   ``assign_points`` against a bare shapely ``STRtree.query`` of the same points with the
   same predicate, and against ``geopandas.sjoin`` (bars: ≤ 1.3× the bare query, no slower
   than sjoin).
2. End to end — draw N points and count them per commune and territory — in memory
   against the Dask engine on a local cluster of 2 worker processes, each in its own
   process whose peak memory (with its children) is measured; the two results are compared.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import psutil

CASE = r"""
import json, sys, time
from territorial import scale
n, engine = int(sys.argv[1]), sys.argv[2]
start = time.perf_counter()
if engine == "dask":
    with scale.dask_client(workers=2):
        points = scale.synthetic_points(n, seed=1, engine="dask")
        counts = scale.point_coverage(points, None, radius_km=1, engine="dask")
else:
    points = scale.synthetic_points(n, seed=1)
    counts = scale.point_coverage(points, None, radius_km=1)
seconds = time.perf_counter() - start
counts.to_csv(sys.argv[3], index=False)
print(json.dumps({"seconds": seconds, "points": int(counts["points"].sum())}))
"""


def peak_rss(command: list[str]) -> tuple[dict, float]:
    """Run ``command``; return its JSON answer and the peak memory (GB) of it and its children."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    peak, parent = 0, psutil.Process(process.pid)

    def watch():
        nonlocal peak
        while process.poll() is None:
            try:
                total = parent.memory_info().rss + sum(c.memory_info().rss for c in parent.children(recursive=True))
                peak = max(peak, total)
            except psutil.Error:
                pass
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    out, _ = process.communicate()
    watcher.join()
    return json.loads(out.strip().splitlines()[-1]), peak / 1e9


def assignment(n: int = 1_000_000) -> None:
    import geopandas as gpd

    import territorial
    from territorial import scale
    from territorial.geocode import _index

    points = scale.synthetic_points(n, seed=1)
    geoms = points.geometry.to_numpy()
    tree = _index().tree
    scale.assign_points(points.head(10))

    def timed(func):
        start = time.perf_counter()
        func()
        return time.perf_counter() - start

    bare = min(timed(lambda: tree.query(geoms, predicate="intersects")) for _ in range(3))
    ours = min(timed(lambda: scale.assign_points(points)) for _ in range(3))
    communes = territorial.communes()[["code_insee", "territoire", "geometry"]]
    sjoin = min(
        timed(lambda: gpd.sjoin(points[["geometry"]], communes, predicate="intersects", how="left")) for _ in range(3)
    )
    print(f"assignment of {n:,} points (predicate intersects)")
    print(f"  bare shapely STRtree.query:  {bare:6.2f} s (baseline)")
    print(f"  territorial assign_points:   {ours:6.2f} s  ratio {ours / bare:4.2f}")
    print(f"  geopandas.sjoin:             {sjoin:6.2f} s  ratio {sjoin / bare:4.2f}")


def engines(n: int) -> None:
    import pandas as pd

    results = {}
    for engine in ("memory", "dask"):
        out = f"/tmp/territorial_bench_{engine}_{n}.csv"
        answer, peak = peak_rss([sys.executable, "-c", CASE, str(n), engine, out])
        results[engine] = (answer, peak, out)
    memory, dask = results["memory"], results["dask"]
    same = pd.read_csv(memory[2]).equals(pd.read_csv(dask[2]))
    print(f"draw {n:,} points and count them per commune and territory")
    print(f"  in memory:              {memory[0]['seconds']:7.1f} s  peak {memory[1]:5.2f} GB (baseline)")
    print(
        f"  Dask, 2 worker procs:   {dask[0]['seconds']:7.1f} s  peak {dask[1]:5.2f} GB  "
        f"ratio {dask[0]['seconds'] / memory[0]['seconds']:4.2f}  identical counts: {same}"
    )


def main(sizes: list[int]) -> None:
    assignment()
    for n in sizes:
        engines(n)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1_000_000, 10_000_000])
