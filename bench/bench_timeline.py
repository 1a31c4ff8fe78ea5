"""Benchmark: coverage and equity year by year, and the map's year slider, against bare baselines.

Run: ``.venv/bin/python bench/bench_timeline.py [N]`` (from the repository root, after ``npm ci``).
The facilities are the example cyber-centres moved a little (seeded) to N of them (default 2 000),
opened between 1995 and 2006, one in ten closed later, one in ten undated. For each year of the
plan (2000-2006), :func:`territorial.timeline.evolution` finds the facilities open on 31 December,
then per territory and for the region: counts, openings and closings, coverage within the radius,
population-weighted mean distance and the Theil index. The baseline, in the same run, does the
least any yearly recomputation does: per year, the open facilities as a numpy mask and one
nearest-facility query (scipy cKDTree) from the 1,534 town halls. The map part compares the
coverage map with and without the year slider (its per-year distances and the facilities' years).
"""

from __future__ import annotations

import sys
import time

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

import territorial
from territorial.examples import example_path
from territorial.maps import coverage_map, render_map
from territorial.timeline import PLAN_YEARS, evolution

sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from _timing import median_time  # noqa: E402


def dated_facilities(n: int, seed: int = 2000) -> gpd.GeoDataFrame:
    """N cyber-centres near the example ones, with opening and closing years (some undated)."""
    rng = np.random.default_rng(seed)
    example = territorial.geocode_file(example_path("cyber_centres_exemple.csv")).accepted
    picked = example.iloc[rng.integers(0, len(example), n)].reset_index(drop=True)
    moved = gpd.points_from_xy(
        picked.geometry.x + rng.normal(0, 2_000, n), picked.geometry.y + rng.normal(0, 2_000, n), crs=2154
    )
    opened = rng.integers(1995, 2007, n).astype(float)
    closed = np.where(rng.random(n) < 0.1, opened + rng.integers(1, 6, n), np.nan)
    opened[rng.random(n) < 0.1] = np.nan
    year = pd.Series(opened).map(lambda y: "" if np.isnan(y) else f"{y:.0f}")
    return gpd.GeoDataFrame(
        {
            "kind": "cyber_centre",
            "code_insee": picked["code_insee"].to_numpy(),
            "date_ouverture": year.to_numpy(),
            "date_fermeture": pd.Series(closed).map(lambda y: "" if np.isnan(y) else f"{y:.0f}").to_numpy(),
        },
        geometry=moved,
    )


def baseline(facilities: gpd.GeoDataFrame, halls: np.ndarray) -> float:
    """Per year: the open facilities (numpy) and one nearest query from the town halls; the last mean distance."""
    opened = pd.to_numeric(facilities["date_ouverture"], errors="coerce").to_numpy()
    closed = pd.to_numeric(facilities["date_fermeture"], errors="coerce").to_numpy()
    xy = np.column_stack([facilities.geometry.x, facilities.geometry.y])
    mean = 0.0
    for year in PLAN_YEARS:
        is_open = (np.isnan(opened) | (opened <= year)) & (np.isnan(closed) | (closed > year))
        distance, _ = cKDTree(xy[is_open]).query(halls, k=1)
        mean = float(distance.mean())
    return mean


def main(n: int = 2_000) -> None:
    facilities = dated_facilities(n)
    analysis = territorial.analyse(facilities, n_boot=10)
    halls = territorial.town_halls().set_index("code_insee").geometry.reindex(analysis.communes["code_insee"])
    origins = np.column_stack([halls.x.to_numpy(), halls.y.to_numpy()])
    base = median_time(lambda: baseline(facilities, origins), repeat=7)
    full = median_time(lambda: evolution(facilities, analysis), repeat=3)
    table = evolution(facilities, analysis)
    region = table[table["territoire"] == "Région"].set_index("annee")["nombre"].to_dict()
    print(f"{n:,} facilities, {len(PLAN_YEARS)} years, 1,534 communes; open on 31 December: {region}")
    print(f"bare yearly mask + cKDTree query:  {base:.3f} s (baseline)")
    print(f"timeline.evolution (6 territories): {full:.3f} s  ratio {full / base:.1f}")

    example = territorial.geocode_file(example_path("cyber_centres_exemple.csv")).accepted
    example = example.assign(kind="cyber_centre")
    small = territorial.analyse(example, n_boot=10)
    sizes, times = {}, {}
    for label, years in (("without", None), ("with", list(PLAN_YEARS))):
        start = time.perf_counter()
        sizes[label] = len(render_map(coverage_map(small, example, years=years)).encode())
        times[label] = time.perf_counter() - start
    print(
        f"coverage map of the {len(example)} example cyber-centres: without the year slider "
        f"{sizes['without'] / 1e6:.2f} MB in {times['without']:.1f} s (baseline); with it "
        f"{sizes['with'] / 1e6:.2f} MB (+{(sizes['with'] - sizes['without']) / 1e3:.0f} kB) in "
        f"{times['with']:.1f} s  ratio {times['with'] / times['without']:.2f}"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2_000)
