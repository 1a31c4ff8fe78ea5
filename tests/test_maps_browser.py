"""The self-contained coverage map in a real headless Chromium with the network off."""

from __future__ import annotations

import pytest
from browser import probe
from typer.testing import CliRunner

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
    assert found["example"]
    layers = found["layers"]
    assert "Fond uni (hors ligne)" in layers
    assert any(name.startswith("Communes : Distance") for name in layers)
    assert any(name.startswith("Territoires : ") for name in layers)
    assert any(name.startswith("Cyber-centres (79)") for name in layers)
    assert any(name.startswith("Points d'accès haut débit (148)") for name in layers)
    assert any(name.startswith("Communes sous-desservies") for name in layers)
    assert any(name.startswith("Qualité du géocodage") for name in layers)
    assert any(name.startswith("Projets programmés (40)") for name in layers)
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
