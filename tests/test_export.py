"""GIS exports through real GDAL round trips: layers, CRS, text codes, QGIS styles, safety."""

from __future__ import annotations

import re
import sqlite3
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from typer.testing import CliRunner

import territorial
from territorial.cli import app
from territorial.examples import ACCESS_FILE, CYBER_FILE, example_path
from territorial.export import ExistingFileError, export_analysis, shapefile_field_names
from territorial.maps import commune_breaks, coverage_map, render_map, territory_breaks
from territorial.scenario import assign_kind

runner = CliRunner()
SPATIAL = [
    "communes",
    "territoires",
    "equipements_broadband_access_point",
    "equipements_cyber_centre",
    "zones_couverture",
    "communes_sous_desservies",
]


@pytest.fixture(scope="module")
def example():
    frames, rejects = [], []
    for name, kind in ((CYBER_FILE, "cyber_centre"), (ACCESS_FILE, "broadband_access_point")):
        result = territorial.geocode_file(example_path(name))
        frames.append(assign_kind(result.accepted, kind=kind))
        rejects.append(pd.DataFrame(result.rejected).assign(source=name))
    facilities = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=2154)
    return facilities, territorial.analyse(facilities, n_boot=20), pd.concat(rejects, ignore_index=True)


@pytest.fixture(scope="module")
def gpkg(example, tmp_path_factory):
    facilities, analysis, rejects = example
    path = tmp_path_factory.mktemp("gpkg") / "couverture.gpkg"
    export_analysis(analysis, facilities, path, rejects=rejects, command="test")
    return path


def test_geopackage_layers_crs_and_text_codes(gpkg):
    layers = dict(pyogrio.list_layers(gpkg))
    assert [name for name in SPATIAL if name in layers] == SPATIAL
    assert layers["rejets"] is None and layers["metadonnees"] is None
    for name in SPATIAL:
        info = pyogrio.read_info(gpkg, layer=name)
        assert info["crs"] == "EPSG:2154"
        fields = dict(zip(info["fields"], info["dtypes"]))
        if "code_insee" in fields:
            assert fields["code_insee"] == "object", name  # a String column, never a number


def test_geopackage_reads_back_the_analysis_tables(example, gpkg):
    facilities, analysis, rejects = example
    communes = pyogrio.read_dataframe(gpkg, layer="communes")
    expected = pd.DataFrame(analysis.communes.drop(columns="geometry"))
    assert communes["code_insee"].tolist() == expected["code_insee"].tolist()
    for column in expected.columns:
        left, right = communes[column], expected[column]
        if right.dtype.kind in "fi":
            assert np.allclose(left.to_numpy(float), right.to_numpy(float), equal_nan=True), column
        else:
            assert left.fillna("").astype(str).tolist() == right.fillna("").astype(str).tolist(), column
    territories = pyogrio.read_dataframe(gpkg, layer="territoires")
    assert territories["n_cyber_centre"].tolist() == analysis.territories["n_cyber_centre"].tolist()
    assert len(pyogrio.read_dataframe(gpkg, layer="rejets")) == len(rejects)
    assert len(pyogrio.read_dataframe(gpkg, layer="equipements_cyber_centre")) == 79
    readme = "\n".join(pyogrio.read_dataframe(gpkg, layer="metadonnees")["texte"])
    assert "population municipale légale 2023" in readme and "Produit le" in readme


