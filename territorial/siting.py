"""Siting: where k new facilities would cover the most people (maximal covering), and how many
are needed to cover a share of the population (set covering).

The maths work on a sparse coverage matrix (demand points × candidate sites, 1 within
the radius), as PySAL ``spopt`` does; :func:`site` and :func:`sites_for_share` are thin
adapters from the embedded geography. Two solvers:

* ``exact``: a mixed-integer programme solved by HiGHS (through ``scipy.optimize.milp``),
  optimal or with HiGHS' certified gap;
* ``heuristic``: greedy selection then one-for-one swaps, with its gap certified against
  the bound of the linear relaxation (solved by HiGHS too).

Existing facilities are fixed: the demand they cover is covered before any choice.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.spatial import cKDTree

from territorial import geography
from territorial._errors import ArgumentError, TerritorialError
from territorial._format import fr_number, fr_share, html_table
from territorial.schemes import SchemeLike, resolve_scheme

logger = logging.getLogger(__name__)

__all__ = [
    "InfeasibleError",
    "OptionsConflictError",
    "Solution",
    "SitingResult",
    "coverage_matrix",
    "solve_mclp",
    "solve_set_cover",
    "greedy_mclp",
    "site",
    "sites_for_share",
]

SOLVERS = ("auto", "exact", "heuristic")


class InfeasibleError(TerritorialError, ValueError):
    """The constraints cannot all be met (e.g. minimums per territory above k)."""


class OptionsConflictError(InfeasibleError, ArgumentError):
    """The options contradict each other (minimums per territory above k, or above a territory's candidates)."""


def coverage_matrix(demand_xy, candidate_xy, radius: float) -> sparse.csr_matrix:
    """Boolean sparse matrix: demand point i is within ``radius`` of candidate j."""
    demand_xy = np.asarray(demand_xy, dtype=float).reshape(-1, 2)
    candidate_xy = np.asarray(candidate_xy, dtype=float).reshape(-1, 2)
    if len(demand_xy) == 0 or len(candidate_xy) == 0:
        return sparse.csr_matrix((len(demand_xy), len(candidate_xy)), dtype=bool)
    pairs = cKDTree(demand_xy).sparse_distance_matrix(cKDTree(candidate_xy), radius, output_type="ndarray")
    return sparse.csr_matrix(
        (np.ones(len(pairs), dtype=bool), (pairs["i"], pairs["j"])), shape=(len(demand_xy), len(candidate_xy))
    )


@dataclass
class Solution:
    """Chosen candidates and the certificate of their quality.

    ``objective`` is the weighted demand newly covered; ``bound`` an upper bound on it
    (HiGHS' dual bound, or the LP relaxation); ``gap`` = (bound − objective) / bound.
    """

    chosen: np.ndarray
    objective: float
    bound: float
    gap: float
    solver: str
    seconds: float
    status: str


def _checked(A, weights, k, covered, groups, minimums):
    A = sparse.csr_matrix(A, dtype=bool)
    n_demand, n_candidates = A.shape
    weights = np.asarray(weights, dtype=float)
    if weights.shape != (n_demand,) or (weights < 0).any() or not np.isfinite(weights).all():
        raise ArgumentError("`weights` must hold one non-negative number per demand point")
    if not 0 <= k <= n_candidates:
        raise ArgumentError(f"`k` must be between 0 and the number of candidates ({n_candidates}), got {k}")
    covered = np.zeros(n_demand, dtype=bool) if covered is None else np.asarray(covered, dtype=bool)
    groups = np.zeros(n_candidates, dtype=int) if groups is None else np.asarray(groups)
    minimums = dict(minimums or {})
    need = sum(minimums.values())
    if need > k:
        raise OptionsConflictError(
            f"the minimums per territory ask for {need} new sites but k = {k}: raise k or lower the minimums"
        )
    for group, minimum in minimums.items():
        available = int((groups == group).sum())
        if available < minimum:
            raise OptionsConflictError(
                f"territory {group!r} needs {minimum} new site(s) but has only {available} candidate(s)"
            )
    return A, weights, covered, groups, minimums


def _objective(A: sparse.csr_matrix, weights: np.ndarray, covered: np.ndarray, chosen) -> float:
    if len(chosen) == 0:
        return 0.0
    hit = np.asarray(A[:, chosen].sum(axis=1)).ravel() > 0
    return float(weights[hit & ~covered].sum())


def _milp(A, weights, k, covered, groups, minimums, *, relax=False, time_limit=120.0, mip_rel_gap=1e-6):
    """MCLP as a MILP (or its LP relaxation): max Σ wᵢyᵢ, yᵢ ≤ Σⱼ aᵢⱼxⱼ, Σ xⱼ = k, group minimums."""
    active = np.flatnonzero(~covered & (weights > 0) & (np.asarray(A.sum(axis=1)).ravel() > 0))
    sub = A[active]
    n_y, n_x = len(active), A.shape[1]
    c = np.concatenate([np.zeros(n_x), -weights[active]])
    link = sparse.hstack([-sub.astype(float), sparse.identity(n_y, format="csr")], format="csr")
    rows = [
        LinearConstraint(link, -np.inf, 0.0),
        LinearConstraint(sparse.hstack([sparse.csr_matrix(np.ones((1, n_x))), sparse.csr_matrix((1, n_y))]), k, k),
    ]
    for group, minimum in minimums.items():
        member = (groups == group).astype(float)[None, :]
        rows.append(
            LinearConstraint(sparse.hstack([sparse.csr_matrix(member), sparse.csr_matrix((1, n_y))]), minimum, np.inf)
        )
    # the relaxation is the same programme with continuous x (HiGHS solves it as an LP)
    integrality = np.concatenate([np.zeros(n_x) if relax else np.ones(n_x), np.zeros(n_y)])
    result = milp(
        c,
        constraints=rows,
        integrality=integrality,
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit, "mip_rel_gap": mip_rel_gap, "disp": False},
    )
    if result.x is None:
        raise InfeasibleError(f"no feasible choice of sites ({result.message})")
    return result


