"""Siting: hand-solved tiny instances, spopt cross-check, and the real region."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist
from typer.testing import CliRunner

import territorial
from territorial import siting
from territorial.cli import app
from territorial.examples import CYBER_FILE, example_path

runner = CliRunner()

# four people-weighted points on a line and three candidate sites, radius 1.5
DEMAND = np.array([[0, 0], [2, 0], [10, 0], [12, 0]], dtype=float)
WEIGHTS = np.array([10, 5, 7, 1], dtype=float)
CANDIDATES = np.array([[1, 0], [6, 0], [11, 0]], dtype=float)
A = siting.coverage_matrix(DEMAND, CANDIDATES, 1.5)


def test_coverage_matrix_by_hand():
    assert A.toarray().astype(int).tolist() == [[1, 0, 0], [1, 0, 0], [0, 0, 1], [0, 0, 1]]


@pytest.mark.parametrize("solver", ["exact", "heuristic"])
@pytest.mark.parametrize(("k", "chosen", "objective"), [(1, [0], 15.0), (2, [0, 2], 23.0), (3, [0, 1, 2], 23.0)])
def test_maximal_covering_by_hand(solver, k, chosen, objective):
    solution = siting.solve_mclp(A, WEIGHTS, k, solver=solver)
    assert sorted(solution.chosen.tolist()) == chosen
    assert solution.objective == objective
    assert solution.bound >= solution.objective - 1e-9 and solution.gap == pytest.approx(0.0, abs=1e-9)


def test_existing_coverage_is_fixed_and_not_counted_again():
    covered = np.array([True, False, False, False])  # an existing site covers the first point only
    solution = siting.solve_mclp(A, WEIGHTS, 1, covered=covered)
    assert solution.chosen.tolist() == [2] and solution.objective == 8.0


def test_minimum_per_group_by_hand_and_infeasible():
    groups = np.array(["A", "B", "B"])
    solution = siting.solve_mclp(A, WEIGHTS, 2, groups=groups, minimums={"B": 2})
    assert solution.chosen.tolist() == [1, 2] and solution.objective == 8.0
    heuristic = siting.solve_mclp(A, WEIGHTS, 2, groups=groups, minimums={"B": 2}, solver="heuristic")
    assert heuristic.chosen.tolist() == [1, 2]
    with pytest.raises(siting.InfeasibleError, match="ask for 3 new sites but k = 2"):
        siting.solve_mclp(A, WEIGHTS, 2, groups=groups, minimums={"A": 1, "B": 2})
    with pytest.raises(siting.InfeasibleError, match="has only 1 candidate"):
        siting.solve_mclp(A, WEIGHTS, 2, groups=groups, minimums={"A": 2})


@pytest.mark.parametrize(("share", "n_sites"), [(0.5, 1), (0.9, 2), (1.0, 2)])
def test_set_covering_by_hand(share, n_sites):
    assert len(siting.solve_set_cover(A, WEIGHTS, share).chosen) == n_sites


def test_set_covering_out_of_reach():
    far = siting.coverage_matrix(DEMAND, np.array([[100.0, 0.0]]), 1.5)
    with pytest.raises(siting.InfeasibleError, match="only 0.0% of the demand"):
        siting.solve_set_cover(far, WEIGHTS, 0.5)


def test_exact_equals_spopt_with_cbc_on_a_real_territory():
    pulp = pytest.importorskip("pulp", reason="spopt's CBC comes with the test extra")
    from spopt.locate import MCLP

    communes = territorial.communes()
    sud = communes[communes["territoire"] == "Sud Nord"]
    halls = territorial.town_halls().set_index("code_insee").geometry.reindex(sud["code_insee"])
    xy = np.column_stack([halls.x, halls.y])
    population = sud["population"].to_numpy(float)
    model = MCLP.from_cost_matrix(cdist(xy, xy), population, 5000, p_facilities=6, name="sud")
    model.solve(pulp.PULP_CBC_CMD(msg=False))
    spopt_value = pulp.value(model.problem.objective)
    ours = siting.solve_mclp(siting.coverage_matrix(xy, xy, 5000), population, 6, solver="exact")
    assert ours.objective == pytest.approx(spopt_value)
    heuristic = siting.solve_mclp(siting.coverage_matrix(xy, xy, 5000), population, 6, solver="heuristic")
    assert heuristic.objective <= ours.objective + 1e-6 <= heuristic.bound + 1e-6
    assert heuristic.gap == pytest.approx((heuristic.bound - heuristic.objective) / heuristic.bound)


@pytest.fixture(scope="module")
def existing():
    return territorial.geocode_file(example_path(CYBER_FILE)).accepted


def test_existing_sites_are_kept_and_count_as_covering(existing):
    result = territorial.siting.site(k=10, radius_km=5, existing=existing)
    halls = territorial.town_halls().set_index("code_insee").geometry
    population = territorial.communes().set_index("code_insee")["population"]
    xy = np.column_stack([existing.geometry.x, existing.geometry.y])
    near = [c for c, p in halls.items() if np.hypot(xy[:, 0] - p.x, xy[:, 1] - p.y).min() <= 5000]
    assert result.covered_before == population.loc[near].sum()
    assert result.covered_after >= result.covered_before
    assert result.sites["gain_population"].sum() == pytest.approx(result.covered_after - result.covered_before)
    assert result.sites["gain_population"].is_monotonic_decreasing
    assert len(result.sites) == 10 and result.sites["rang"].tolist() == list(range(1, 11))


def test_minimum_per_territory_on_the_region():
    result = territorial.siting.site(k=20, radius_km=5, min_per_territory=3)
    assert result.sites["territoire"].value_counts().min() >= 3
    with pytest.raises(siting.InfeasibleError, match="ask for 25 new sites but k = 20"):
        territorial.siting.site(k=20, radius_km=5, min_per_territory=5)


def test_priority_weights_raise_the_weighted_territories_coverage():
    plain = territorial.siting.site(k=15, radius_km=5).coverage.set_index("territoire")
    weights = {"Bassin Minier": 1.5, "Sud Nord": 1.5}
    weighted = territorial.siting.site(k=15, radius_km=5, weights=weights).coverage.set_index("territoire")
    favoured = ["Bassin Minier", "Sud Nord"]
    assert weighted.loc[favoured, "couverte_apres"].sum() > plain.loc[favoured, "couverte_apres"].sum()
    assert weighted.at["Région", "couverte_apres"] <= plain.at["Région", "couverte_apres"]


def test_site_cli_contract(tmp_path):
    out = tmp_path / "sites.csv"
    result = runner.invoke(
        app,
        [
            "site",
            "--k",
            "8",
            "--radius",
            "5",
            "--existing",
            str(example_path(CYBER_FILE)),
            "--weights",
            "Bassin Minier=1.5,Sud Nord=1.5",
            "--solver",
            "exact",
            "-o",
            str(out),
            "--map",
            str(tmp_path / "sites.html"),
        ],
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, dtype={"code_insee": str})
    assert len(table) == 8
    assert {"code_insee", "commune", "territoire", "x", "y", "gain_population"} <= set(table.columns)
    assert table["x"].between(550_000, 800_000).all() and table["y"].between(6_900_000, 7_150_000).all()
    for fragment in ("avant", "après", "Objectif", "borne", "écart"):
        assert fragment in result.output
    assert (tmp_path / "sites_couverture.csv").is_file() and (tmp_path / "sites.html").is_file()
    share = runner.invoke(app, ["site", "--share", "0.8", "--radius", "5", "-o", str(tmp_path / "share.csv")])
    assert share.exit_code == 0, share.output
    assert runner.invoke(app, ["site", "--k", "3", "--share", "0.5", "-o", str(out)]).exit_code == 2
    bad = runner.invoke(app, ["site", "--k", "3", "--weights", "Atlantide=2", "-o", str(out)])
    assert bad.exit_code == 2 and "unknown territories" in bad.output


@pytest.mark.parametrize(("year", "undated"), [(2000, "exclude"), (2003, "count")])
def test_siting_can_start_from_the_facilities_open_in_a_year(tmp_path, year, undated):
    cyber = example_path(CYBER_FILE)
    arguments = ["site", "--k", "5", "--radius", "5", "--existing", str(cyber), "--year", str(year)]
    out = tmp_path / "sites.csv"
    done = runner.invoke(app, [*arguments, "--undated", undated, "-o", str(out), "--map", str(tmp_path / "s.html")])
    assert done.exit_code == 0, done.output
    assert f"Sites existants : ceux ouverts au 31 décembre {year}" in done.output
    # the same facilities as the timeline keeps that year: the coverage before is its coverage that year
    facilities = territorial.geocode_file(cyber).accepted.assign(kind="cyber_centre")
    analysis = territorial.analyse(facilities, radii_km={"cyber_centre": 5}, n_boot=10)
    evolution = territorial.timeline.evolution(facilities, analysis, years=[year], undated=undated)
    share = evolution.set_index("territoire").at["Région", "part_pop_couverte"]
    coverage = pd.read_csv(tmp_path / "sites_couverture.csv").set_index("territoire").loc["Région"]
    assert coverage["couverte_avant"] / coverage["population"] == pytest.approx(share, rel=1e-12)
    everything = territorial.site(k=5, radius_km=5, existing=facilities)
    assert coverage["couverte_avant"] < everything.covered_before  # fewer were open then than in the file
    assert f"Au 31 décembre {year} : " in (tmp_path / "s.html").read_text(encoding="utf-8")


def test_a_siting_year_needs_dated_existing_facilities(tmp_path):
    out = str(tmp_path / "sites.csv")
    alone = runner.invoke(app, ["site", "--k", "3", "--year", "2002", "-o", out])
    assert alone.exit_code == 2 and "give them (--existing)" in alone.output
    undated = example_path("points_acces_haut_debit_exemple.csv")
    bare = runner.invoke(app, ["site", "--k", "3", "--year", "2002", "--existing", str(undated), "-o", out])
    assert bare.exit_code == 2 and "add a column date_ouverture" in bare.output
    cyber = str(example_path(CYBER_FILE))
    for year in ("0", "99999"):
        wrong = runner.invoke(app, ["site", "--k", "3", "--year", year, "--existing", cyber, "-o", out])
        assert wrong.exit_code == 2 and f"--year = {year}" in wrong.output
    assert not (tmp_path / "sites.csv").exists()  # nothing written
