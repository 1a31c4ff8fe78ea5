"""Class breaks, the coverage map's content and weight, the report, and scenarios."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import territorial
from territorial import InputFileError
from territorial.cli import app
from territorial.maps import class_breaks, coverage_map, render_map
from territorial.report import write_report
from territorial.scenario import load_scenario

runner = CliRunner()
HOSTILE = "<script>window.__pwned=1</script>"


def test_class_breaks_known_answers():
    breaks = class_breaks(np.arange(1, 11, dtype=float), k=5, scheme="quantiles", decimals=0)
    assert breaks.bins == (3.0, 5.0, 6.0, 8.0, 10.0)  # quintiles 2.8, 4.6, 6.4, 8.2, 10 rounded as shown
    assert breaks.classify([1, 3, 3.5, 10, np.nan]).tolist() == [0, 0, 1, 4, -1]
    assert breaks.labels("km") == ["1 – 3 km", "3 – 5 km", "5 – 6 km", "6 – 8 km", "8 – 10 km"]
    assert len(set(breaks.colours)) == 5
    few = class_breaks([3.0, 3.0, 7.0], k=5)
    assert len(few.bins) == 2 and few.bins[-1] >= 7
    with pytest.raises(ValueError, match="`scheme` must be one of"):
        class_breaks([1.0, 2.0], scheme="jenks")


def test_coverage_map_layers_classes_and_escaping(example):
    facilities, analysis = example
    hostile = facilities.copy()
    hostile.loc[hostile.index[0], "nom"] = HOSTILE
    page = render_map(coverage_map(analysis, hostile, example_data=True))
    assert HOSTILE not in page
    # escaped for HTML, then written inside JSON where Jinja writes & as \u0026
    assert "\\u0026lt;script\\u0026gt;window.__pwned=1\\u0026lt;/script\\u0026gt;" in page
    breaks = class_breaks(analysis.communes["dist_cyber_centre_km"], scheme="quantiles", palette="YlOrRd")
    for label in breaks.labels():
        assert label in page  # the legend shows the same classes as the static maps and the QGIS styles
    assert "DONNÉES D'EXEMPLE" in page
    with pytest.raises(ValueError, match="is not a numeric commune indicator"):
        coverage_map(analysis, facilities, indicator="nope")


def test_escaped_territory_names_from_a_custom_scheme(example):
    facilities, _ = example
    communes = territorial.communes(scheme=None)
    scheme = dict(zip(communes["code_insee"], np.where(communes["departement"] == "59", HOSTILE, "Pas-de-Calais")))
    analysis = territorial.analyse(facilities, scheme=scheme, n_boot=10)
    page = render_map(coverage_map(analysis, facilities))
    assert HOSTILE not in page


def test_default_map_is_small_and_lighter_than_explore(example, tmp_path):
    facilities, analysis = example
    page = render_map(coverage_map(analysis, facilities, example_data=True), self_contained=True)
    size = len(page.encode("utf-8"))
    assert size <= 2_000_000
    halls = territorial.town_halls().set_index("code_insee").geometry
    explore = analysis.communes.explore(name="communes", column="dist_cyber_centre_km")
    gpd.GeoDataFrame(
        analysis.territories.merge(territorial.territories()[["territoire", "geometry"]]), crs=2154
    ).explore(m=explore)
    analysis.zones.explore(m=explore)
    facilities.explore(m=explore)
    for _, far in analysis.underserved.groupby("kind"):  # one layer of under-served communes per kind, as ours
        gpd.GeoDataFrame(far, geometry=halls.reindex(far["code_insee"]).to_numpy(), crs=2154).explore(m=explore)
    reference = len(explore.get_root().render().encode("utf-8"))
    assert reference / size >= 3.0


def test_report_content_figures_and_escaping(example, tmp_path):
    facilities, analysis = example
    geocoding = {"<b>lieux</b>.csv": territorial.geocode(pd.DataFrame({"commune": ["Arras", HOSTILE]}))}
    written = write_report(
        analysis, facilities, geocoding, tmp_path / "rapport.html", example_data=True, title="Rapport <i>test</i>"
    )
    page = (tmp_path / "rapport.html").read_text(encoding="utf-8")
    for heading in (
        "Chiffres clés par territoire",
        "Part équitable et objectif",
        "Équité",
        "Cartes",
        "Méthode et limites",
        "Géocodage : lignes rejetées",
        "Sources et millésimes",
    ):
        assert f"<h2>{heading}</h2>" in page
    assert HOSTILE not in page and "<b>lieux</b>" not in page and "<i>test</i>" not in page
    assert "Indice de Theil" in page and "I de Moran" in page and "DONNÉES D'EXEMPLE" in page
    pngs = [p for p in written if p.suffix == ".png"]
    assert {p.name for p in pngs} >= {"lorenz.png", "carte_dist_cyber_centre_km.png"}
    for png in pngs:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.stat().st_size > 10_000
    assert page.count("data:image/png;base64,") == len(pngs)


def write_scenario(tmp_path, text: str):
    path = tmp_path / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_scenario_paths_are_relative_to_the_file(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "lieux.csv").write_text(
        "nom;commune;type\nA;Arras;cyber-centre\nB;Lens;EPN\n", encoding="utf-8"
    )
    path = write_scenario(
        tmp_path,
        """