def solve_mclp(
    A, weights, k: int, *, covered=None, groups=None, minimums=None, solver: str = "auto", time_limit: float = 120.0
) -> Solution:
    """Choose ``k`` candidates that maximise the weighted demand newly covered.

    Parameters
    ----------
    A : sparse matrix (n_demand × n_candidates)
        1 where a candidate covers a demand point (:func:`coverage_matrix`).
    weights : array
        Weight of each demand point (population × priority).
    k : int
        Number of new sites.
    covered : bool array, optional
        Demand already covered by existing facilities (fixed, not counted in the objective).
    groups, minimums : optional
        Group (territory) of each candidate, and the minimum number of new sites per group.
    solver : {"auto", "exact", "heuristic"}
        ``auto`` is the exact MILP (HiGHS) within ``time_limit`` seconds.
    """
    if solver not in SOLVERS:
        raise ArgumentError(f"`solver` must be one of {SOLVERS}, got {solver!r}")
    A, weights, covered, groups, minimums = _checked(A, weights, k, covered, groups, minimums)
    start = time.perf_counter()
    if solver == "heuristic":
        chosen = greedy_mclp(A, weights, k, covered=covered, groups=groups, minimums=minimums)
        objective = _objective(A, weights, covered, chosen)
        bound = -float(_milp(A, weights, k, covered, groups, minimums, relax=True).fun)
        seconds = time.perf_counter() - start
        gap = (bound - objective) / bound if bound > 0 else 0.0
        return Solution(
            np.sort(chosen),
            objective,
            max(bound, objective),
            max(gap, 0.0),
            "heuristic (glouton + échanges), borne de la relaxation linéaire (HiGHS)",
            seconds,
            "heuristique",
        )
    result = _milp(A, weights, k, covered, groups, minimums, time_limit=time_limit)
    chosen = np.flatnonzero(result.x[: A.shape[1]] > 0.5)
    objective = _objective(A, weights, covered, chosen)
    bound = -float(result.mip_dual_bound) if result.mip_dual_bound is not None else objective
    bound = max(bound, objective)
    gap = (bound - objective) / bound if bound > 0 else 0.0
    status = "optimal" if result.status == 0 else "limite de temps atteinte"
    return Solution(chosen, objective, bound, gap, "exact (MILP, HiGHS)", time.perf_counter() - start, status)


