"""Beyond one machine: the Dask engine gives the in-memory results; other geographies."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from typer.testing import CliRunner

import territorial
from territorial import geography, scale
from territorial._errors import ArgumentError
from territorial.cli import app
from territorial.examples import ACCESS_FILE, CYBER_FILE, example_path

runner = CliRunner()
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def client():
    with scale.dask_client(workers=2) as dask_client:  # a real local cluster of two worker processes
        yield dask_client


def test_assignment_matches_where_points_were_drawn():
    points = scale.synthetic_points(200_000, seed=5, partition_size=50_000)
    assigned = scale.assign_points(points)
    same = (assigned["code_insee"].astype(str) == points["commune_tiree"].astype(str)).mean()
    assert same > 0.9999  # the rest lie on a boundary shared with a neighbour
    assert assigned["code_insee"].notna().all()
    territories = territorial.communes().set_index("code_insee")["territoire"]
    assert (assigned["territoire"].astype(str) == assigned["code_insee"].astype(str).map(territories)).all()


@pytest.mark.slow
def test_dask_engine_gives_the_in_memory_results(client):
    n, size = 300_000, 60_000
    memory = scale.synthetic_points(n, seed=9, partition_size=size)
    lazy = scale.synthetic_points(n, seed=9, partition_size=size, engine="dask")
    assert lazy.npartitions == 5
    dask_assigned = scale.assign_points(lazy, engine="dask").compute().reset_index(drop=True)
    memory_assigned = scale.assign_points(memory).reset_index(drop=True)
    pd.testing.assert_frame_equal(dask_assigned, memory_assigned)
    facilities = territorial.geocode_file(example_path(ACCESS_FILE)).accepted
    pd.testing.assert_frame_equal(
        scale.point_coverage(lazy, facilities, radius_km=3, engine="dask"),
        scale.point_coverage(memory, facilities, radius_km=3),
    )


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as Python objects with None for missing values (Dask stores them as Arrow strings)."""
    text = [c for c in frame.columns if frame[c].dtype.kind not in "fiub"]
    out = frame.copy()
    out[text] = out[text].astype(object).where(out[text].notna(), None)
    return out


def test_geocoding_by_partition_matches(client):
    import dask.dataframe as dd

    rows = territorial.read_input(example_path(CYBER_FILE)).drop(columns="id")
    table = pd.concat([rows] * 60, ignore_index=True)  # ~5,000 rows
    memory = scale.geocode_partitions(table)
    partitioned = scale.geocode_partitions(dd.from_pandas(table, npartitions=4), engine="dask").compute()
    pd.testing.assert_frame_equal(plain(partitioned), plain(memory))
    assert memory["input_row"].tolist() == list(range(1, len(table) + 1))
    whole = territorial.geocode(table)
    assert (
        memory["geocode_status"].value_counts().sort_index()
        == pd.concat([whole.accepted["geocode_status"], whole.rejected["geocode_status"]]).value_counts().sort_index()
    ).all()


@pytest.mark.slow
def test_points_cli_engines_agree(tmp_path):
    args = [
        "points",
        "--synthetic",
        "120000",
        "--partition-rows",
        "40000",
        "--facilities",
        str(example_path(CYBER_FILE)),
        "--radius",
        "5",
    ]
    memory = runner.invoke(app, [*args, "-o", str(tmp_path / "m.csv")])
    assert memory.exit_code == 0, memory.output
    dask = runner.invoke(app, [*args, "--engine", "dask", "-o", str(tmp_path / "d.csv")])
    assert dask.exit_code == 0, dask.output
    assert (tmp_path / "m.csv").read_bytes() == (tmp_path / "d.csv").read_bytes()
    table = pd.read_csv(tmp_path / "m.csv", dtype={"code_insee": str})
    assert table["points"].sum() == 120_000 and len(table) >= 1534


@pytest.mark.slow
def test_points_cli_reads_a_file(tmp_path):
    points = scale.synthetic_points(5000, seed=2)
    path = tmp_path / "locaux.csv"
    pd.DataFrame({"id": range(5000), "X": points["x"].round(1), "Y": points["y"].round(1)}).to_csv(
        path, sep=";", index=False
    )
    for engine in ("memory", "dask"):
        out = tmp_path / f"{engine}.csv"
        result = runner.invoke(app, ["points", str(path), "--engine", engine, "-o", str(out)])
        assert result.exit_code == 0, result.output
    assert (tmp_path / "memory.csv").read_bytes() == (tmp_path / "dask.csv").read_bytes()


