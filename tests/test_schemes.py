"""Territory schemes: the default cper2000 grouping, tables and polygon layers."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

import territorial
from territorial import SchemeError
from territorial.schemes import CPER2000_ARRONDISSEMENTS, CPER2000_TERRITORIES

SPEC_TABLE = {  # SPEC §2, written out again on purpose
    "Métropole": {"595"},
    "Littoral": {"594", "623", "626", "624", "625"},
    "Bassin Minier": {"593", "596", "622", "627"},
    "Sud Nord": {"591", "592"},
    "Artois-Ternois": {"621"},
}
PLAUSIBLE = {  # issue 2 acceptance, inhabitants
    "Métropole": (1.1e6, 1.4e6),
    "Bassin Minier": (1.1e6, 1.4e6),
    "Littoral": (0.8e6, 1.0e6),
    "Sud Nord": (0.35e6, 0.45e6),
    "Artois-Ternois": (0.2e6, 0.3e6),
}


@pytest.mark.parametrize("territory", CPER2000_TERRITORIES)
def test_cper2000_groups_the_arrondissements_of_the_spec(communes, territory):
    arrondissements = set(communes.loc[communes["territoire"] == territory, "arrondissement"])
    assert arrondissements == SPEC_TABLE[territory]
    assert {a for a, t in CPER2000_ARRONDISSEMENTS.items() if t == territory} == SPEC_TABLE[territory]


def test_every_commune_is_in_exactly_one_of_five_territories(communes):
    scheme = territorial.default_scheme()
    assert scheme.index.is_unique and len(scheme) == 1534
    assert set(scheme) == set(CPER2000_TERRITORIES)
    assert communes["territoire"].notna().all()


@pytest.mark.parametrize("territory", CPER2000_TERRITORIES)
def test_territory_populations_are_plausible(default_territories, territory):
    row = default_territories.set_index("territoire").loc[territory]
    low, high = PLAUSIBLE[territory]
    assert low <= row["population"] <= high
    assert row["densite"] == pytest.approx(row["population"] / row["area_km2"], abs=0.05)


def test_territory_totals_add_up_to_the_communes(communes, default_territories):
    by_territory = communes.groupby("territoire").agg(
        population=("population", "sum"), n=("code_insee", "size"), area=("area_km2", "sum")
    )
    table = default_territories.set_index("territoire")
    by_territory = by_territory.loc[table.index]
    assert (table["population"] == by_territory["population"]).all()
    assert (table["n_communes"] == by_territory["n"]).all()
    assert table["area_km2"].to_numpy() == pytest.approx(by_territory["area"].to_numpy(), abs=0.01)
    assert default_territories.is_valid.all()
    assert default_territories.area.sum() / 1e6 == pytest.approx(communes["area_km2"].sum(), rel=1e-4)


def write_scheme_csv(path, frame, *, encoding="cp1252", sep=";"):
    path.write_bytes(frame.to_csv(sep=sep, index=False).encode(encoding))
    return path


@pytest.fixture
def epci_table(communes):
    return communes[["code_insee", "epci_nom"]].rename(columns={"epci_nom": "Territoire"})


def test_custom_table_scheme_by_epci(tmp_path, epci_table, communes):
    path = write_scheme_csv(tmp_path / "epci.csv", epci_table)
    scheme = territorial.read_scheme(path)
    assert scheme.nunique() == communes["epci_nom"].nunique()
    frame = territorial.territories(scheme)
    assert len(frame) == communes["epci_nom"].nunique()
    assert frame["population"].sum() == communes["population"].sum()
    assert frame["n_communes"].sum() == 1534


def test_custom_scheme_missing_a_commune_names_it(tmp_path, epci_table):
    lille = epci_table[epci_table["code_insee"] != "59350"]
    path = write_scheme_csv(tmp_path / "missing.csv", lille)
    with pytest.raises(SchemeError, match=r"1 commune\(s\) without a territory: 59350 Lille") as info:
        territorial.read_scheme(path)
    assert info.value.missing == ["59350"]


def test_duplicated_and_unknown_codes_are_all_named(epci_table):
    table = pd.concat(
        [epci_table, epci_table.iloc[[0]], pd.DataFrame({"code_insee": ["59355", "75056"], "Territoire": ["x", "y"]})]
    )
    with pytest.raises(SchemeError) as info:
        territorial.scheme_from_table(table)
    message = str(info.value)
    assert "code(s) given more than once: 59001 Abancourt" in message
    assert "59355 (Lomme, an old code of Lille 59350: use 59350)" in message
    assert "75056" in message
    assert info.value.unknown == ["59355", "75056"]


def test_codes_that_became_numbers_are_normalised(epci_table):
    as_numbers = epci_table.assign(code_insee=epci_table["code_insee"].astype(float).astype(str))
    assert as_numbers["code_insee"].iloc[0].endswith(".0")
    scheme = territorial.scheme_from_table(as_numbers)
    assert scheme.index[0] == "59001"


def test_xlsx_scheme_with_explicit_columns(tmp_path, communes):
    table = communes[["code_insee", "departement"]].rename(columns={"code_insee": "Commune", "departement": "Dep"})
    path = tmp_path / "dep.xlsx"
    table.to_excel(path, index=False)
    scheme = territorial.read_scheme(path, code_column="Commune", territory_column="Dep")
    assert scheme.value_counts().to_dict() == {"62": 887, "59": 647}


def test_table_with_unrecognised_columns_asks_for_names(communes):
    table = communes[["code_insee", "nom", "departement"]].rename(columns={"code_insee": "a"})
    with pytest.raises(ValueError, match="code_column= and territory_column="):
        territorial.scheme_from_table(table)


def test_polygon_scheme_reproduces_the_default(tmp_path, default_territories):
    path = tmp_path / "zones.geojson"
    default_territories[["territoire", "geometry"]].to_crs(4326).to_file(path)
    scheme = territorial.read_scheme(path)
    assert scheme.equals(territorial.default_scheme())


def test_polygon_scheme_with_a_gap_names_the_communes_left_out(default_territories):
    zones = default_territories[default_territories["territoire"] != "Artois-Ternois"][["territoire", "geometry"]]
    with pytest.raises(
        SchemeError, match="357 commune\\(s\\) without a territory: 62002 Ablainzevelle, 62004 Achicourt"
    ):
        territorial.scheme_from_polygons(zones)


def test_overlapping_polygons_are_duplicates(communes):
    west, south, east, north = communes.total_bounds
    zones = gpd.GeoDataFrame(
        {"zone": ["a", "b"]}, geometry=[box(west, south, east, north), box(west, south, east, north)], crs=2154
    )
    with pytest.raises(SchemeError, match="1534 code\\(s\\) given more than once"):
        territorial.scheme_from_polygons(zones)


def test_polygons_without_crs_are_refused(default_territories):
    zones = default_territories[["territoire", "geometry"]].set_crs(None, allow_override=True)
    with pytest.raises(ValueError, match=r"`zones` has no CRS; set the one"):
        territorial.scheme_from_polygons(zones)


def test_wrong_scheme_type_is_a_type_error():
    with pytest.raises(TypeError, match="`scheme` must be 'cper2000'"):
        territorial.resolve_scheme(42)


def test_scheme_from_dict_and_communes_with_custom_scheme(communes):
    mapping = dict(zip(communes["code_insee"], communes["departement"].map({"59": "Nord", "62": "Pas-de-Calais"})))
    frame = territorial.communes(scheme=mapping)
    assert frame["territoire"].value_counts().to_dict() == {"Pas-de-Calais": 887, "Nord": 647}
    assert "territoire" not in territorial.communes(scheme=None).columns