def greedy_mclp(A, weights, k: int, *, covered=None, groups=None, minimums=None, swaps: int = 200) -> np.ndarray:
    """Greedy maximal covering (minimums first), then best one-for-one swaps while they gain."""
    A, weights, covered, groups, minimums = _checked(A, weights, k, covered, groups, minimums)
    A_csc = A.tocsc()
    left = np.where(covered, 0.0, weights)
    gain = np.asarray(A_csc.T @ left).ravel()
    chosen: list[int] = []
    taken = np.zeros(A.shape[1], dtype=bool)

    def take(j):
        nonlocal left
        chosen.append(j)
        taken[j] = True
        newly = A_csc[:, j].nonzero()[0]
        newly = newly[left[newly] > 0]
        if len(newly):
            drop = np.zeros_like(left)
            drop[newly] = left[newly]
            gain[:] -= np.asarray(A_csc.T @ drop).ravel()
            left[newly] = 0.0

    for group, minimum in minimums.items():
        for _ in range(minimum):
            pool = np.flatnonzero((groups == group) & ~taken)
            take(int(pool[np.argmax(gain[pool])]))
    while len(chosen) < k:
        masked = np.where(taken, -np.inf, gain)
        take(int(np.argmax(masked)))
    return _improve_by_swaps(A, weights, covered, groups, minimums, np.array(chosen, dtype=int), swaps)


def _improve_by_swaps(A, weights, covered, groups, minimums, chosen, rounds):
    """Replace one chosen site by one other while the objective grows (minimums kept)."""
    A_csc = A.tocsc()
    best = _objective(A, weights, covered, chosen)
    for _ in range(rounds):
        counts = np.asarray(A[:, chosen].sum(axis=1)).ravel()
        free = np.where(covered, 0.0, weights)
        # loss of removing each chosen site: demand it alone covers
        alone = (counts == 1) & ~covered
        loss = np.asarray(A_csc[:, chosen].T @ (free * alone)).ravel()
        uncovered = np.where((counts == 0) & ~covered, weights, 0.0)
        gains = np.asarray(A_csc.T @ uncovered).ravel()
        gains[chosen] = -np.inf
        order = np.argsort(loss)
        improved = False
        for position in order[: min(len(order), 25)]:
            out = chosen[position]
            group_counts = pd.Series(groups[chosen]).value_counts()
            for candidate in np.argsort(-gains)[:50]:
                if gains[candidate] <= loss[position]:
                    break
                if (
                    groups[out] in minimums
                    and groups[candidate] != groups[out]
                    and group_counts.get(groups[out], 0) <= minimums[groups[out]]
                ):
                    continue
                trial = chosen.copy()
                trial[position] = candidate
                value = _objective(A, weights, covered, trial)
                if value > best + 1e-9:
                    chosen, best, improved = trial, value, True
                    break
            if improved:
                break
        if not improved:
            break
    return chosen


