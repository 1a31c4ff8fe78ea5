"""Spatial-balance analysis on the embedded geography: known placements, and every aggregate
recomputed from the commune table, through the API and the CLI contract."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from places import at_town_halls
from typer.testing import CliRunner

from territorial import balance
from territorial.analysis import analyse, normalise_kind
from territorial.cli import app
from territorial.examples import ACCESS_FILE, CYBER_FILE, example_path

runner = CliRunner()


@pytest.fixture(scope="module")
def small():
    facilities = pd.concat(
        [
            at_town_halls(["59350", "62041", "59183", "59350"], "cyber_centre", postes=[10, 8, 6, 4]),
            at_town_halls(["59512", "59606"], "Point d'accès"),
        ]
    )
    return analyse(gpd.GeoDataFrame(facilities, crs=2154), n_boot=50)


def test_counts_and_distances_where_facilities_are(small):
    communes = small.communes.set_index("code_insee")
    assert small.kinds == ["broadband_access_point", "cyber_centre"]
    assert communes.at["59350", "n_cyber_centre"] == 2 and communes.at["59350", "dist_cyber_centre_km"] == 0.0
    assert communes.at["59350", "couvert_cyber_centre"] == 1
    lille = communes.loc["59350"]
    assert lille["cyber_centre_pour_10000_hab"] == pytest.approx(2 / lille["population"] * 1e4)
    assert lille["cyber_centre_pour_100km2"] == pytest.approx(2 / lille["area_km2"] * 100)
    by_territory = small.territories.set_index("territoire")["n_cyber_centre"].to_dict()
    assert by_territory == {"Sud Nord": 0, "Bassin Minier": 0, "Métropole": 2, "Littoral": 1, "Artois-Ternois": 1}
    assert small.region.iloc[0]["n_cyber_centre"] == 4
    assert small.departements.set_index("departement")["n_broadband_access_point"].to_dict() == {"59": 2, "62": 0}


def test_every_territory_number_is_recomputed_from_the_commune_table(small):
    communes, territories = small.communes, small.territories.set_index("territoire")
    for k in small.kinds:
        for name, group in communes.groupby("territoire"):
            pop = group["population"].to_numpy(float)
            dist = group[f"dist_{k}_km"].to_numpy(float)
            row = territories.loc[name]
            assert row["population"] == pop.sum()
            assert row[f"n_{k}"] == group[f"n_{k}"].sum()
            assert row[f"{k}_pour_10000_hab"] == pytest.approx(group[f"n_{k}"].sum() / pop.sum() * 1e4)
            assert row[f"dist_moy_{k}_km"] == pytest.approx(np.average(dist, weights=pop))
            order = np.argsort(dist)
            cum = np.cumsum(pop[order]) / pop.sum()
            assert row[f"dist_p90_{k}_km"] == dist[order][np.searchsorted(cum, 0.9)]
            assert row[f"part_pop_couverte_{k}"] == pytest.approx((group[f"couvert_{k}"] * pop).sum() / pop.sum())
            assert row[f"part_pop_couverte_surface_{k}"] == pytest.approx(
                (group[f"couvert_surface_{k}"] * pop).sum() / pop.sum()
            )


def test_equity_is_recomputed_from_the_commune_table(small):
    communes = small.communes
    for row in small.equity.itertuples():
        k = row.kind
        t = balance.theil(communes[f"n_{k}"], communes["population"], communes["territoire"])
        assert (row.theil, row.theil_inter, row.theil_intra) == pytest.approx((t.total, t.between, t.within))
        assert row.theil == pytest.approx(row.theil_inter + row.theil_intra, abs=1e-12)
        per = communes.groupby("territoire")[[f"n_{k}", "population"]].sum()
        assert row.gini_territoires == pytest.approx(
            balance.weighted_gini(per[f"n_{k}"] / per["population"], per["population"])
        )
        assert row.gini_distance == pytest.approx(
            balance.weighted_gini(communes[f"dist_{k}_km"], communes["population"])
        )
        assert row.cv == pytest.approx(balance.weighted_cv(communes[f"dist_{k}_km"], communes["population"]))
        assert -1 <= row.moran_i <= 1 and 0 <= row.moran_p <= 1


def test_underserved_are_the_uncovered_communes_ranked_by_population(small):
    table = small.underserved[small.underserved["kind"] == "cyber_centre"]
    uncovered = small.communes[small.communes["couvert_cyber_centre"] == 0]
    assert set(table["code_insee"]) == set(uncovered["code_insee"])
    assert table["population"].is_monotonic_decreasing
    assert (table["dist_km"] > 5).all()


def test_fair_share_of_the_200_cyber_centres(small):
    territories = small.territories
    assert territories["attendu_cyber_centre"].sum() == pytest.approx(200)
    share = territories["population"] / territories["population"].sum()
    assert territories["attendu_cyber_centre"].to_numpy() == pytest.approx(200 * share.to_numpy())
    assert small.equity.set_index("kind").at["cyber_centre", "progression"] == pytest.approx(4 / 200)
    assert "attendu_broadband_access_point" not in territories


def test_priority_weights_shift_the_fair_share():
    facilities = at_town_halls(["59350"], "cyber_centre")
    neutral = analyse(facilities, n_boot=10).territories.set_index("territoire")["attendu_cyber_centre"]
    weighted = analyse(facilities, n_boot=10, priority={"Bassin Minier": 1.5, "Sud Nord": 1.5}).territories
    weighted = weighted.set_index("territoire")["attendu_cyber_centre"]
    assert weighted["Bassin Minier"] > neutral["Bassin Minier"] and weighted["Métropole"] < neutral["Métropole"]
    assert weighted.sum() == pytest.approx(200)


def test_capacity_gives_2sfca_columns(small):
    communes = small.communes
    assert "acces_2sfca_cyber_centre" in communes and "acces_2sfca_broadband_access_point" not in communes
    lille = communes.set_index("code_insee").at["59350", "acces_2sfca_cyber_centre"]
    assert lille > 0
    # capacity is conserved: every facility's seats are shared among the people in reach
    assert (communes["acces_2sfca_cyber_centre"] * communes["population"]).sum() / 1e4 == pytest.approx(28)


def test_radius_detour_and_zones():
    facilities = at_town_halls(["62041"], "cyber_centre")
    wide = analyse(facilities, radii_km={"cyber_centre": 20}, n_boot=10)
    narrow = analyse(facilities, radii_km={"cyber_centre": 20}, detour=1.5, n_boot=10)
    assert wide.communes["couvert_cyber_centre"].sum() > narrow.communes["couvert_cyber_centre"].sum()
    assert wide.zones.geometry.iloc[0].area == pytest.approx(np.pi * 20_000**2, rel=0.01)
    assert narrow.communes["dist_cyber_centre_km"].max() == pytest.approx(
        1.5 * wide.communes["dist_cyber_centre_km"].max(), rel=1e-4
    )


def test_geographic_crs_is_refused():
    with pytest.raises(ValueError, match="geographic CRS"):
        analyse(at_town_halls(["62041"], "cyber_centre").to_crs(4326))


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("Cyber-centre", "cyber_centre"),
        ("EPN", "cyber_centre"),
        ("Point d'accès haut débit", "broadband_access_point"),
        ("lycée", "etablissement_scolaire"),
        ("Transcarte", "transport"),
        ("Médiathèque", "culture"),
        ("EuraTechnologies", "pole_tic"),
        ("musée", "musee"),
        ("Ville numérique", "ville_numerique"),
    ],
)
def test_normalise_kind(raw, kind):
    assert normalise_kind(raw) == kind


def test_cli_contract_on_the_example_files(tmp_path):
    out = tmp_path / "analyse"
    result = runner.invoke(
        app,
        [
            "analyse",
            str(example_path(CYBER_FILE)),
            str(example_path(ACCESS_FILE)),
            "-o",
            str(out),
            "--kind",
            "cyber_centre",
            "--kind",
            "broadband_access_point",
            "--radius",
            "cyber_centre=10",
            "--target",
            "cyber_centre=100",
        ],
    )
    assert result.exit_code == 0, result.output
    communes = pd.read_csv(out / "communes.csv", dtype={"code_insee": str})
    territories = pd.read_csv(out / "territoires.csv")
    equity = pd.read_csv(out / "equite.csv")
    underserved = pd.read_csv(out / "sous_desservies.csv", dtype={"code_insee": str})
    for k in ("cyber_centre", "broadband_access_point"):
        assert {f"n_{k}", f"dist_{k}_km", f"couvert_{k}"} <= set(communes.columns)
        assert {
            f"n_{k}",
            f"{k}_pour_10000_hab",
            f"dist_moy_{k}_km",
            f"dist_p90_{k}_km",
            f"part_pop_couverte_{k}",
            f"part_pop_couverte_surface_{k}",
        } <= set(territories.columns)
    assert {"territoire", "population", "superficie_km2", "attendu_cyber_centre"} <= set(territories.columns)
    assert list(equity.columns[:1]) == ["kind"]
    assert {
        "theil",
        "theil_inter",
        "theil_intra",
        "gini_territoires",
        "gini_distance",
        "cv",
        "moran_i",
        "moran_p",
    } <= set(equity.columns)
    assert list(underserved.columns) == ["code_insee", "commune", "territoire", "population", "kind", "dist_km"]
    assert len(communes) == 1534 and communes["code_insee"].str.len().eq(5).all()
    assert territories["n_cyber_centre"].sum() == 79 and territories["n_broadband_access_point"].sum() == 148
    assert territories["attendu_cyber_centre"].sum() == pytest.approx(100)
    assert ((communes["dist_cyber_centre_km"] <= 10) == (communes["couvert_cyber_centre"] == 1)).all()
    assert (out / "cyber_centres_exemple_rejets.csv").is_file()
    assert "couverture « surface »" in (out / "notes_methode.txt").read_text(encoding="utf-8").lower()


def test_cli_kind_column_and_missing_kind(tmp_path):
    path = tmp_path / "lieux.csv"
    path.write_text("commune;type\nArras;cyber-centre\nLens;Point d'accès\n", encoding="utf-8")
    result = runner.invoke(app, ["analyse", str(path), "-o", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(tmp_path / "a" / "equite.csv")["kind"].tolist() == ["broadband_access_point", "cyber_centre"]
    plain = tmp_path / "liste.csv"
    plain.write_text("commune\nArras\n", encoding="utf-8")
    result = runner.invoke(app, ["analyse", str(plain), "-o", str(tmp_path / "b")])
    assert result.exit_code == 2 and "--kind" in result.output
