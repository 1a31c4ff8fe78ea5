"""Geocoding known answers (SPEC §4) and row accounting, on the embedded geography."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

import territorial
from territorial.geocode import GeocodeError, geocode

TO_WGS84 = Transformer.from_crs(2154, 4326, always_xy=True)


def one(**values) -> pd.DataFrame:
    return pd.DataFrame([values])


def single(**values):
    result = geocode(one(**values))
    assert len(result.accepted) + len(result.rejected) == 1
    return (result.accepted if len(result.accepted) else result.rejected).iloc[0]


@pytest.mark.parametrize(
    ("values", "status", "code", "method"),
    [
        ({"commune": "Lille", "code_postal": "59000"}, "matched", "59350", "postal_code+name"),
        ({"commune": "LILLE"}, "matched", "59350", "name"),
        ({"code_insee": "59178.0"}, "matched", "59178", "insee_code"),  # Douai, code from a float
        ({"code_insee": 59178}, "matched", "59178", "insee_code"),
        ({"code_insee": "2285"}, "matched", "59545", "old_insee_code"),  # Escaufourt, lost zero, now Saint-Souplet
        ({"code_insee": "59355"}, "matched", "59350", "old_insee_code"),  # Lomme's old code
        ({"commune": "Portel (Le)"}, "matched", "62667", "name"),
        ({"commune": "le-portel"}, "matched", "62667", "name"),
        ({"commune": "Portel"}, "matched", "62667", "name_without_article"),
        ({"commune": "Longueville"}, "matched", "62526", "name"),  # not La Longueville (59)
        ({"commune": "La Longueville"}, "matched", "59357", "name"),
        ({"commune": "Maisnil"}, "matched", "62539", "name"),
        ({"commune": "Le Maisnil"}, "matched", "59371", "name"),
        ({"commune": "Orée de Mormal"}, "matched", "59006", "name_without_article"),
        ({"commune": "St-Omer"}, "matched", "62765", "name"),
        ({"commune": "STE CATHERINE", "code_postal": "62223"}, "matched", "62744", "postal_code+name"),
        ({"commune": "Lomme"}, "matched", "59350", "name"),
        ({"commune": "Hellemmes-Lille"}, "matched", "59350", "name"),
        ({"commune": "Saint-Pol-sur-Mer"}, "matched", "59183", "name"),
        ({"commune": "Fort-Mardyck"}, "matched", "59183", "name"),
        ({"commune": "VILLENEUVE D'ASCQ CEDEX", "code_postal": "59653"}, "matched", "59009", "name"),
        ({"commune": "59000 Lille"}, "matched", "59350", "postal_code+name"),
        ({"adresse": "12 rue Nationale 59800 Lille"}, "matched", "59350", "postal_code+name"),
        ({"code_postal": "59100"}, "matched", "59512", "postal_code"),  # Roubaix only
        ({"code_insee": "59100", "commune": "Roubaix"}, "matched", "59512", "postal_code+name"),  # a postal code
        ({"commune": "Saint-Aubin"}, "ambiguous", None, None),  # 59529 and 62742
        ({"commune": "Saint-Aubin", "code_postal": "62170"}, "matched", "62742", "postal_code+name"),
        ({"commune": "Saint-Aubin", "departement": "Nord"}, "matched", "59529", "departement+name"),
        ({"commune": "Saint-Aubin (62)"}, "matched", "62742", "departement+name"),
        ({"code_postal": "62170"}, "ambiguous", None, None),  # 29 communes
        ({"code_insee": "59350", "commune": "Roubaix"}, "ambiguous", None, None),  # code and name disagree
        ({"commune": "Amiens", "code_postal": "80000"}, "outside_region", None, None),
        ({"commune": "Paris"}, "outside_region", None, None),
        ({"code_insee": "75056"}, "outside_region", None, None),
        ({"commune": "Tourcoin"}, "fuzzy", "59599", "fuzzy_name"),
        ({"commune": "Armentire"}, "fuzzy", "59017", "fuzzy_name"),
        ({"commune": "Ville-Imaginaire"}, "unmatched", None, None),
        ({"commune": "", "code_postal": ""}, "invalid", None, None),
    ],
)
def test_known_answers(values, status, code, method):
    row = single(**values)
    assert row["geocode_status"] == status, row["geocode_note"]
    if code:
        assert row["code_insee"] == code
        assert row["geocode_method"] == method
        assert (row["geocode_score"] == 100) == (status == "matched")
    else:
        assert row["geocode_note"]


def test_notes_explain_old_names_and_homonyms():
    assert "« Lomme » : commune associée à Lille (59350)" in single(commune="Lomme")["geocode_note"]
    assert "Saint-Aubin (59529), Saint-Aubin (62742)" in single(commune="Saint-Aubin")["geocode_note"]
    fuzzy = single(commune="Tourcoin")
    assert 88 <= fuzzy["geocode_score"] < 100 and "Tourcoing" in fuzzy["geocode_note"]


def l93_to_wgs(point):
    return TO_WGS84.transform(point.x, point.y)


@pytest.fixture(scope="module")
def places():
    communes = territorial.communes(scheme=None).set_index("code_insee").geometry
    lille, lambersart = communes["59350"], communes["59328"]
    near_border = lille.intersection(lambersart.buffer(300)).representative_point()
    return {"lille": lille.representative_point(), "near_lambersart": near_border}


def test_wgs84_coordinates_with_decimal_comma(places):
    lon, lat = l93_to_wgs(places["lille"])
    row = single(latitude=f"{lat:.6f}".replace(".", ","), longitude=f"{lon:.6f}".replace(".", ","))
    assert (row["geocode_status"], row["code_insee"], row["geocode_method"]) == ("matched", "59350", "coordinates")
    assert row["geocode_precision"] == "coordonnées"
    assert row.geometry.distance(places["lille"]) < 1.0


def test_swapped_lat_lon_is_corrected_with_a_note(places):
    lon, lat = l93_to_wgs(places["lille"])
    row = single(latitude=lon, longitude=lat)
    assert row["code_insee"] == "59350" and "inversées" in row["geocode_note"]
    assert row.geometry.distance(places["lille"]) < 1.0


def test_lambert93_columns_are_inferred_and_said():
    hall = territorial.town_halls().set_index("code_insee").geometry["62041"]
    result = geocode(one(X=f"{hall.x:.1f}", Y=f"{hall.y:.1f}"))
    assert result.accepted["code_insee"].tolist() == ["62041"]
    assert any("Lambert-93 (EPSG:2154)" in note for note in result.notes)


def test_declared_crs_lambert_ii():
    lille = territorial.town_halls().set_index("code_insee").geometry["59350"]
    x, y = Transformer.from_crs(2154, 27572, always_xy=True).transform(lille.x, lille.y)
    assert geocode(one(x=x, y=y), crs="EPSG:27572").accepted["code_insee"].tolist() == ["59350"]


def test_coordinates_of_unknown_crs_ask_for_it():
    with pytest.raises(ValueError, match="declare it with crs="):
        geocode(one(x=12_345_678.0, y=98_765_432.0))


def test_point_outside_the_region():
    row = single(latitude=50.8277, longitude=3.2650)  # Kortrijk, Belgium
    assert row["geocode_status"] == "outside_region"


def test_point_near_the_named_commune_is_kept(places):
    lon, lat = l93_to_wgs(places["near_lambersart"])
    row = single(latitude=lat, longitude=lon, commune="Lambersart")
    assert (row["geocode_status"], row["code_insee"]) == ("matched", "59350")
    assert "Lambersart (59328) indiquée" in row["geocode_note"]


def test_point_far_from_the_named_commune_is_rejected(places):
    lon, lat = l93_to_wgs(places["lille"])
    row = single(latitude=lat, longitude=lon, commune="Dunkerque")
    assert row["geocode_status"] == "ambiguous"
    assert "Lille (59350)" in row["geocode_note"] and "Dunkerque (59183)" in row["geocode_note"]


def test_unreadable_coordinates_fall_back_to_the_commune():
    row = single(latitude="n/a", longitude="??", commune="Arras")
    assert (row["geocode_status"], row["code_insee"], row["geocode_precision"]) == ("matched", "62041", "mairie")
    assert "coordonnées illisibles" in row["geocode_note"]
    assert single(latitude="n/a", longitude="??")["geocode_status"] == "invalid"


def test_geodataframe_input_uses_its_geometry(places):
    lon, lat = l93_to_wgs(places["lille"])
    frame = gpd.GeoDataFrame({"nom": ["x"]}, geometry=[shapely.Point(lon, lat)], crs=4326)
    result = geocode(frame)
    assert result.accepted["code_insee"].tolist() == ["59350"]
    with pytest.raises(ValueError, match="has no CRS"):
        geocode(frame.set_crs(None, allow_override=True))


def test_rows_by_commune_are_placed_at_the_town_hall():
    halls = territorial.town_halls().set_index("code_insee")
    row = single(commune="Arras")
    assert row.geometry.equals(halls.geometry["62041"])
    assert row["geocode_precision"] == halls.at["62041", "precision"]


def test_output_columns_index_and_input_untouched():
    frame = pd.DataFrame(
        {"commune": ["Arras", "Nowhere", "Lille"], "code_insee": ["", "", ""], "x1": [1, 2, 3]}, index=[10, 20, 30]
    )
    before = frame.copy()
    result = geocode(frame)
    pd.testing.assert_frame_equal(frame, before)
    accepted = result.accepted
    assert accepted.crs.to_epsg() == 2154
    assert list(accepted.index) == [10, 30] and list(result.rejected.index) == [20]
    for column in (
        "code_insee",
        "commune",
        "territoire",
        "epci",
        "departement",
        "geocode_method",
        "geocode_score",
        "geocode_status",
        "geocode_note",
        "x1",
        "commune_source",
        "code_insee_source",
        "input_row",
    ):
        assert column in accepted.columns
    assert accepted["territoire"].tolist() == ["Artois-Ternois", "Métropole"]
    assert list(result.rejected.columns) == [
        "commune",
        "code_insee",
        "x1",
        "input_row",
        "geocode_status",
        "geocode_note",
    ]


def test_duplicate_ids_are_reported():
    result = geocode(pd.DataFrame({"id": ["A", "B", "A"], "commune": ["Arras", "Lille", "Lens"]}))
    assert result.duplicate_ids["id"].tolist() == ["A"]
    assert result.duplicate_ids["input_rows"].tolist() == ["1;3"]
    assert result.accepted["geocode_note"].str.contains("identifiant A en double").sum() == 2


def test_strict_mode_fails_on_any_reject_and_keeps_the_result():
    frame = pd.DataFrame({"commune": ["Arras", "Nowhere"]})
    with pytest.raises(GeocodeError, match="1 of 2 rows rejected") as info:
        geocode(frame, strict=True)
    assert len(info.value.result.accepted) == 1 and len(info.value.result.rejected) == 1
    assert len(geocode(frame.iloc[:1], strict=True).accepted) == 1


def test_summary_counts_every_status():
    result = geocode(pd.DataFrame({"commune": ["Arras", "Tourcoin", "Saint-Aubin", "Nowhere", "Paris", ""]}))
    counts = dict(zip(result.summary["geocode_status"], result.summary["rows"]))
    assert counts == {"matched": 1, "fuzzy": 1, "ambiguous": 1, "unmatched": 1, "outside_region": 1, "invalid": 1}
    assert result.summary["share"].sum() == pytest.approx(1.0)


def test_explicit_columns_override_recognition():
    frame = pd.DataFrame({"lieu": ["Arras"], "commune": ["Lille"]})
    assert geocode(frame, columns={"commune": "lieu"}).accepted["code_insee"].tolist() == ["62041"]
    with pytest.raises(ValueError, match="unknown role"):
        geocode(frame, columns={"town": "lieu"})


def test_row_accounting_on_random_garbage():
    rng = np.random.default_rng(7)
    communes = territorial.communes(scheme=None)
    pool = [*communes["nom"].sample(40, random_state=1), "", "???", "Paris", "Saint-Aubin", "12", None]
    n = 500
    frame = pd.DataFrame(
        {
            "commune": rng.choice(np.array(pool, dtype=object), n),
            "code_postal": rng.choice(np.array(["", "59000", "62170", "80000", "abc", "5900", None], dtype=object), n),
            "latitude": rng.choice(np.array(["", "50,63", "3.06", "x", "95", None], dtype=object), n),
            "longitude": rng.choice(np.array(["", "3,06", "50.63", "y", "-200", None], dtype=object), n),
        }
    )
    result = geocode(frame)
    rows = sorted([*result.accepted["input_row"], *result.rejected["input_row"]])
    assert rows == list(range(1, n + 1))
    assert set(result.rejected["geocode_status"]) <= {"ambiguous", "unmatched", "outside_region", "invalid"}
    assert result.rejected["geocode_note"].str.len().gt(0).all()
    assert set(result.accepted["geocode_status"]) <= {"matched", "fuzzy"}
    assert result.accepted["code_insee"].isin(communes["code_insee"]).all()


def messy(name: str, i: int) -> str:
    """Ways people write commune names, cycled over the communes."""
    import unicodedata

    variants = [
        name,
        name.upper(),
        unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode(),
        name.replace("Saint-", "St-").replace("Sainte-", "Ste-"),
        (
            f"{name.split(' ', 1)[1]} ({name.split(' ', 1)[0]})"
            if name.split(" ")[0] in ("Le", "La", "Les")
            else name.lower()
        ),
        name.replace("-", " ") + " CEDEX",
    ]
    return variants[i % len(variants)]


def test_every_commune_written_messily_is_found():
    communes = territorial.communes(scheme=None)
    frame = pd.DataFrame(
        {
            "commune": [messy(n, i) for i, n in enumerate(communes["nom"])],
            "code_postal": [cps.split(";")[0] if i % 3 else "" for i, cps in enumerate(communes["codes_postaux"])],
        }
    )
    result = geocode(frame)
    truth = communes["code_insee"].to_numpy()
    accepted = result.accepted
    right = accepted["code_insee"].to_numpy() == truth[accepted["input_row"].to_numpy() - 1]
    assert right.sum() / len(frame) >= 0.99
    assert right[accepted["geocode_status"].to_numpy() == "matched"].all()  # no row wrongly placed as matched
    assert set(result.rejected["geocode_status"]) <= {"ambiguous"}  # homonyms without postal code only


def test_open_data_point_column_and_dms(places):
    lon, lat = l93_to_wgs(places["lille"])
    assert single(geo_point_2d=f"{lat}, {lon}")["code_insee"] == "59350"

    def dms(value):
        d = int(value)
        m = int((value - d) * 60)
        return f"{d}°{m}'{(value - d - m / 60) * 3600:.3f}\""

    row = single(latitude=dms(lat) + "N", longitude=dms(lon) + "E")
    assert (row["code_insee"], row["geocode_method"]) == ("59350", "coordinates")


@pytest.mark.parametrize("name", ["Lomme (Lille)", "Lille (Hellemmes)", "Lille (Lomme)"])
def test_two_part_names(name):
    row = single(commune=name)
    assert (row["geocode_status"], row["code_insee"]) == ("matched", "59350")