def solve_set_cover(A, weights, share: float, *, covered=None, time_limit: float = 120.0) -> Solution:
    """The fewest new sites that bring the covered share of the weighted demand to ``share``."""
    A = sparse.csr_matrix(A, dtype=bool)
    weights = np.asarray(weights, dtype=float)
    covered = np.zeros(A.shape[0], dtype=bool) if covered is None else np.asarray(covered, dtype=bool)
    if not 0 < share <= 1:
        raise ArgumentError(f"`share` must be in (0, 1], got {share}")
    total = weights.sum()
    already = weights[covered].sum()
    reachable = weights[covered | (np.asarray(A.sum(axis=1)).ravel() > 0)].sum()
    if reachable < share * total - 1e-9:
        raise InfeasibleError(
            f"even with every candidate, only {reachable / total:.1%} of the demand can be "
            f"covered, below the {share:.1%} asked"
        )
    start = time.perf_counter()
    target = share * total - already
    if target <= 0:
        return Solution(np.array([], dtype=int), 0.0, 0.0, 0.0, "aucun site nécessaire", 0.0, "optimal")
    active = np.flatnonzero(~covered & (weights > 0))
    sub = A[active]
    n_y, n_x = len(active), A.shape[1]
    c = np.concatenate([np.ones(n_x), np.zeros(n_y)])
    link = sparse.hstack([-sub.astype(float), sparse.identity(n_y, format="csr")], format="csr")
    demand = sparse.hstack([sparse.csr_matrix((1, n_x)), sparse.csr_matrix(weights[active][None, :])])
    result = milp(
        c,
        constraints=[LinearConstraint(link, -np.inf, 0.0), LinearConstraint(demand, target, np.inf)],
        integrality=np.concatenate([np.ones(n_x), np.zeros(n_y)]),
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit, "disp": False},
    )
    if result.x is None:
        raise InfeasibleError(f"no set of sites reaches the share ({result.message})")
    chosen = np.flatnonzero(result.x[:n_x] > 0.5)
    bound = float(result.mip_dual_bound) if result.mip_dual_bound is not None else len(chosen)
    gap = (len(chosen) - bound) / len(chosen) if len(chosen) else 0.0
    return Solution(
        chosen,
        float(len(chosen)),
        bound,
        max(gap, 0.0),
        "exact (MILP, HiGHS)",
        time.perf_counter() - start,
        "optimal" if result.status == 0 else "limite de temps atteinte",
    )


# --------------------------------------------------------------------------- adapters on the geography


@dataclass
class SitingResult:
    """Sites chosen over the communes of Nord and Pas-de-Calais, and what they change.

    Attributes
    ----------
    sites : geopandas.GeoDataFrame
        One row per new site, by rank: ``rang``, ``code_insee``, ``commune``, ``territoire``,
        ``x``, ``y`` (Lambert-93), ``gain_population`` (people newly covered, in the order
        of rank), ``gain_pondere``.
    coverage : pandas.DataFrame
        Per territory (and ``Région``): ``population``, ``couverte_avant``, ``couverte_apres``,
        ``part_avant``, ``part_apres``.
    solution : Solution
        Solver, objective, bound, gap, time.
    covered_before, covered_after : float
        Population covered by the existing facilities, and with the new sites.
    communes : geopandas.GeoDataFrame
        Every commune with ``couverte_avant`` / ``couverte_apres`` (0/1) for maps.
    start_year : int or None
        The existing facilities are those open on 31 December of this year (None: all those given).
    """

    sites: gpd.GeoDataFrame
    coverage: pd.DataFrame
    solution: Solution
    covered_before: float
    covered_after: float
    radius_km: float
    communes: gpd.GeoDataFrame
    start_year: int | None = None

    @property
    def start_label(self) -> str:
        """The state the siting starts from, in French: « aujourd'hui » or « au 31 décembre 2002 »."""
        return "aujourd'hui" if self.start_year is None else f"au 31 décembre {self.start_year}"

    def _repr_html_(self) -> str:
        """In Jupyter: the solver's certificate, then the population covered per territory, before and after."""
        s = self.solution
        before = self.start_label
        table = pd.DataFrame(
            {
                "Territoire": self.coverage["territoire"],
                "Population": self.coverage["population"],
                f"Couverte {before}": self.coverage["part_avant"],
                "Avec les nouveaux sites": self.coverage["part_apres"],
            }
        )
        lines = [
            f"{len(self.sites)} nouveaux sites à moins de {fr_number(self.radius_km, 1)} km",
            f"Solveur : {s.solver} — {s.status} ; écart à la borne : {fr_number(100 * s.gap, 3)} %",
        ]
        formats = {"Population": fr_number, f"Couverte {before}": fr_share, "Avec les nouveaux sites": fr_share}
        return html_table("Implantation de nouveaux sites", table, formats, lines=lines)


