"""Online address geocoding (off by default) against a local stub of the BAN batch CSV service."""

from __future__ import annotations

import pandas as pd
import pytest
from ban_stub import BanStub
from pyproj import Transformer
from typer.testing import CliRunner

import territorial
from territorial.ban import BanError, ban_geocode
from territorial.cli import app
from territorial.geocode import geocode

TO_WGS84 = Transformer.from_crs(2154, 4326, always_xy=True)


def answer(code: str, label: str, score: float, lonlat: tuple[float, float] | None = None) -> dict:
    if lonlat is None:
        polygon = territorial.communes(scheme=None).set_index("code_insee").geometry[code]
        lonlat = TO_WGS84.transform(*polygon.representative_point().coords[0])
    lon, lat = lonlat
    return {
        "latitude": f"{lat:.6f}",
        "longitude": f"{lon:.6f}",
        "result_label": label,
        "result_score": f"{score}",
        "result_type": "housenumber",
        "result_citycode": code,
        "result_postcode": "",
        "result_city": label.split()[-1],
    }


@pytest.fixture
def stub():
    answers = {
        "12 place des héros": answer("62041", "12 Place des Héros 62000 Arras", 0.93),
        "3 rue de la gare": answer("62065", "3 Rue de la Gare 62210 Avion", 0.88),
        "1 chemin perdu": answer("62041", "Chemin Perdu 62000 Arras", 0.31),
        "40 rue nationale": answer("59350", "40 Rue Nationale 59800 Lille", 0.95),
        "8 rue de paris": answer("80021", "8 Rue de Paris 80000 Amiens", 0.90, (2.2957, 49.8941)),
    }
    with BanStub(answers) as server:
        yield server


ROWS = pd.DataFrame(
    {
        "nom": ["secret A", "secret B", "secret C", "secret D", "secret E", "secret F"],
        "adresse": [
            "12 place des Héros",
            "3 rue de la Gare",
            "1 chemin perdu",
            "40 rue Nationale",
            "8 rue de Paris",
            "",
        ],
        "code_postal": ["62000", "62000", "62000", "", "", ""],
        "commune": ["Arras", "Arras", "Arras", "Nulle-Part", "Nulle-Part", "Lens"],
    }
)


def test_online_geocoding_refines_flags_and_rescues(stub, tmp_path):
    result = geocode(ROWS, online=True, ban_url=stub.url, ban_cache=tmp_path)
    rows = pd.concat([result.accepted, result.rejected]).sort_values("input_row").set_index("nom")
    halls = territorial.town_halls().set_index("code_insee").geometry
    arras = rows.loc["secret A"]
    assert arras["geocode_precision"] == "adresse (BAN)" and arras["geocode_method"].endswith("+ban_address")
    assert not arras.geometry.equals(halls["62041"])
    mismatch = rows.loc["secret B"]
    assert mismatch["code_insee"] == "62041" and "la BAN place l'adresse dans Avion (62065)" in mismatch["geocode_note"]
    assert mismatch.geometry.equals(halls["62041"])
    low = rows.loc["secret C"]
    assert "adresse non retenue par la BAN (score 0,31)" in low["geocode_note"]
    rescued = rows.loc["secret D"]
    assert (rescued["geocode_status"], rescued["code_insee"], rescued["geocode_method"]) == (
        "fuzzy",
        "59350",
        "ban_address",
    )
    assert rescued["geocode_score"] == 95.0
    assert rows.loc["secret E", "geocode_status"] == "outside_region"
    assert rows.loc["secret F", "geocode_precision"] == "mairie"  # no address: not sent

    (request,) = stub.requests
    assert request["fields"]["columns"] == ["adresse"] and request["fields"]["postcode"] == ["postcode"]
    assert "nom" not in request["columns"] and len(request["rows"]) == 5  # only addresses leave the machine


def test_answers_are_cached_on_disk(stub, tmp_path):
    first = geocode(ROWS, online=True, ban_url=stub.url, ban_cache=tmp_path)
    second = geocode(ROWS, online=True, ban_url=stub.url, ban_cache=tmp_path)
    assert len(stub.requests) == 1
    assert len(list(tmp_path.glob("*.csv"))) == 1
    pd.testing.assert_frame_equal(first.accepted.drop(columns="geometry"), second.accepted.drop(columns="geometry"))


def test_offline_by_default(stub, tmp_path):
    geocode(ROWS)
    assert stub.requests == []


def test_unreachable_service_says_so(tmp_path):
    with pytest.raises(BanError, match="could not be reached.*run offline"):
        ban_geocode(pd.Series(["1 rue X"]), url="http://127.0.0.1:9/none", cache_dir=tmp_path, timeout=5)


def test_cli_online(stub, tmp_path):
    path = tmp_path / "in.csv"
    ROWS.to_csv(path, sep=";", index=False)
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(
        app,
        [
            "geocode",
            str(path),
            "-o",
            str(out),
            "--online",
            "--ban-url",
            stub.url,
            "--ban-cache",
            str(tmp_path / "cache"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "adresse (BAN)" in set(pd.read_csv(out, dtype=str)["geocode_precision"])