def test_layer_styles_match_the_html_legend(example, gpkg):
    facilities, analysis, _ = example
    with sqlite3.connect(gpkg) as db:
        registered = db.execute("SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'").fetchone()
        styles = db.execute("SELECT f_table_name, styleQML, styleSLD, useAsDefault FROM layer_styles").fetchall()
    assert registered == ("attributes",)
    assert sorted(s[0] for s in styles) == sorted(SPATIAL)
    assert all(s[3] == 1 for s in styles)
    qml = {name: q for name, q, _, _ in styles}
    page = render_map(coverage_map(analysis, facilities))
    for layer, breaks in (
        ("communes", commune_breaks(analysis, "dist_cyber_centre_km")),
        ("territoires", territory_breaks(analysis, "part_pop_couverte_cyber_centre")),
    ):
        uppers = [float(v) for v in re.findall(r'<range lower="[^"]+" upper="([^"]+)"', qml[layer])]
        assert uppers == list(breaks.bins)
        labels = re.findall(r'<range [^>]*label="([^"]+)"', qml[layer])
        assert labels == breaks.labels()
        for label in labels:
            assert label in page  # the HTML legend shows the same classes
    assert 'type="singleSymbol"' in qml["equipements_cyber_centre"]


def test_no_overwrite_without_asking_and_atomic_failure(example, tmp_path, monkeypatch):
    facilities, analysis, _ = example
    path = tmp_path / "sortie.gpkg"
    export_analysis(analysis, facilities, path)
    before = path.read_bytes()
    with pytest.raises(ExistingFileError, match="already exist.*--overwrite"):
        export_analysis(analysis, facilities, path)
    assert path.read_bytes() == before
    export_analysis(analysis, facilities, path, overwrite=True)  # asked: replaced

    calls = {"n": 0}
    real = pyogrio.write_dataframe

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(pyogrio, "write_dataframe", failing)
    fresh = tmp_path / "interrompu.gpkg"
    with pytest.raises(RuntimeError, match="disk full"):
        export_analysis(analysis, facilities, fresh)
    assert not fresh.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sortie.gpkg", "sortie_gpkg_LISEZMOI.txt"]


def test_shapefile_field_names_rule():
    names = shapefile_field_names(
        [
            "code_insee",
            "part_pop_couverte_cyber_centre",
            "dist_moy_cyber_centre_km",
            "dist_moy_cyber_centre_m",
            "Évaluation finale",
            "population",
        ]
    )
    assert names == {
        "code_insee": "code_insee",
        "part_pop_couverte_cyber_centre": "ppc_cc",
        "dist_moy_cyber_centre_km": "dmoy_cc_km",
        "dist_moy_cyber_centre_m": "dmoy_cc_m",
        "Évaluation finale": "evaluation",
        "population": "population",
    }
    clash = shapefile_field_names(["abcdefghijk1", "abcdefghijk2", "abcdefghijk3"])
    assert list(clash.values()) == ["abcdefghij", "abcdefgh_2", "abcdefgh_3"]
    assert all(len(v) <= 10 for v in names.values())


def test_shapefile_set_and_zip(example, tmp_path):
    facilities, analysis, rejects = example
    written = export_analysis(analysis, facilities, tmp_path / "shp" / "nord.shp", rejects=rejects)
    folder = tmp_path / "shp"
    assert (folder / "nord_communes.cpg").read_text() == "UTF-8"
    assert (folder / "nord_communes.prj").is_file()
    fields = pd.read_csv(folder / "nord_champs.csv", dtype=str)
    dbf = pyogrio.read_info(folder / "nord_communes.shp")["fields"].tolist()
    assert fields.loc[fields["couche"] == "nord_communes", "champ_shp"].tolist() == dbf
    assert all(len(f) <= 10 for f in dbf)
    assert pyogrio.read_info(folder / "nord_communes.shp")["crs"] == "EPSG:2154"
    assert (folder / "nord_rejets.csv").is_file() and folder / "nord_shp_LISEZMOI.txt" in written
    layer = pyogrio.read_dataframe(folder / "nord_communes.shp")
    assert layer["code_insee"].tolist() == analysis.communes["code_insee"].tolist()

    archive = tmp_path / "zip" / "nord.zip"
    export_analysis(analysis, facilities, archive)
    with zipfile.ZipFile(archive) as z:
        names = z.namelist()
    assert {"nord_communes.shp", "nord_communes.dbf", "nord_communes.cpg", "nord_champs.csv"} <= set(names)
    assert len(territorial.read_input(archive, layer="nord_communes")) == 1534


