"""Benchmark: weight of the default coverage map against GeoDataFrame.explore() of the same layers.

Run: ``.venv/bin/python bench/bench_map_size.py`` (from the repository root, after ``npm ci``).
The default map is the one ``territorial run`` writes (self-contained: scripts inlined).
The reference is folium's ``explore()`` of the same layers: communes with their indicators,
territories, coverage zones, facilities and under-served communes (scripts from CDNs).
"""

from __future__ import annotations

import time

import geopandas as gpd
import pandas as pd

import territorial
from territorial.maps import coverage_map, render_map
from territorial.scenario import assign_kind, default_scenario


def main() -> None:
    scenario = default_scenario()
    frames = [
        assign_kind(territorial.geocode_file(layer.path).accepted, kind=layer.kind, path=layer.path)
        for layer in scenario.inputs
    ]
    facilities = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=2154)
    analysis = territorial.analyse(facilities)

    start = time.perf_counter()
    ours_inline = len(render_map(coverage_map(analysis, facilities, example_data=True), self_contained=True).encode())
    ours_cdn = len(render_map(coverage_map(analysis, facilities, example_data=True), self_contained=False).encode())
    elapsed = time.perf_counter() - start

    halls = territorial.town_halls().set_index("code_insee").geometry
    reference = analysis.communes.explore(name="communes", column="dist_cyber_centre_km")
    gpd.GeoDataFrame(
        analysis.territories.merge(territorial.territories()[["territoire", "geometry"]]), crs=2154
    ).explore(m=reference)
    analysis.zones.explore(m=reference)
    facilities.explore(m=reference)
    for _, far in analysis.underserved.groupby("kind"):  # one layer of under-served communes per kind, as ours
        gpd.GeoDataFrame(far, geometry=halls.reindex(far["code_insee"]).to_numpy(), crs=2154).explore(m=reference)
    explore = len(reference.get_root().render().encode())

    print(f"explore() of the same layers:        {explore / 1e6:6.2f} MB (baseline)")
    print(f"default map, self-contained:          {ours_inline / 1e6:6.2f} MB  {explore / ours_inline:4.1f}x smaller")
    print(f"same map linking CDN scripts:         {ours_cdn / 1e6:6.2f} MB  {explore / ours_cdn:4.1f}x smaller")
    print(f"(both maps built and rendered in {elapsed:.1f} s)")


if __name__ == "__main__":
    main()