title = "Essai"
[[inputs]]
path = "data/lieux.csv"
kind_column = "type"
[radii_km]
cyber_centre = 8
[priority]
"Bassin Minier" = 1.5
[outputs]
dir = "sorties"
self_contained = true
""",
    )
    scenario = load_scenario(path)
    assert scenario.inputs[0].path == (tmp_path / "data" / "lieux.csv").resolve()
    assert scenario.radii_km == {"cyber_centre": 8.0} and scenario.priority == {"Bassin Minier": 1.5}
    # through the CLI: -o and --cdn override the file's [outputs]
    result = runner.invoke(app, ["run", str(path), "-o", str(tmp_path / "out"), "--cdn"])
    assert result.exit_code == 0, result.output
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"carte.html", "rapport.html", "communes.csv", "lieux_rejets.csv"} <= names
    assert not (tmp_path / "sorties").exists()
    assert pd.read_csv(tmp_path / "out" / "equite.csv")["rayon_km"].tolist() == [8.0]
    assert "cdn.jsdelivr.net" in (tmp_path / "out" / "carte.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("title = 'x'", "lists no \\[\\[inputs\\]\\]"),
        ("colour = 1\n[[inputs]]\npath='a.csv'", "unknown key\\(s\\) \\['colour'\\]"),
        ("[[inputs]]\nkind='x'", "input 1 has no `path`"),
        ("[[inputs]]\npath='a.csv'\n[radii_km]\ncyber_centre='five'", "values must be numbers"),
        ("[[inputs]\npath=", "is not valid TOML"),
        ("detour = true\n[[inputs]]\npath='a.csv'", "detour = True: values must be numbers"),
        ("[[inputs]]\npath='a.csv'\nonline='yes'", "input 1 → online"),
        ("[[inputs]]\npath='a.csv'\n[siting]\nkind='cyber_centre'", "\\[siting\\]: needs `k`"),
        ("[[inputs]]\npath='a.csv'\n[siting]\nk=3\nsolver='fast'", "\\[siting\\] → solver = 'fast': Input should be"),
        ("[[inputs]]\npath='a.csv'\n[radii_km]\ncyber_centre=-1", "greater than 0"),
        (
            "[[inputs]]\npath='a.csv'\n[radii_km]\ncyber_centre=nan",
            "cyber_centre = nan: Input should be a finite number",
        ),
        (
            "[[inputs]]\npath='a.csv'\n[targets]\ncyber_centre=inf",
            "cyber_centre = inf: Input should be a finite number",
        ),
    ],
)
def test_bad_scenarios_say_what_is_wrong(tmp_path, text, message):
    with pytest.raises(InputFileError, match=message):
        load_scenario(write_scenario(tmp_path, text))


def test_a_misspelt_key_gets_the_close_one_and_the_allowed_ones(tmp_path):
    with pytest.raises(InputFileError) as caught:
        load_scenario(
            write_scenario(tmp_path, "radius_km = 3\n[[inputs]]\npath='a.csv'\n[siting]\nk=3\nsovler='exact'")
        )
    message = str(caught.value)
    assert "unknown key(s) ['radius_km'] in the file: did you mean `radii_km`?" in message
    assert "unknown key(s) ['sovler'] in [siting]: did you mean `solver`? allowed: ['k', 'kind'," in message


def test_a_scenario_takes_what_the_functions_take(tmp_path):
    # a CRS as an EPSG number, minimum sites per territory as a table: as territorial.site takes them
    text = "[[inputs]]\npath='a.csv'\ncrs=2154\n[siting]\nk=3\nmin_per_territory={ 'Bassin Minier' = 2 }"
    scenario = load_scenario(write_scenario(tmp_path, text))
    assert scenario.inputs[0].crs == 2154 and scenario.siting["min_per_territory"] == {"Bassin Minier": 2}
    with pytest.raises(InputFileError, match="k = 3.0: write a whole number"):
        load_scenario(write_scenario(tmp_path, "[[inputs]]\npath='a.csv'\n[siting]\nk=3.0"))


def test_every_problem_of_a_scenario_is_named_at_once(tmp_path):
    text = "colour = 1\n[[inputs]]\npath='a.csv'\nknd='x'\n[[inputs]]\nkind='y'\n[map]\nindicatr='x'\n"
    with pytest.raises(InputFileError) as caught:
        load_scenario(write_scenario(tmp_path, text))
    message = str(caught.value)
    assert "unknown key(s) ['colour'] in the file" in message
    assert "unknown key(s) ['knd'] in input 1" in message
    assert "input 2 has no `path`" in message
    assert "unknown key(s) ['indicatr'] in [map]" in message


def test_a_bad_scenario_exits_2_from_the_cli(tmp_path):
    bad = write_scenario(tmp_path, "[[inputs]]\npath='a.csv'\ncolour='red'\n")
    result = runner.invoke(app, ["run", str(bad), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2 and "unknown key(s) ['colour'] in input 1" in result.output
    assert not (tmp_path / "o").exists()


def test_run_cli_with_a_scenario_and_errors(tmp_path):
    assert runner.invoke(app, ["run", str(tmp_path / "missing.toml")]).exit_code == 2
    bad = write_scenario(tmp_path, "[[inputs]]\npath = 'nowhere.csv'\nkind = 'cyber_centre'\n")
    result = runner.invoke(app, ["run", str(bad), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2 and "nowhere.csv" in result.output


@pytest.mark.slow
def test_map_cli_indicator(tmp_path):
    from territorial.examples import CYBER_FILE, example_path

    out = tmp_path / "m.html"
    result = runner.invoke(
        app, ["map", str(example_path(CYBER_FILE)), "-o", str(out), "--indicator", "couvert_surface_cyber_centre"]
    )
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "Part de la surface à moins de 5,0 km des cyber-centres" in page
    assert json.dumps("DONNÉES D'EXEMPLE")[1:-1] in page or "DONNÉES D'EXEMPLE" in page
    bad = runner.invoke(app, ["map", str(example_path(CYBER_FILE)), "-o", str(out), "--indicator", "nope"])
    assert bad.exit_code == 2 and "is not a numeric commune indicator" in bad.output


def test_a_scenario_can_site_from_the_facilities_open_in_a_year(tmp_path):
    from territorial.examples import CYBER_FILE, example_path

    source = example_path(CYBER_FILE)
    text = (
        f"[[inputs]]\npath = '{source.as_posix()}'\nkind = 'cyber_centre'\n"
        "[siting]\nkind = 'cyber_centre'\nk = 5\nradius_km = 5\nyear = 2001\n"
        "[time]\nundated = 'exclude'\n"
    )
    result = runner.invoke(app, ["run", str(write_scenario(tmp_path, text)), "-o", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    evolution = pd.read_csv(tmp_path / "o" / "evolution.csv").set_index(["annee", "territoire"])
    coverage = pd.read_csv(tmp_path / "o" / "sites_couverture.csv").set_index("territoire")
    share = coverage["couverte_avant"] / coverage["population"]
    assert share["Région"] == pytest.approx(evolution.at[(2001, "Région"), "part_pop_couverte"], rel=1e-12)
    report = (tmp_path / "o" / "rapport.html").read_text(encoding="utf-8")
    assert "Couverte au 31 décembre 2001" in report and "Couverte aujourd&#39;hui" not in report
    assert "Sites existants : ceux ouverts au 31 décembre 2001" in report
    assert "Au 31 décembre 2001 : " in (tmp_path / "o" / "carte_sites.html").read_text(encoding="utf-8")
