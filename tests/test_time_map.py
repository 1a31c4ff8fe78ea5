"""The coverage map's year slider, in a real headless browser, against the timeline computed in Python."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from browser import probe

from territorial._errors import ArgumentError
from territorial.maps import commune_breaks, coverage_map, save_map
from territorial.timeline import commune_distances, evolution

YEARS = list(range(2000, 2007))


@pytest.mark.parametrize("undated", ["count", "exclude"])
def test_moving_the_year_slider_draws_that_years_facilities_and_distances(example, tmp_path, undated):
    facilities, analysis = example
    page = save_map(
        coverage_map(analysis, facilities, years=YEARS, undated=undated, indicator="dist_cyber_centre_km"),
        tmp_path / "carte.html",
    )
    found = probe(page, tmp_path, years=[0, 2, 6, len(YEARS), 0])
    assert found["errors"] == []
    counted = evolution(facilities, analysis, years=YEARS, undated=undated)
    region = counted[counted["territoire"] == "Région"].set_index(["kind", "annee"])["nombre"]
    breaks = commune_breaks(analysis, "dist_cyber_centre_km")
    distances = commune_distances(facilities, analysis, kind="cyber_centre", years=YEARS, undated=undated)
    first, third, last, whole, again = found["years"]
    for state, year in ((first, 2000), (third, 2002), (last, 2006)):
        assert state["label"] == f"Au 31 décembre {year}"
        for kind in ("cyber_centre", "broadband_access_point"):
            assert state["drawn"].get(kind, 0) == region[(kind, year)], (kind, year)
        # every commune takes that year's distance in the legend's classes (beyond the last bound: the last class)
        classes = breaks.classify(distances[year].round(breaks.decimals + 1).to_numpy())
        expected = Counter(breaks.colours[c] if c >= 0 else "#cccccc" for c in classes)
        assert state["fills"] == dict(expected), year
    assert f"{region[('cyber_centre', 2002)]} cyber-centres" in third["status"]
    assert whole["label"] == "Fichier entier (état analysé)"
    assert whole["drawn"] == dict(Counter(facilities["kind"]))  # the file as analysed: every facility
    file_classes = Counter(breaks.colours[c] for c in breaks.classify(analysis.communes["dist_cyber_centre_km"]))
    assert whole["fills"] == dict(file_classes)
    assert first["drawn"]["cyber_centre"] < whole["drawn"]["cyber_centre"]  # moving it changes what is drawn
    assert again == {**first, "position": 0}  # and going back draws the same again


def test_commune_distances_average_to_the_evolution(example):
    facilities, analysis = example
    counted = evolution(facilities, analysis, years=YEARS)
    distances = commune_distances(facilities, analysis, kind="cyber_centre", years=YEARS)
    population = analysis.communes.set_index("code_insee")["population"].reindex(distances.index)
    region = counted[(counted["territoire"] == "Région") & (counted["kind"] == "cyber_centre")].set_index("annee")
    for year in YEARS:
        mean = np.average(distances[year], weights=population)
        assert mean == pytest.approx(region.loc[year, "distance_moyenne_km"], rel=1e-12)
    # and the file's distances, where every facility counts, are the analysis' own (which keeps 4 decimals)
    everything = commune_distances(
        facilities.drop(columns=["date_ouverture", "date_fermeture"]), analysis, kind="cyber_centre", years=[2000]
    )
    assert np.allclose(
        everything[2000].to_numpy(), analysis.communes["dist_cyber_centre_km"].to_numpy(), rtol=0, atol=5e-5
    )


def test_years_must_increase_and_undated_be_known(example):
    facilities, analysis = example
    with pytest.raises(ArgumentError, match="`years` must be increasing years"):
        coverage_map(analysis, facilities, years=[2002, 2001])
    with pytest.raises(ArgumentError, match="`undated` must be 'count' or 'exclude'"):
        coverage_map(analysis, facilities, years=YEARS, undated="maybe")
