"""Benchmarks of the spatial-balance analysis.

Run: ``.venv/bin/python bench/bench_analysis.py [N_FACILITIES]``.

1. Nearest-facility distance from the 1,534 town halls, through territorial's adapter
   (:func:`territorial.coverage.nearest_distance`), against a bare
   ``scipy.spatial.cKDTree`` build + query of the same points (bar: within 2x).
2. The full analysis (:func:`territorial.analyse`) of N facilities (default 10,000) of
   two kinds spread over the region.
"""

from __future__ import annotations

import sys
import time

import geopandas as gpd
import numpy as np
from _timing import median_time
from scipy.spatial import cKDTree

import territorial
from territorial import coverage
from territorial.analysis import analyse


def facilities(n: int, seed: int = 4) -> gpd.GeoDataFrame:
    """N facilities at random points inside communes drawn by population."""
    rng = np.random.default_rng(seed)
    communes = territorial.communes(scheme=None)
    weights = communes["population"].to_numpy(float)
    pick = rng.choice(len(communes), size=n, p=weights / weights.sum())
    points = communes.geometry.iloc[pick].sample_points(1, rng=rng).get_geometry(0)
    return gpd.GeoDataFrame(
        {
            "code_insee": communes["code_insee"].to_numpy()[pick],
            "kind": np.where(rng.random(n) < 0.4, "cyber_centre", "broadband_access_point"),
            "postes": rng.integers(4, 17, n),
        },
        geometry=points.to_numpy(),
        crs=2154,
    )


def main(n: int = 10_000) -> None:
    frame = facilities(n)
    halls = territorial.town_halls()
    origins = np.column_stack([halls.geometry.x, halls.geometry.y])
    xy = np.column_stack([frame.geometry.x, frame.geometry.y])
    bare = median_time(lambda: cKDTree(xy).query(origins, k=1))
    ours = median_time(lambda: coverage.nearest_distance(origins, xy))
    print(f"nearest distance, {len(origins):,} town halls x {n:,} facilities")
    print(f"  bare cKDTree build + query: {bare * 1e3:7.2f} ms (baseline)")
    print(f"  coverage.nearest_distance:  {ours * 1e3:7.2f} ms  ratio {ours / bare:4.2f}")
    analyse(frame.head(100), n_boot=10)  # warm the caches (contiguity, geography)
    start = time.perf_counter()
    result = analyse(frame)
    elapsed = time.perf_counter() - start
    print(f"full analysis of {n:,} facilities ({len(result.kinds)} kinds, 999 bootstrap draws each): {elapsed:5.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