@pytest.fixture
def pas_de_calais(tmp_path):
    """A geography of one département, cut from the embedded one (the build script's own layers)."""
    path = tmp_path / "pdc.gpkg"
    source = geography.geodata_path()
    keep = set(territorial.communes(scheme=None).query("departement == '62'")["code_insee"])
    for layer in ("communes", "mairies", "gazetteer", "communes_france"):
        frame = pyogrio.read_dataframe(source, layer=layer)
        if "code_insee" in frame:
            frame = frame[frame["code_insee"].isin(keep)]
        pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG", append=path.exists())
    communes = pyogrio.read_dataframe(path, layer="communes")
    territories = communes.dissolve(
        "departement_nom", aggfunc={"population": "sum", "area_km2": "sum", "code_insee": "count"}
    ).reset_index()
    territories = territories.rename(columns={"departement_nom": "territoire", "code_insee": "n_communes"})
    territories["densite"] = territories["population"] / territories["area_km2"]
    pyogrio.write_dataframe(territories, path, layer="territoires", driver="GPKG", append=True)
    meta = pyogrio.read_dataframe(source, layer="metadonnees")
    meta = meta[~meta["cle"].str.startswith(("schema", "zone"))]
    extra = pd.DataFrame(
        {
            "cle": ["schema_defaut", "zone_nom", "zone_hors", "zone_de"],
            "valeur": ["departement", "département 62", "hors de la zone étudiée", "de la zone étudiée"],
        }
    )
    pyogrio.write_dataframe(pd.concat([meta, extra]), path, layer="metadonnees", driver="GPKG", append=True)
    yield path


def test_another_geography(pas_de_calais):
    with geography.using(pas_de_calais) as path:
        assert path == pas_de_calais
        assert len(territorial.communes()) == 887
        assert territorial.territories()["territoire"].tolist() == ["Pas-de-Calais"]
        result = territorial.geocode(pd.DataFrame({"commune": ["Arras", "Lille"]}))
        assert result.accepted["code_insee"].tolist() == ["62041"]
        assert result.rejected["geocode_status"].tolist() == ["outside_region"]
        assert "n'est pas une commune de la zone étudiée" in result.rejected["geocode_note"].iloc[0]
    assert len(territorial.communes()) == 1534  # the block ended: the default geography again


def test_a_geography_chosen_in_one_thread_stays_there(pas_de_calais):
    # the choice is a context variable, not a module switch: another thread still sees the default
    import threading

    seen = {}
    with geography.using(pas_de_calais):
        other = threading.Thread(target=lambda: seen.update(n=len(territorial.communes())))
        other.start()
        other.join()
        assert len(territorial.communes()) == 887
    assert seen["n"] == 1534


def test_geography_option_of_the_cli(pas_de_calais, tmp_path):
    result = runner.invoke(app, ["--geography", str(pas_de_calais), "territories"])
    assert result.exit_code == 0, result.output
    assert "Pas-de-Calais" in result.output and "887" in result.output
    missing = runner.invoke(app, ["--geography", str(tmp_path / "none.gpkg"), "territories"])
    assert missing.exit_code == 2 and "no such geography" in missing.output
    assert len(territorial.communes()) == 1534  # the option lasted as long as its command


