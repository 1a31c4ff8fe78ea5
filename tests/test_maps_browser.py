"""The self-contained coverage map in a real headless Chromium with the network off."""

from __future__ import annotations

import re
import subprocess

import pandas as pd
import pytest
from browser import probe
from typer.testing import CliRunner

import territorial
from territorial.cli import app

runner = CliRunner()

HOSTILE = (
    "id;nom;commune;adresse\n"
    'H1;<script>window.__pwned=1</script>;Lille;<img src=x onerror="window.__pwned=1">\n'
    "H2;\"Quote\" 'single' `back` </td></table>;Arras;1 rue `${window.__pwned=1}`\n"
    "H3;Normal;Dunkerque;\n"
)

pytestmark = pytest.mark.slow  # a real browser / real kernels: minutes on 2 cores


def test_default_map_opens_offline_with_everything(default_run, tmp_path):
    found = probe(default_run.folder / "carte.html", tmp_path)
    assert found["errors"] == []
    assert found["resources"] == []  # nothing fetched: scripts and styles are inline, no tiles by default
    assert found["communes"] == 1534
    assert found["limits"] == 5
    assert found["facilities"] == 79 + 148
    assert found["legend_communes"] and found["legend_equipements"] and not found["legend_territoires"]
    assert found["scale"] == 1 and found["search"] == 1
    assert found["example"]
    layers = found["layers"]
    assert "Fond uni (hors ligne)" in layers
    assert any(name.startswith("Communes : Distance") for name in layers)
    assert any(name.startswith("Territoires : ") for name in layers)
    assert any(name.startswith("Cyber-centres (79)") for name in layers)
    assert any(name.startswith("Points d'accès haut débit (148)") for name in layers)
    assert any(name.startswith("Mairie à plus de 5,0 km des cyber-centres") for name in layers)
    assert any(name.startswith("Mairie à plus de 3,0 km des points d'accès haut débit") for name in layers)
    assert any(name.startswith("Qualité du géocodage") for name in layers)
    projects = {name for name in layers if name.startswith("Projets financés : ")}
    assert any(name.startswith("Projets financés : cyber-centres (") for name in projects)
    assert any(name.startswith("Projets financés : sites de télémédecine (") for name in projects)
    assert len(projects) == len(territorial.kinds.systems()) + 1  # every system, and the projects of no system
    assert found["search"] == 1 and found["minimap"] == 1 and found["fullscreen"] >= 1 and found["scale"] == 1
    assert found["opened"] > 1000  # every tooltip and popup was rendered without an error


def test_hostile_names_show_as_text(tmp_path):
    source = tmp_path / "lieux_hostiles.csv"
    source.write_text(HOSTILE, encoding="utf-8")
    out = tmp_path / "hostile.html"
    result = runner.invoke(
        app,
        [
            "map",
            str(source),
            "-o",
            str(out),
            "--kind",
            "cyber_centre",
            "--self-contained",
            "--title",
            "Titre <script>window.__pwned=1</script>",
        ],
    )
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "<script>window.__pwned" not in page and "<img src=x" not in page
    found = probe(out, tmp_path)
    assert found["errors"] == []
    assert found["pwned"] is False
    assert found["injected_scripts"] == 0
    assert found["resources"] == []  # the <img src=x> was not created
    assert found["facilities"] == 3


def test_numerous_facilities_are_clustered(tmp_path):
    import geopandas as gpd
    import numpy as np

    import territorial
    from territorial.maps import coverage_map, save_map

    halls = territorial.town_halls()
    pick = np.random.default_rng(5).choice(len(halls), 400, replace=False)
    facilities = gpd.GeoDataFrame(
        {
            "code_insee": halls["code_insee"].to_numpy()[pick],
            "kind": "cyber_centre",
            "nom": [f"Lieu {i}" for i in range(400)],
        },
        geometry=halls.geometry.to_numpy()[pick],
        crs=2154,
    )
    analysis = territorial.analyse(facilities, n_boot=10)
    out = save_map(coverage_map(analysis, facilities), tmp_path / "many.html", self_contained=True)
    found = probe(out, tmp_path)
    assert found["errors"] == []
    assert found["clusters"] > 0
    assert found["facilities"] < 400  # grouped at the initial zoom