def _points_xy(frame: gpd.GeoDataFrame | None, name: str) -> np.ndarray:
    if frame is None or len(frame) == 0:
        return np.empty((0, 2))
    if frame.crs is None:
        raise ArgumentError(f"`{name}` has no CRS; set it (e.g. .set_crs('EPSG:2154'))")
    points = frame.to_crs(2154).geometry
    if not (points.geom_type == "Point").all():
        points = points.representative_point()
    return np.column_stack([points.x.to_numpy(), points.y.to_numpy()])


@dataclass(frozen=True)
class _Problem:
    """A siting problem on the geography: demand at town halls, candidates, who covers whom."""

    communes: gpd.GeoDataFrame
    population: np.ndarray
    weighted: np.ndarray  # population × the priority weight of its territory
    demand_territory: np.ndarray
    candidates: gpd.GeoDataFrame
    candidate_xy: np.ndarray
    A: sparse.csr_matrix  # demand × candidate: 1 where the candidate covers the commune's town hall
    covered: np.ndarray  # communes already covered by the existing facilities
    territory: pd.Series
    radius_km: float


def _problem(radius_km, existing, candidates, weights, scheme) -> _Problem:
    territory = resolve_scheme(scheme)
    communes = geography.communes()
    halls = geography.town_halls().set_index("code_insee").geometry.reindex(communes["code_insee"])
    demand_xy = np.column_stack([halls.x.to_numpy(), halls.y.to_numpy()])
    population = communes["population"].to_numpy(float)
    demand_territory = communes["code_insee"].map(territory).to_numpy()
    unknown = set(weights or {}) - set(territory.unique())
    if unknown:
        raise ArgumentError(
            f"`weights` names unknown territories {sorted(unknown)}; territories are {sorted(territory.unique())}"
        )
    priority = pd.Series(demand_territory).map(weights or {}).fillna(1.0).to_numpy(float)
    if candidates is None:
        candidates = gpd.GeoDataFrame(
            {"code_insee": communes["code_insee"].to_numpy()}, geometry=halls.to_numpy(), crs=2154
        )
    candidate_xy = _points_xy(candidates, "candidates")
    if "code_insee" not in candidates:
        raise ArgumentError("`candidates` needs a `code_insee` column (geocode them first)")
    radius = radius_km * 1000
    covered = np.zeros(len(communes), dtype=bool)
    existing_xy = _points_xy(existing, "existing")
    if len(existing_xy):
        covered = coverage_matrix(demand_xy, existing_xy, radius).sum(axis=1).A1 > 0
    return _Problem(
        communes=communes,
        population=population,
        weighted=population * priority,
        demand_territory=demand_territory,
        candidates=candidates,
        candidate_xy=candidate_xy,
        A=coverage_matrix(demand_xy, candidate_xy, radius),
        covered=covered,
        territory=territory,
        radius_km=radius_km,
    )


def _ranked_sites(problem: _Problem, solution: Solution) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """The chosen sites ranked by marginal gain (given the existing ones and those before), and who is covered."""
    population, candidates, territory = problem.population, problem.candidates, problem.territory
    names = problem.communes.set_index("code_insee")["nom"]
    remaining = list(solution.chosen)
    now = problem.covered.copy()
    rows: list[dict] = []
    A_csc = problem.A.tocsc()
    while remaining:
        gains = [population[A_csc[:, j].nonzero()[0]][~now[A_csc[:, j].nonzero()[0]]].sum() for j in remaining]
        j = remaining.pop(int(np.argmax(gains)))
        hit = A_csc[:, j].nonzero()[0]
        new = hit[~now[hit]]
        code = candidates["code_insee"].iloc[j]
        rows.append(
            {
                "rang": len(rows) + 1,
                "code_insee": code,
                "commune": names.get(code, ""),
                "territoire": territory.get(code, None),
                "x": round(problem.candidate_xy[j, 0], 2),
                "y": round(problem.candidate_xy[j, 1], 2),
                "gain_population": float(population[new].sum()),
                "gain_pondere": float(problem.weighted[new].sum()),
            }
        )
        now[new] = True
    sites = gpd.GeoDataFrame(
        pd.DataFrame(
            rows, columns=["rang", "code_insee", "commune", "territoire", "x", "y", "gain_population", "gain_pondere"]
        ),
        geometry=gpd.points_from_xy([r["x"] for r in rows], [r["y"] for r in rows]),
        crs=2154,
    )
    return sites, now