@pytest.mark.slow
def test_build_script_makes_a_three_departement_geography(tmp_path):
    """The build script downloads the pinned packages from their registries and cuts 59, 62 and 80."""
    out = tmp_path / "hauts.gpkg"
    done = subprocess.run(
        [sys.executable, str(REPO / "geodata" / "build.py"), "--departements", "59", "62", "80", "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    with geography.using(out):
        communes = territorial.communes()
        assert set(communes["departement"]) == {"59", "62", "80"}
        assert territorial.territories()["territoire"].tolist() == ["Nord", "Pas-de-Calais", "Somme"]
        assert territorial.geocode(pd.DataFrame({"commune": ["Amiens"]})).accepted["code_insee"].tolist() == ["80021"]
        halls = territorial.town_halls().set_index("code_insee").geometry
        assert communes.set_index("code_insee").geometry.contains(halls).all()


def test_first_row_numbers_a_chunk_of_a_larger_file():
    table = pd.DataFrame({"id": ["a", "a", "b"], "commune": ["Arras", "Lens", "Douai"]})
    result = territorial.geocode(table, first_row=101)
    assert result.accepted["input_row"].tolist() == [101, 102, 103]
    assert "lignes 101, 102" in result.accepted["geocode_note"].iloc[0]
    assert result.duplicate_ids["input_rows"].tolist() == ["101;102"]
    with pytest.raises(ArgumentError, match="first_row"):
        territorial.geocode(table, first_row=0)


@pytest.mark.slow
def test_geocode_cli_dask_streams_the_files_of_the_memory_path(tmp_path):
    rows = pd.read_csv(example_path(CYBER_FILE), sep=";", dtype=str, keep_default_na=False, encoding="cp1252")
    table = pd.concat([rows] * 30, ignore_index=True)  # ~2,500 rows, a few rejected in every copy
    table["id"] = [f"R{i}" for i in range(len(table))]
    table.loc[[9, 11], "id"] = "SAME_PARTITION_1"  # rows 10 and 12 of the file
    table.loc[[2000, 2003], "id"] = "SAME_PARTITION_2"  # numbered within a later partition
    table.loc[[0, len(table) - 1], "id"] = "ACROSS"  # first and last partitions
    source = tmp_path / "grand.csv"
    table.to_csv(source, sep=";", index=False, encoding="utf-8")

    memory = runner.invoke(app, ["geocode", str(source), "-o", str(tmp_path / "m.csv")])
    assert memory.exit_code == 0, memory.output
    dask = runner.invoke(
        app, ["geocode", str(source), "-o", str(tmp_path / "d.csv"), "--engine", "dask", "--partition-rows", "400"]
    )
    assert dask.exit_code == 0, dask.output
    assert "ACROSS" in dask.output and "SAME_PARTITION_2" in dask.output
    n_partitions = int(dask.output.split(" en ")[1].split(" partition")[0])
    assert n_partitions >= 4
    assert (tmp_path / "m_rejets.csv").read_bytes() == (tmp_path / "d_rejets.csv").read_bytes()
    assert (tmp_path / "m.csv").read_bytes() == (tmp_path / "d.csv").read_bytes()
    accepted = pd.read_csv(tmp_path / "d.csv", dtype=str, keep_default_na=False)
    notes = accepted.set_index("id")["geocode_note"]
    assert len(accepted) > 2000
    assert f"lignes 1, {len(table)}" in notes["ACROSS"].iloc[0]
    assert "lignes 2001, 2004" in notes["SAME_PARTITION_2"].iloc[0]


def test_geocode_cli_dask_refuses_what_it_cannot_stream(tmp_path):
    source = example_path(ACCESS_FILE)
    result = runner.invoke(app, ["geocode", str(source), "-o", str(tmp_path / "a.gpkg"), "--engine", "dask"])
    assert result.exit_code == 2 and "end the name in .csv" in re.sub(r"[│╭╮╰╯─\s]+", " ", result.output)
    layer = tmp_path / "points.geojson"
    territorial.geocode_file(source).accepted.to_file(layer)
    result = runner.invoke(app, ["geocode", str(layer), "-o", str(tmp_path / "a.csv"), "--engine", "dask"])
    message = re.sub(r"[│╭╮╰╯─\s]+", " ", result.output)
    assert result.exit_code == 2 and "delimited text" in message and layer.name in message
    assert not (tmp_path / "a.csv").exists()
    columns = tmp_path / "sans_lieu.csv"
    columns.write_text("a;b\n1;2\n", encoding="utf-8")
    result = runner.invoke(app, ["geocode", str(columns), "-o", str(tmp_path / "a.csv"), "--engine", "dask"])
    message = re.sub(r"[│╭╮╰╯─\s]+", " ", result.output)
    assert result.exit_code == 2 and "no location column" in message and columns.name in message
    assert "Traceback" not in result.output and not (tmp_path / "a.csv").exists()


def test_geocode_csv_streams_without_a_cluster(tmp_path):
    """No Dask client: partitions are geocoded one after the other in this process (a fresh one, to be sure)."""
    source = example_path(ACCESS_FILE)
    code = (
        "import sys; from territorial import scale; "
        "s = scale.geocode_csv(sys.argv[1], accepted=sys.argv[2], rejected=sys.argv[3], partition_rows=40); "
        "print(s.partitions, s.n_input, s.n_rejected)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(source), str(tmp_path / "a.csv"), str(tmp_path / "r.csv")],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    partitions, n_input, n_rejected = map(int, done.stdout.split())
    whole = territorial.geocode_file(source)
    assert partitions >= 3 and n_input == whole.n_input and n_rejected == len(whole.rejected)
    memory = runner.invoke(app, ["geocode", str(source), "-o", str(tmp_path / "m.csv")])
    assert memory.exit_code == 0, memory.output
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "m.csv").read_bytes()
    assert (tmp_path / "r.csv").read_bytes() == (tmp_path / "m_rejets.csv").read_bytes()
