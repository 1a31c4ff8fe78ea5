"""The pipeline's functions of files, called as a notebook would (the CLI is a thin face on them)."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from territorial import geography, pipeline
from territorial._errors import ArgumentError, InputFileError
from territorial.cli import app
from territorial.config import InputLayer
from territorial.examples import CYBER_FILE, example_path


def test_geocode_to_files_writes_both_files_and_returns_the_strict_error(tmp_path):
    source = tmp_path / "lieux.csv"
    source.write_text("nom;commune\nA;Arras\nB;Nullepart-sur-Mer\n", encoding="utf-8")
    steps = []
    done = pipeline.geocode_to_files(source, tmp_path / "ok.csv", strict=True, progress=steps.append)
    assert done.rejected == tmp_path / "ok_rejets.csv" == pipeline.rejects_path(tmp_path / "ok.csv")
    assert pd.read_csv(done.accepted, sep=None, engine="python")["code_insee"].astype(str).tolist() == ["62041"]
    assert len(pd.read_csv(done.rejected, sep=None, engine="python")) == 1
    assert done.error is not None and "rejected" in str(done.error)
    assert steps == ["lecture et géocodage de lieux.csv", "écriture de 2 lignes"]


def test_analyse_files_writes_the_tables_and_each_inputs_rejects(tmp_path):
    layer = InputLayer(path=example_path(CYBER_FILE), kind="Cyber-centre")
    done = pipeline.analyse_files([layer], tmp_path, radii_km={"Cyber-centre": 4})
    assert done.analysis.radii_km == {"cyber_centre": 4.0}  # kinds written any way are the same kind
    names = {p.name for p in done.written}
    assert {"communes.csv", "territoires.csv", "equite.csv", "notes_methode.txt"} <= names
    assert (tmp_path / f"{example_path(CYBER_FILE).stem}_rejets.csv").is_file()
    assert "Rayons de couverture : cyber-centres : 4,0 km." in (tmp_path / "notes_methode.txt").read_text("utf-8")


def test_the_pipeline_refuses_contradictory_options_before_reading_anything(tmp_path):
    with pytest.raises(ArgumentError, match="either `k`"):
        pipeline.site_to_files(tmp_path / "s.csv", k=3, share=0.9, existing=tmp_path / "absent.csv")
    with pytest.raises(ArgumentError, match="either `source`"):
        pipeline.points_to_file(tmp_path / "p.csv", facilities=tmp_path / "absent.csv")
    with pytest.raises(ArgumentError, match="`share` is solved exactly"):
        pipeline.site_to_files(tmp_path / "s.csv", share=0.9, solver="heuristic", existing=tmp_path / "absent.csv")
    with pytest.raises(ArgumentError, match="`engine` must be one of"):
        pipeline.points_to_file(tmp_path / "p.csv", synthetic=10, engine="Dask", facilities=tmp_path / "absent.csv")
    with pytest.raises(ArgumentError, match="end the name in .csv"):
        pipeline.geocode_on_dask(tmp_path / "absent.csv", accepted=tmp_path / "a.gpkg", rejected=tmp_path / "r.csv")
    with pytest.raises(ArgumentError, match="not called from Dask workers"):
        pipeline.geocode_on_dask(
            tmp_path / "x.csv", accepted=tmp_path / "a.csv", rejected=tmp_path / "r.csv", online=True
        )
    assert list(tmp_path.iterdir()) == []


def test_a_geography_that_is_not_one_is_named(tmp_path):
    fake = tmp_path / "faux.gpkg"
    fake.write_bytes(b"not a geopackage")
    result = CliRunner().invoke(app, ["--geography", str(fake), "territories"])
    assert result.exit_code == 2 and "is not a territorial geography" in result.output
    with pytest.raises(InputFileError, match="faux.gpkg is not a territorial geography .*geodata/build.py"):
        with geography.using(fake):
            pass
    with pytest.raises(FileNotFoundError, match="no such geography"):
        with geography.using(tmp_path / "absent.gpkg"):
            pass
