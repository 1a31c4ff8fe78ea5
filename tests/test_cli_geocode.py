"""`territorial geocode` as the issue's contract states it, on files written here and on the examples."""

from __future__ import annotations

import pandas as pd
import pyogrio
import pytest
from typer.testing import CliRunner

from territorial.cli import app
from territorial.examples import ACCESS_FILE, CYBER_FILE, example_path

runner = CliRunner()

MESSY = (
    "id;nom;commune;cp;latitude;longitude\r\n"
    "1;Cyber <b>A</b>;Béthune;62400;50,5303;2,6408\r\n"
    "2;B;Portel (Le);;;\r\n"
    "3;C;Amiens;80000;;\r\n"
    "4;D;Saint-Aubin;;;\r\n"
    "5;E;;;;\r\n"
    "6;F;Nulle-Part;;;\r\n"
)


@pytest.fixture
def messy_csv(tmp_path):
    path = tmp_path / "lieux.csv"
    path.write_bytes(MESSY.encode("cp1252"))
    return path


def test_csv_output_with_default_rejects(messy_csv, tmp_path):
    out = tmp_path / "out" / "geo.csv"
    result = runner.invoke(app, ["geocode", str(messy_csv), "-o", str(out)])
    assert result.exit_code == 0, result.output
    accepted = pd.read_csv(out, dtype=str)
    rejected = pd.read_csv(tmp_path / "out" / "geo_rejets.csv", dtype=str)
    assert len(accepted) + len(rejected) == 6
    assert accepted["code_insee"].tolist() == ["62119", "62667"]
    assert {"x", "y"} <= set(accepted.columns)
    assert 550_000 < float(accepted["x"][0]) < 800_000 and 6_900_000 < float(accepted["y"][0]) < 7_150_000
    assert dict(zip(rejected["id"], rejected["geocode_status"])) == {
        "3": "outside_region",
        "4": "ambiguous",
        "5": "invalid",
        "6": "unmatched",
    }
    assert list(rejected.columns[:6]) == ["id", "nom", "commune", "cp", "latitude", "longitude"]
    assert "6 lignes lues : 2 acceptées, 4 rejetées" in result.output


def test_strict_exits_1_but_writes_everything(messy_csv, tmp_path):
    out, rejects = tmp_path / "geo.gpkg", tmp_path / "r.csv"
    result = runner.invoke(app, ["geocode", str(messy_csv), "-o", str(out), "--rejects", str(rejects), "--strict"])
    assert result.exit_code == 1
    assert out.is_file() and rejects.is_file()
    layer = pyogrio.read_dataframe(out)
    assert layer.crs.to_epsg() == 2154 and layer["code_insee"].tolist() == ["62119", "62667"]
    assert pyogrio.read_info(out)["fields"].tolist().count("code_insee") == 1
    assert dict(zip(pyogrio.read_info(out)["fields"], pyogrio.read_info(out)["dtypes"]))["code_insee"] == "object"


def test_geojson_output_is_wgs84(messy_csv, tmp_path):
    out = tmp_path / "geo.geojson"
    assert runner.invoke(app, ["geocode", str(messy_csv), "-o", str(out)]).exit_code == 0
    layer = pyogrio.read_dataframe(out)
    assert layer.crs.to_epsg() == 4326 and 2.0 < layer.geometry.x[0] < 3.0


def test_unreadable_input_is_a_usage_error(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00\x01\x02garbage")
    result = runner.invoke(app, ["geocode", str(bad), "-o", str(tmp_path / "o.csv")])
    assert result.exit_code == 2 and "binary file" in result.output
    assert runner.invoke(app, ["geocode", str(tmp_path / "none.csv"), "-o", str(tmp_path / "o.csv")]).exit_code == 2


def test_column_override(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("lieu;ville\nA;Arras\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    result = runner.invoke(app, ["geocode", str(path), "-o", str(out), "--column", "commune=ville"])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out, dtype=str)["code_insee"].tolist() == ["62041"]
    assert runner.invoke(app, ["geocode", str(path), "-o", str(out), "--column", "commune"]).exit_code == 2


@pytest.mark.parametrize(
    ("name", "accepted", "rejected"),
    [
        (CYBER_FILE, 79, {"outside_region": 1, "unmatched": 1, "ambiguous": 1, "invalid": 1}),
        (ACCESS_FILE, 148, {"outside_region": 2}),
    ],
)
def test_example_files_geocode_with_their_deliberate_defects(tmp_path, name, accepted, rejected):
    out = tmp_path / "ex.csv"
    result = runner.invoke(app, ["geocode", str(example_path(name)), "-o", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, dtype=str)
    rejects = pd.read_csv(tmp_path / "ex_rejets.csv", dtype=str)
    assert len(table) == accepted
    assert rejects["geocode_status"].value_counts().to_dict() == rejected
    assert (table["avertissement"] == "données d'exemple (fictives)").all()


def test_example_generator_is_deterministic(tmp_path):
    from territorial.examples.generate import generate

    for written in generate(tmp_path):
        assert written.read_bytes() == example_path(written.name).read_bytes()


LAMEDNUM = (
    "id,pivot,nom,commune,code_postal,code_insee,adresse,complement_adresse,latitude,longitude,services,"
    "source,date_maj,typologie\n"
    "lieu-1,21590350600018,Médiathèque <i>Jean Lévy</i>,Lille,59000,59350,32-34 rue Edouard Delesalle,,50.6338,"
    '3.0621,"Prendre en main un ordinateur;Réaliser des démarches administratives",hub,2024-05-02,BIB\n'
    "lieu-2,,Espace numérique,Béthune,62400,,2 rue Sadi Carnot,1er étage,,,Accès libre|Emploi,hub,2024-05-02,MUNI\n"
    "lieu-3,,EPN 'Le Clic',Amiens,80000,80021,1 place,,49.8941,2.2957,\"Accès libre, Emploi\",hub,2024-05-02,ASSO\n"
)


def test_lieux_de_mediation_numerique_standard_needs_no_mapping(tmp_path):
    path = tmp_path / "lieux-de-mediation-numerique.csv"
    path.write_text(LAMEDNUM, encoding="utf-8")
    out = tmp_path / "lieux.gpkg"
    result = runner.invoke(app, ["geocode", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    layer = pyogrio.read_dataframe(out)
    assert layer["code_insee"].tolist() == ["59350", "62119"]
    assert layer["geocode_method"].tolist() == ["coordinates", "postal_code+name"]
    assert layer["services"][0] == "Prendre en main un ordinateur;Réaliser des démarches administratives"
    assert layer["code_insee_source"][0] == "59350" and pd.isna(layer["code_insee_source"][1])
    rejects = pd.read_csv(tmp_path / "lieux_rejets.csv", dtype=str)
    assert rejects["geocode_status"].tolist() == ["outside_region"]
    assert "id=id" in result.output and "latitude=latitude" in result.output
