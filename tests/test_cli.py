"""The command line, through Typer's runner and through the installed console script."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import territorial
from territorial import cli, pipeline
from territorial.cli import app

runner = CliRunner()


def test_territories_prints_the_five_territories_and_the_region():
    result = runner.invoke(app, ["territories"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    names = [line.split("  ")[0] for line in lines[2:7]]
    assert names == ["Métropole", "Littoral", "Bassin Minier", "Sud Nord", "Artois-Ternois"]
    assert lines[-1].startswith("Région") and "1\u202f534" in lines[-1]


def test_territories_csv(tmp_path):
    result = runner.invoke(app, ["territories", "--csv"])
    assert result.exit_code == 0
    path = tmp_path / "t.csv"
    path.write_text(result.output, encoding="utf-8")
    table = pd.read_csv(path, sep=";")
    assert list(table["territoire"]) == ["Métropole", "Littoral", "Bassin Minier", "Sud Nord", "Artois-Ternois"]
    assert table["n_communes"].sum() == 1534


def test_scheme_missing_a_commune_fails_with_its_name(tmp_path, communes):
    table = communes.loc[communes["code_insee"] != "62041", ["code_insee", "territoire"]]
    path = tmp_path / "scheme.csv"
    table.to_csv(path, sep=";", index=False, encoding="cp1252")
    result = runner.invoke(app, ["territories", "--scheme", str(path)])
    assert result.exit_code == 1
    assert "62041 Arras" in result.output


def test_missing_scheme_file_is_a_usage_error(tmp_path):
    result = runner.invoke(app, ["territories", "--scheme", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_unknown_option_is_a_usage_error():
    assert runner.invoke(app, ["territories", "--frobnicate"]).exit_code == 2


@pytest.mark.slow
def test_run_writes_the_main_outputs(default_run):
    folder, output = default_run.folder, default_run.output
    for name in (
        "carte.html",
        "rapport.html",
        "communes.csv",
        "territoires.csv",
        "equite.csv",
        "sous_desservies.csv",
        "lorenz.png",
        "carte_dist_cyber_centre_km.png",
        "cyber_centres_exemple_rejets.csv",
        "couverture.gpkg",
        "couverture_gpkg_LISEZMOI.txt",
        "programme.csv",
        "controle_source.csv",
        "projets_controle.csv",
        "programme_territoires.csv",
        "evolution.csv",
        "sites_proposes.csv",
        "sites_couverture.csv",
        "carte_sites.html",
    ):
        assert (folder / name).is_file(), name
        assert str(folder / name) in output
    assert "Bassin Minier" in (folder / "carte.html").read_text(encoding="utf-8")
    page = (folder / "carte.html").read_text(encoding="utf-8")
    for label in ("cyber-centres", "villes numériques", "sites de télémédecine", "lieux de formation permanente"):
        assert f"Projets financés : {label} (" in page, label
    assert "Programme de la priorité 10" in (folder / "rapport.html").read_text(encoding="utf-8")
    layers = dict(__import__("pyogrio").list_layers(folder / "couverture.gpkg"))
    # one layer per system of priority 10 that the example projects fund (every one of them)
    assert {f"projets_{kind}" for kind in territorial.kinds.systems()} <= set(layers)


@pytest.mark.slow
def test_console_script_runs_from_any_directory(tmp_path):
    beside = Path(sys.executable).parent / "territorial"
    exe = str(beside) if beside.is_file() else shutil.which("territorial")
    if exe is None:
        pytest.skip("the territorial console script is not on PATH (package not installed in this environment)")
    # the embedded geography and scheme are found wherever the command starts; the whole run from
    # another directory is test_hardening.py::test_run_twice_gives_identical_outputs
    done = subprocess.run([exe, "territories"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Bassin Minier" in done.stdout and "1 534" in done.stdout.replace("\u202f", " ").replace("\xa0", " ")


def test_python_dash_m_territorial_is_the_command(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "territorial", "territories"], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    assert "Bassin Minier" in done.stdout


def _broken(*args, **kwargs):
    raise RuntimeError("a bug, not a user error")


def test_an_unexpected_error_is_said_plainly_and_debug_shows_it(monkeypatch, capsys):
    monkeypatch.setattr(pipeline, "territories", _broken)
    monkeypatch.setattr(sys, "argv", ["territorial", "territories"])
    with pytest.raises(SystemExit) as stopped:
        cli.main()
    assert stopped.value.code == 1
    said = capsys.readouterr().err
    assert "unexpected problem (RuntimeError: a bug, not a user error)" in said
    assert "territorial --debug COMMAND" in said and "Traceback" not in said
    # --debug (an option of the whole invocation, before or after the command) lets the error through
    for argv in (["territorial", "--debug", "territories"], ["territorial", "territories", "--debug"]):
        monkeypatch.setattr(sys, "argv", argv)
        with pytest.raises(RuntimeError, match="a bug"):
            cli.main()
