"""Benchmark: maximal covering on the Nord-Pas de Calais instance, territorial against PySAL spopt.

Run: ``.venv/bin/python bench/bench_siting.py [K] [RADIUS_KM]`` (defaults 50 and 5).
Instance: demand = every commune (population at its town hall), candidates = every town
hall, radius R, k new sites, nothing existing. spopt's ``MCLP`` is built from the same
distance matrix and solved with CBC (PuLP); territorial's exact solver is HiGHS through
``scipy.optimize.milp``, its heuristic greedy + swaps. Times include building each model.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pulp
from scipy.spatial.distance import cdist
from spopt.locate import MCLP

import territorial
from territorial import siting


def main(k: int = 50, radius_km: float = 5.0) -> None:
    communes = territorial.communes(scheme=None)
    halls = territorial.town_halls().set_index("code_insee").geometry.reindex(communes["code_insee"])
    xy = np.column_stack([halls.x, halls.y])
    population = communes["population"].to_numpy(float)

    start = time.perf_counter()
    model = MCLP.from_cost_matrix(cdist(xy, xy), population, radius_km * 1000, p_facilities=k, name="npdc")
    model = model.solve(pulp.PULP_CBC_CMD(msg=False))
    spopt_seconds = time.perf_counter() - start
    spopt_value = float(pulp.value(model.problem.objective))

    timings = {}
    for solver in ("exact", "heuristic"):
        start = time.perf_counter()
        A = siting.coverage_matrix(xy, xy, radius_km * 1000)
        solution = siting.solve_mclp(A, population, k, solver=solver)
        timings[solver] = (time.perf_counter() - start, solution)

    print(f"instance: {len(xy):,} demand points and candidates, R = {radius_km:g} km, k = {k}")
    print(f"spopt MCLP + CBC:          covered {spopt_value:12,.0f}  {spopt_seconds:7.2f} s (baseline)")
    for solver, (seconds, solution) in timings.items():
        print(
            f"territorial {solver:<10}:   covered {solution.objective:12,.0f}  {seconds:7.2f} s  "
            f"{spopt_seconds / seconds:5.1f}x faster  bound {solution.bound:,.0f}  gap {100 * solution.gap:.3f} %  "
            f"vs spopt {100 * (solution.objective - spopt_value) / spopt_value:+.3f} %"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50, float(sys.argv[2]) if len(sys.argv) > 2 else 5.0)
