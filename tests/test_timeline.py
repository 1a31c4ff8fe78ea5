"""Time: facilities open year by year, coverage and equity recomputed on each year's set (known answers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from places import at_town_halls

import territorial
from territorial import timeline
from territorial._errors import ArgumentError
from territorial.balance import theil
from territorial.columns import column


@pytest.fixture(scope="module")
def dated():
    # Arras opens in 2000; Lille in 2002 and closes in 2004; Lens has no date; Douai opens « juin 2005 »
    facilities = at_town_halls(
        ["62041", "59350", "62498", "59178"],
        "cyber_centre",
        date_ouverture=["2000", "15/03/2002", "", "juin 2005"],
        date_fermeture=["", "2004-07-01", "", ""],
    )
    return facilities, territorial.analyse(facilities)


def region(table: pd.DataFrame, year: int) -> pd.Series:
    return table[(table["annee"] == year) & (table["territoire"] == "Région")].iloc[0]


def test_dates_are_read_in_french_forms(dated):
    facilities, _ = dated
    dates = timeline.facility_dates(facilities)
    assert dates["ouverture"].tolist()[:2] == [pd.Timestamp("2000-01-01"), pd.Timestamp("2002-03-15")]
    assert pd.isna(dates["ouverture"].iloc[2]) and dates["ouverture"].iloc[3] == pd.Timestamp("2005-06-01")
    assert dates["fermeture"].iloc[1] == pd.Timestamp("2004-07-01")
    assert not dates["date_illisible"].any()


def test_counts_cumulate_and_closures_subtract(dated):
    facilities, analysis = dated
    table = timeline.evolution(facilities, analysis, years=range(2000, 2007))
    counted = {year: region(table, year)["nombre"] for year in range(2000, 2007)}
    # Arras + undated Lens from 2000; Lille 2002-2003; Douai from 2005
    assert counted == {2000: 2, 2001: 2, 2002: 3, 2003: 3, 2004: 2, 2005: 3, 2006: 3}
    assert region(table, 2002)["nouveaux"] == 1 and region(table, 2004)["fermes"] == 1
    assert region(table, 2000)["sans_date"] == 1
    excluded = timeline.evolution(facilities, analysis, years=[2000], undated="exclude")
    assert region(excluded, 2000)["nombre"] == 1
    # the territories add up to the region
    year = table[table["annee"] == 2003]
    assert year.loc[year["territoire"] != "Région", "nombre"].sum() == region(table, 2003)["nombre"]


def test_coverage_and_equity_are_recomputed_on_each_years_set(dated):
    facilities, analysis = dated
    table = timeline.evolution(facilities, analysis, years=[2001, 2003])
    for year, codes in ((2001, ["62041", "62498"]), (2003, ["62041", "59350", "62498"])):
        open_then = facilities[facilities["code_insee"].isin(codes)]
        reference = territorial.analyse(open_then)
        expected = reference.region.iloc[0]
        got = region(table, year)
        assert got["part_pop_couverte"] == pytest.approx(expected[column("share_covered", "cyber_centre")], abs=1e-12)
        # the analysis rounds each commune's distance to 0.1 m before averaging: within 0.05 m
        assert got["distance_moyenne_km"] == pytest.approx(expected[column("dist_mean", "cyber_centre")], abs=5e-5)
        counts = reference.communes[column("n", "cyber_centre")].to_numpy()
        assert got["theil"] == pytest.approx(
            theil(counts, reference.communes["population"].to_numpy()).total, abs=1e-12
        )
    assert region(table, 2003)["part_pop_couverte"] > region(table, 2001)["part_pop_couverte"]


def test_a_year_with_nothing_open_is_said_not_hidden(dated):
    facilities, analysis = dated
    table = timeline.evolution(facilities, analysis, years=[1999], undated="exclude")
    row = region(table, 1999)
    assert row["nombre"] == 0 and row["part_pop_couverte"] == 0
    assert np.isnan(row["distance_moyenne_km"]) and np.isnan(row["theil"])


def test_a_wrong_undated_option_is_named(dated):
    facilities, analysis = dated
    with pytest.raises(ArgumentError, match="`undated` must be 'count' or 'exclude'"):
        timeline.evolution(facilities, analysis, undated="ignore")


def test_analyse_by_year_writes_evolution(tmp_path):
    from typer.testing import CliRunner

    from territorial.cli import app

    source = tmp_path / "cyber_centres_dates.csv"
    pd.DataFrame(
        {
            "nom": ["EPN Arras", "EPN Lille", "EPN Lens"],
            "commune": ["Arras", "Lille", "Lens"],
            "date_ouverture": ["12/05/2000", "2002", ""],
            "date_fermeture": ["", "", ""],
        }
    ).to_csv(source, sep=";", index=False)
    out = tmp_path / "sorties"
    result = CliRunner().invoke(app, ["analyse", str(source), "-o", str(out), "--by-year", "--undated", "exclude"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "evolution.csv")
    assert list(table.columns) == timeline.EVOLUTION_COLUMNS
    assert sorted(table["annee"].unique()) == list(range(2000, 2007))
    assert set(table["territoire"]) == {
        "Métropole",
        "Littoral",
        "Bassin Minier",
        "Sud Nord",
        "Artois-Ternois",
        "Région",
    }
    regional = table[table["territoire"] == "Région"].set_index("annee")["nombre"].to_dict()
    assert regional == {2000: 1, 2001: 1, 2002: 2, 2003: 2, 2004: 2, 2005: 2, 2006: 2}  # Lens undated: left out
    wrong = CliRunner().invoke(
        app, ["analyse", str(source), "-o", str(tmp_path / "x"), "--by-year", "--undated", "oui"]
    )
    said = " ".join(wrong.output.replace("│", " ").split())
    assert wrong.exit_code == 2 and "'oui' is not one of 'count', 'exclude'" in said


def test_the_example_cyber_centres_year_by_year():
    from territorial.examples import CYBER_FILE, example_path
    from territorial.scenario import assign_kind

    result = territorial.geocode_file(example_path(CYBER_FILE))
    facilities = assign_kind(result.accepted, kind="cyber_centre")
    table = timeline.evolution(facilities, territorial.analyse(facilities))
    # the same count, computed independently from the file's two date columns
    raw = facilities[["date_ouverture", "date_fermeture"]].fillna("").astype(str)
    opened = raw["date_ouverture"].map(lambda d: int(d[-4:]) if d else None)
    closed = raw["date_fermeture"].map(lambda d: int(d[:4]) if d else None)
    for year in timeline.PLAN_YEARS:
        expected = sum((pd.isna(o) or o <= year) and (pd.isna(c) or c > year) for o, c in zip(opened, closed))
        assert region(table, year)["nombre"] == expected, year
    assert region(table, 2006)["sans_date"] > 0 and region(table, 2004)["fermes"] == 1


def test_a_time_section_with_years_reversed_is_refused(tmp_path):
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(
        '[[inputs]]\npath = "a.csv"\nkind = "cyber_centre"\n\n[time]\nfirst_year = 2006\nlast_year = 2000\n',
        encoding="utf-8",
    )
    with pytest.raises(territorial.InputFileError, match=r"\[time\].*last_year \(2000\) is before first_year"):
        territorial.load_scenario(scenario)


@pytest.fixture(scope="module")
def awkward():
    # Arras: 31 February (unreadable); Lille: closes before it opens; Lens: undated and closed in 2003
    # (never counted when undated ones are left out); Douai: « 15 juin 2003 »; Béthune: « 2002/06/15 »
    facilities = at_town_halls(
        ["62041", "59350", "62498", "59178", "62119"],
        "cyber_centre",
        **{
            "Date d'ouverture": ["31/02/2003", "2005", "", "15 juin 2003", "2002/06/15"],
            "date_fermeture": ["", "2002", "2003", "", ""],
        },
    )
    return facilities, territorial.analyse(facilities)


def test_unusable_dates_are_said_and_taken_as_undated(awkward, caplog):
    facilities, analysis = awkward
    dates = timeline.facility_dates(facilities)
    assert dates["date_illisible"].tolist() == [True, True, False, False, False]
    assert dates["probleme_date"].tolist()[:2] == [
        "Date d'ouverture illisible : 31/02/2003",
        "fermeture avant l'ouverture",
    ]
    assert dates.loc[dates["date_illisible"], ["ouverture", "fermeture"]].isna().all().all()
    assert dates["ouverture"].tolist()[3:] == [pd.Timestamp("2003-06-15"), pd.Timestamp("2002-06-15")]
    with caplog.at_level("WARNING"):
        table = timeline.evolution(facilities, analysis, years=range(2000, 2007), undated="exclude")
    assert "2 facilities have dates that cannot be used" in caplog.text and "31/02/2003" in caplog.text
    assert region(table, 2004)["dates_inutilisables"] == 2 and region(table, 2004)["sans_date"] == 3
    # left out: Lens's closing in 2003 is no closing of a facility counted; Béthune 2002, Douai 2003
    assert {y: region(table, y)["nombre"] for y in (2001, 2002, 2003)} == {2001: 0, 2002: 1, 2003: 2}
    assert region(table, 2003)["fermes"] == 0
    counted = timeline.evolution(facilities, analysis, years=range(2000, 2007))
    assert region(counted, 2003)["fermes"] == 1 and region(counted, 2003)["nombre"] == 4  # 3 undated - Lens + 2


@pytest.mark.parametrize("undated", ["count", "exclude"])
def test_each_years_count_is_the_last_plus_openings_minus_closings(undated):
    from territorial.examples import CYBER_FILE, example_path
    from territorial.scenario import assign_kind

    facilities = assign_kind(territorial.geocode_file(example_path(CYBER_FILE)).accepted, kind="cyber_centre")
    table = timeline.evolution(facilities, territorial.analyse(facilities), years=range(1995, 2011), undated=undated)
    for name, rows in table.groupby("territoire"):
        rows = rows.set_index("annee")
        for year in range(1996, 2011):
            expected = rows.at[year - 1, "nombre"] + rows.at[year, "nouveaux"] - rows.at[year, "fermes"]
            assert rows.at[year, "nombre"] == expected, (name, year)


def test_years_need_dates(dated):
    facilities, analysis = dated
    bare = facilities.drop(columns=["date_ouverture", "date_fermeture"])
    with pytest.raises(ArgumentError, match="no date to follow year by year: add a column date_ouverture"):
        timeline.evolution(bare, analysis)
    from territorial.maps import coverage_map

    with pytest.raises(ArgumentError, match="`years` draws the facilities open each year, but they have no date"):
        coverage_map(analysis, bare, years=[2000, 2001])