def _main_cities(n: int = 20) -> list[dict]:
    """The region's ``n`` most populous communes, at their town halls (longitude/latitude)."""
    import territorial

    communes = territorial.communes().nlargest(n, "population")[["code_insee", "nom"]]
    halls = territorial.town_halls().set_index("code_insee").to_crs(4326).geometry
    return [{"name": r.nom, "lat": halls[r.code_insee].y, "lng": halls[r.code_insee].x} for r in communes.itertuples()]


ENGLISH = re.compile(
    r"\b(zoom in|zoom out|search|cancel|location not found|layers?|full ?screen|toggle|hide|show|"
    r"contributors|minimap|\d+ (mi|ft))\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize("window", ["1400,900", "1024,700"])
@pytest.mark.parametrize("page", ["carte.html", "carte_sites.html"])
def test_no_box_covers_the_main_cities_and_every_control_speaks_french(default_run, tmp_path, window, page):
    cities = _main_cities()
    found = probe(default_run.folder / page, tmp_path, window=window, cities=cities, words=True)
    assert found["errors"] == []
    assert len(found["layout"]) == len(cities) * (2 if page == "carte_sites.html" else 1)
    hidden = [c for c in found["layout"] if not c["visible"] or c["under"]]
    assert hidden == [], hidden  # Lille, Roubaix, Tourcoing, Calais... are in view and under no box
    english = [w for w in found["words"] if ENGLISH.search(w)]
    assert found["words"] and english == [], english


def test_search_ignores_accents_case_hyphens_and_saint(default_run, tmp_path):
    import territorial

    queries = ["bethune", "Boulogne sur mer", "ST OMER", "villeneuve dascq", "xyzzy"]
    found = probe(default_run.folder / "carte.html", tmp_path, search=queries)
    assert found["errors"] == []
    by_query = {s["query"]: s for s in found["searches"]}
    assert [by_query[q]["found"] for q in queries] == [
        "Béthune",
        "Boulogne-sur-Mer",
        "Saint-Omer",
        "Villeneuve-d'Ascq",
        None,
    ]
    assert by_query["xyzzy"]["message"] == "Commune introuvable : xyzzy"
    assert "Béthune" in by_query["bethune"]["suggestions"]
    assert by_query["bethune"]["label"] == "Béthune"  # the commune found is named on the map (and outlined)
    polygons = territorial.communes().set_index("nom").to_crs(4326).geometry
    for query in queries[:4]:  # the map went there: its centre lies in the commune's bounding box
        west, south, east, north = polygons[by_query[query]["found"]].bounds
        assert west <= by_query[query]["lng"] <= east and south <= by_query[query]["lat"] <= north, query


def test_every_layer_has_its_legend_shown_with_it(default_run, tmp_path):
    found = probe(default_run.folder / "carte.html", tmp_path, legends=True)
    assert found["errors"] == []
    assert len(found["legends"]) >= 10
    missing = [name for name, shown in found["legends"].items() if not shown]
    assert missing == [], missing  # switching any layer on shows a legend block of its own


def test_popups_say_what_a_facility_is(default_run, tmp_path):
    import pandas as pd

    from territorial.examples import example_path

    source = pd.read_csv(example_path("cyber_centres_exemple.csv"), sep=";", dtype=str, encoding="cp1252")
    found = probe(default_run.folder / "carte.html", tmp_path, texts=True)
    popups = [t for t in found["texts"] if "Nom : " in t and "Type : " in t]
    assert len(popups) >= 79
    first = source.iloc[0]
    mine = next(t for t in popups if f"Nom : {first['nom']}" in t)
    assert "Type : cyber-centre" in mine and "Localisation : " in mine and "Commune : " in mine
    assert f"Identifiant : {first['id']}" in mine and f"Postes / capacité : {first['postes']}" in mine
    assert "services : " in mine  # a column of the user's own, shown as it is


def test_the_report_prints_on_at_most_three_a4_pages(default_run, tmp_path):
    from browser import offline_chromium, require_chromium

    require_chromium()
    pdf = tmp_path / "rapport.pdf"
    done = subprocess.run(
        [
            *offline_chromium(tmp_path),
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            (default_run.folder / "rapport.html").as_uri(),
        ],
        capture_output=True,
        timeout=180,
    )
    assert pdf.is_file(), done.stderr[-2000:]
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    assert 1 <= pages <= 3, pages


def test_the_report_gives_one_progress_figure_totals_every_site_and_no_raw_code(default_run):
    page = (default_run.folder / "rapport.html").read_text(encoding="utf-8")
    body = re.sub(r"<[^>]+>", " ", page.split("<body>", 1)[1])
    progress = page.split("Progression vers les objectifs du contrat", 1)[1].split("<h2>", 1)[0]
    counted = pd.read_csv(default_run.folder / "programme_cibles.csv").set_index("kind").loc["cyber_centre"]
    share = f"{counted['realise'] / 2:.1f}".replace(".", ",") + " %"  # of 200
    assert "200" in progress and share in progress and "par commune, le plus grand des deux nombres" in progress
    assert "sites de télémédecine : " in progress and "Emplois d&#39;animateurs" in progress
    assert "Objectif : 200" not in page and "Cibles du contrat" not in page  # said once, not three times
    assert page.count('<tr class="total"><td>Région</td>') >= 2  # key figures and fair share
    sites = sum(1 for _ in open(default_run.folder / "sites_proposes.csv", encoding="utf-8")) - 1
    annex = page.split("Annexe : les", 1)[1]
    assert annex.count("<tr>") - 1 == sites  # every site, none cut
    for raw in ("outside_region", "source_polygones", "source_cog", "unmatched", "population_millesime"):
        assert raw not in body, raw
    assert '<td class="n">' in page and "<td>Métropole</td>" in page  # numbers right, text left


def test_the_report_shows_the_dated_target_year_by_year_per_territory(default_run):
    page = (default_run.folder / "rapport.html").read_text(encoding="utf-8")
    progress = page.split("Progression vers les objectifs du contrat", 1)[1].split("<h2>", 1)[0]
    counted = pd.read_csv(default_run.folder / "programme_cibles.csv").set_index("kind").loc["cyber_centre"]
    path = pd.read_csv(default_run.folder / "programme_trajectoire.csv")
    region = path[(path["kind"] == "cyber_centre") & (path["territoire"] == "Région")].set_index("annee")
    assert region.loc[2002, "nombre"] == counted["realise_a_echeance"]  # one count on 31/12/2002, two files
    assert counted["ecart_a_echeance"] == 200 - counted["realise_a_echeance"]
    assert f"{counted['realise_a_echeance']:.0f} : {counted['trajectoire']}" in progress
    assert set(path["territoire"]) == {*territorial.territories()["territoire"], "Région"}
    assert list(region.index) == list(range(2000, 2007))
    assert '<figure class="trajectoire"><img alt="Cyber-centres au 31 décembre' in progress
    assert progress.count('src="data:image/png;base64,') == 1
    assert (default_run.folder / "trajectoire_cyber_centre.png").stat().st_size > 10_000


def test_the_default_map_has_a_working_year_slider(default_run, tmp_path):
    evolution = pd.read_csv(default_run.folder / "evolution.csv")
    region = evolution[evolution["territoire"] == "Région"].set_index(["kind", "annee"])["nombre"]
    years = sorted(evolution["annee"].unique())
    found = probe(default_run.folder / "carte.html", tmp_path, years=[0, 3, len(years)])
    assert found["errors"] == []
    first, fourth, whole = found["years"]
    for state, year in ((first, years[0]), (fourth, years[3])):
        assert state["label"] == f"Au 31 décembre {year}"
        assert state["drawn"]["cyber_centre"] == region[("cyber_centre", year)]
        assert state["drawn"]["broadband_access_point"] == region[("broadband_access_point", year)]
    assert first["drawn"]["cyber_centre"] < fourth["drawn"]["cyber_centre"] < whole["drawn"]["cyber_centre"]
    assert first["fills"] != whole["fills"]  # the communes' distances change with the year
    assert whole["label"] == "Fichier entier (état analysé)"
