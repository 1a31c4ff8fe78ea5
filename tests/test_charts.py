"""Charts for notebooks and the report: what each one draws is the result's own numbers."""

from __future__ import annotations

import io

import numpy as np
import pytest

import territorial as tl
from territorial import charts
from territorial.examples import CYBER_FILE, PROJECTS_FILE, example_path


def png(fig) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def test_distances_by_territory_draw_every_communes_distance_and_the_weighted_means(example):
    _, analysis = example
    fig = charts.distances_by_territory(analysis, "cyber_centre")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == list(analysis.territories["territoire"])
    means = ax.collections[0].get_offsets()[:, 1]
    expected = analysis.territories["dist_moy_cyber_centre_km"].to_numpy()
    assert np.allclose(means, expected)
    assert ax.get_title().startswith("Distance aux cyber-centres, par territoire")
    assert any("Source : population municipale légale" in t.get_text() for t in fig.texts)
    assert png(fig).startswith(b"\x89PNG")


def test_coverage_by_sites_climbs_from_today_to_the_result():
    existing = tl.geocode_file(example_path(CYBER_FILE)).accepted
    result = tl.site(k=10, radius_km=5, existing=existing)
    line = charts.coverage_by_sites(result).axes[0].lines[0]
    total = result.coverage.set_index("territoire").at["Région", "population"]
    shares = line.get_ydata()
    assert len(shares) == 11 and np.all(np.diff(shares) >= 0)
    assert shares[0] == pytest.approx(100 * result.covered_before / total)
    assert shares[-1] == pytest.approx(100 * result.covered_after / total)
    fig = charts.coverage_by_sites(result)
    fig.canvas.draw()
    ax = fig.axes[0]
    assert all(float(t).is_integer() for t in ax.get_xticks())  # whole numbers of sites
    assert all("." not in t.get_text() for t in ax.get_yticklabels())  # French decimal commas


def test_funding_per_inhabitant_stacks_every_objective():
    ledger = tl.programme_from_file(example_path(PROJECTS_FILE))
    ax = charts.funding_per_inhabitant(ledger).axes[0]
    heights = {}
    for bar in ax.patches:
        heights[bar.get_x()] = heights.get(bar.get_x(), 0) + bar.get_height()
    per_territory = ledger.by_territory.groupby("territoire")["montant_eur_par_hab"].sum()
    assert sorted(heights.values()) == pytest.approx(sorted(per_territory.to_numpy()))