def _result(problem: _Problem, solution: Solution) -> SitingResult:
    sites, now = _ranked_sites(problem, solution)
    population, covered = problem.population, problem.covered
    frame = pd.DataFrame(
        {
            "territoire": problem.demand_territory,
            "population": population,
            "couverte_avant": population * covered,
            "couverte_apres": population * now,
        }
    )
    table = frame.groupby("territoire", sort=False)[["population", "couverte_avant", "couverte_apres"]].sum()
    table.loc["Région"] = table.sum()
    table["part_avant"] = table["couverte_avant"] / table["population"]
    table["part_apres"] = table["couverte_apres"] / table["population"]
    per_commune = problem.communes.assign(
        territoire=problem.demand_territory, couverte_avant=covered.astype(int), couverte_apres=now.astype(int)
    )
    return SitingResult(
        sites=sites,
        coverage=table.reset_index(),
        solution=solution,
        covered_before=float(population[covered].sum()),
        covered_after=float(population[now].sum()),
        radius_km=problem.radius_km,
        communes=per_commune,
    )


def site(
    *,
    k: int,
    radius_km: float,
    existing: gpd.GeoDataFrame | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    weights: dict[str, float] | None = None,
    min_per_territory: int | dict[str, int] | None = None,
    solver: str = "auto",
    scheme: SchemeLike = "cper2000",
    time_limit: float = 120.0,
) -> SitingResult:
    """Where ``k`` new sites would cover the most (priority-weighted) population within ``radius_km``.

    Parameters
    ----------
    k : int
        New sites to choose.
    radius_km : float
        Coverage radius (straight line, Lambert-93).
    existing : geopandas.GeoDataFrame, optional
        Existing facilities (points): fixed, the demand they cover counts as covered.
    candidates : geopandas.GeoDataFrame, optional
        Candidate sites with ``code_insee`` (default: every town hall).
    weights : dict, optional
        Territory -> priority weight of its population, e.g. ``{"Bassin Minier": 1.5}``.
    min_per_territory : int or dict, optional
        Minimum number of new sites in every territory (int) or per territory (dict).
    solver : {"auto", "exact", "heuristic"}
    scheme : territory scheme (default ``cper2000``)
    """
    problem = _problem(radius_km, existing, candidates, weights, scheme)
    groups = problem.candidates["code_insee"].map(problem.territory).to_numpy()
    if isinstance(min_per_territory, int):
        minimums = dict.fromkeys(sorted(problem.territory.unique()), min_per_territory)
    else:
        minimums = dict(min_per_territory or {})
    solution = solve_mclp(
        problem.A,
        problem.weighted,
        k,
        covered=problem.covered,
        groups=groups,
        minimums=minimums,
        solver=solver,
        time_limit=time_limit,
    )
    logger.info("siting: %s, objective %.1f, bound %.1f", solution.solver, solution.objective, solution.bound)
    return _result(problem, solution)


def sites_for_share(
    share: float,
    *,
    radius_km: float,
    existing: gpd.GeoDataFrame | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    scheme: SchemeLike = "cper2000",
    time_limit: float = 120.0,
) -> SitingResult:
    """The fewest new sites covering ``share`` (0-1) of the population within ``radius_km`` (set covering)."""
    problem = _problem(radius_km, existing, candidates, None, scheme)
    solution = solve_set_cover(problem.A, problem.population, share, covered=problem.covered, time_limit=time_limit)
    return _result(problem, solution)