def test_geojson_fgb_and_csv(example, tmp_path):
    facilities, analysis, _ = example
    export_analysis(analysis, facilities, tmp_path / "g" / "nord.geojson")
    text = (tmp_path / "g" / "nord_communes.geojson").read_text(encoding="utf-8")
    assert '"crs"' not in text  # RFC 7946: WGS84 implied
    layer = pyogrio.read_dataframe(tmp_path / "g" / "nord_communes.geojson")
    assert layer.crs.to_epsg() == 4326 and layer["code_insee"].iloc[0] == "59001"
    export_analysis(analysis, facilities, tmp_path / "f" / "nord.fgb")
    assert pyogrio.read_info(tmp_path / "f" / "nord_territoires.fgb")["crs"] == "EPSG:2154"
    export_analysis(analysis, facilities, tmp_path / "c" / "nord.csv", excel_fr=True)
    raw = (tmp_path / "c" / "nord_equipements_cyber_centre.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b";" in raw.splitlines()[0]
    points = pd.read_csv(tmp_path / "c" / "nord_equipements_cyber_centre.csv", sep=";", dtype=str, encoding="utf-8-sig")
    assert {"x", "y", "code_insee"} <= set(points.columns) and points["code_insee"].str.len().eq(5).all()
    export_analysis(analysis, facilities, tmp_path / "l93" / "nord.gpkg", crs="EPSG:4326")
    assert pyogrio.read_info(tmp_path / "l93" / "nord.gpkg", layer="communes")["crs"] == "EPSG:4326"


def test_export_cli(tmp_path):
    out = tmp_path / "nord.gpkg"
    args = [
        "export",
        str(example_path(CYBER_FILE)),
        "-o",
        str(out),
        "--kind",
        "cyber_centre",
        "--radius",
        "cyber_centre=8",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert pyogrio.read_dataframe(out, layer="equipements_cyber_centre").shape[0] == 79
    before = out.read_bytes()
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "--overwrite" in again.output
    assert out.read_bytes() == before
    assert runner.invoke(app, [*args, "--overwrite"]).exit_code == 0
    assert runner.invoke(app, ["export", str(example_path(CYBER_FILE)), "-o", str(tmp_path / "x.docx")]).exit_code == 2


def test_qgis_opens_the_layers_with_their_default_styles(example, gpkg):
    """Real QGIS (Debian's python3-qgis, installed by .ci/run) loads each layer with the stored style."""
    import json
    import os
    import subprocess
    from pathlib import Path

    system_python = Path("/usr/bin/python3")
    probe = (
        subprocess.run([str(system_python), "-c", "import qgis.core"], capture_output=True)
        if system_python.exists()
        else None
    )
    if probe is None or probe.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail("python3-qgis is missing on CI: .ci/run must install Debian's python3-qgis")
        pytest.skip("QGIS is not installed here (apt-get install python3-qgis qgis-providers); CI installs it")
    script = Path(__file__).with_name("qgis_open.py")
    done = subprocess.run(
        [str(system_python), str(script), str(gpkg), *SPATIAL], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    layers = json.loads(done.stdout.strip().splitlines()[-1])
    facilities, analysis, _ = example
    assert all(info["valid"] and info["crs"] == "EPSG:2154" for info in layers.values())
    communes = layers["communes"]
    assert communes["renderer"] == "graduatedSymbol" and communes["attr"] == "dist_cyber_centre_km"
    breaks = commune_breaks(analysis, "dist_cyber_centre_km")
    assert [r[1] for r in communes["ranges"]] == list(breaks.bins)
    assert [r[2] for r in communes["ranges"]] == breaks.labels()
    assert [r[3] for r in communes["ranges"]] == list(breaks.colours)
    assert communes["features"] == 1534
    assert layers["equipements_cyber_centre"]["renderer"] == "singleSymbol"
    assert layers["equipements_cyber_centre"]["features"] == 79
