"""Folders of outputs as transactions: complete old set or complete new set, a manifest, nothing clobbered."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import territorial
from territorial import _atomic, export, pipeline
from territorial._atomic import MANIFEST, STAGING, TEMPORARY, OutputFolder, read_manifest, recover, sha256
from territorial._errors import ArgumentError
from territorial.cli import app
from territorial.examples import CYBER_FILE, example_path

EXE = str(Path(sys.executable).parent / "territorial")


def consistent(folder: Path) -> dict[str, str]:
    """Every file the folder's manifest lists is there with its sha256; the listing."""
    listed = read_manifest(folder).get("fichiers", {})
    for name, digest in listed.items():
        assert (folder / name).is_file(), name
        assert sha256(folder / name) == digest, name
    return listed


def write(folder: Path, files: dict[str, str], **options) -> None:
    with OutputFolder(folder, command="essai", parameters={"n": len(files)}, **options) as staging:
        for name, text in files.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            (staging / name).write_text(text, encoding="utf-8")


def test_a_folder_is_switched_whole_with_its_manifest(tmp_path):
    out = tmp_path / "sorties"
    out.mkdir()
    (out / "notes_perso.txt").write_text("à moi", encoding="utf-8")
    write(out, {"a.csv": "1", "b.csv": "2", "sous/c.txt": "3"})
    manifest = read_manifest(out)
    assert sorted(consistent(out)) == ["a.csv", "b.csv", "sous/c.txt"]
    entry = manifest["ensembles"]["essai"]
    assert entry["commande"] == "essai" and entry["parametres"] == {"n": 3} and manifest["retires"] == []
    assert entry["fichiers"] == ["a.csv", "b.csv", "sous/c.txt"] and manifest["outil"] == "territorial"
    assert "python" in entry["versions"] and "geopandas" in entry["versions"]
    write(out, {"a.csv": "10"})  # a new run that no longer writes b.csv nor sous/c.txt
    assert consistent(out) == {"a.csv": sha256(out / "a.csv")}
    assert not (out / "b.csv").exists() and not (out / "sous" / "c.txt").exists()
    assert read_manifest(out)["retires"] == ["b.csv", "sous/c.txt"]
    assert (out / "notes_perso.txt").read_text(encoding="utf-8") == "à moi"  # never touched
    assert not (out / STAGING).exists()


def test_sets_of_one_folder_are_kept_apart(tmp_path):
    # two commands (or two output names) share a folder: each rerun retires only its own files
    write(tmp_path, {"a.csv": "1", "a_rejets.csv": "1"}, key="geocode a.csv")
    write(tmp_path, {"b.csv": "2", "b_couverture.csv": "2"}, key="site b.csv")
    write(tmp_path, {"a.csv": "3"}, key="geocode a.csv")  # no rejects this time
    assert sorted(consistent(tmp_path)) == ["a.csv", "b.csv", "b_couverture.csv"]
    assert not (tmp_path / "a_rejets.csv").exists() and read_manifest(tmp_path)["retires"] == ["a_rejets.csv"]
    # a file another set wrote moves to the set that writes it now; the emptied set disappears
    write(tmp_path, {"b.csv": "4", "b_couverture.csv": "4"}, key="export b.csv")
    sets = read_manifest(tmp_path)["ensembles"]
    assert sets.keys() == {"geocode a.csv", "export b.csv"}
    assert sets["export b.csv"]["fichiers"] == ["b.csv", "b_couverture.csv"]
    write(tmp_path, {"c.csv": "5"}, key="export b.csv")
    assert sorted(consistent(tmp_path)) == ["a.csv", "c.csv"]


def test_a_manifest_of_the_first_format_is_read_as_one_set(tmp_path):
    (tmp_path / "a.csv").write_text("1", encoding="utf-8")
    old = {"outil": "territorial", "commande": "territorial run", "fichiers": {"a.csv": sha256(tmp_path / "a.csv")}}
    (tmp_path / MANIFEST).write_text(json.dumps(old), encoding="utf-8")
    write(tmp_path, {"b.csv": "2"}, key="territorial run")
    assert sorted(consistent(tmp_path)) == ["b.csv"] and not (tmp_path / "a.csv").exists()


@pytest.mark.parametrize("text", ['{"fichiers": {}}', "pas du JSON", '{"outil": "territorial"}', "[]"])
def test_a_manifest_the_tool_did_not_write_is_never_replaced(tmp_path, text):
    (tmp_path / MANIFEST).write_text(text, encoding="utf-8")
    with pytest.raises(ArgumentError, match="manifeste.json exists and territorial did not write it"):
        write(tmp_path, {"a.csv": "1"})
    assert (tmp_path / MANIFEST).read_text(encoding="utf-8") == text
    assert sorted(p.name for p in tmp_path.iterdir()) == [MANIFEST]


def test_without_replace_an_existing_output_is_refused_before_any_work(tmp_path):
    write(tmp_path, {"a.csv": "1"})
    with pytest.raises(export.ExistingFileError, match="a.csv already exists.*--overwrite"):
        OutputFolder(tmp_path, command="essai", parameters={}, replace=False, expected=["a.csv"]).__enter__()
    with pytest.raises(export.ExistingFileError, match="a.csv already exists"):  # found at the switch too
        write(tmp_path, {"a.csv": "2"}, replace=False)
    assert (tmp_path / "a.csv").read_text(encoding="utf-8") == "1" and not (tmp_path / STAGING).exists()
    write(tmp_path, {"a.csv": "2"})
    assert (tmp_path / "a.csv").read_text(encoding="utf-8") == "2"


def test_a_file_the_tool_did_not_write_is_never_replaced(tmp_path):
    (tmp_path / "communes.csv").write_text("le tableau de quelqu'un", encoding="utf-8")
    with pytest.raises(ArgumentError, match="communes.csv exists and territorial did not write it"):
        write(tmp_path, {"communes.csv": "sortie", "autre.csv": "x"})
    assert (tmp_path / "communes.csv").read_text(encoding="utf-8") == "le tableau de quelqu'un"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["communes.csv"]  # nothing else written, no staging


def test_an_input_is_never_replaced_even_one_the_tool_wrote(tmp_path):
    write(tmp_path, {"communes.csv": "première sortie"})
    with pytest.raises(ArgumentError, match="communes.csv is one of the inputs"):
        write(tmp_path, {"communes.csv": "seconde"}, inputs=[tmp_path / "communes.csv"])
    assert (tmp_path / "communes.csv").read_text(encoding="utf-8") == "première sortie"
    consistent(tmp_path)


def test_an_error_during_the_work_leaves_the_previous_set(tmp_path):
    write(tmp_path, {"a.csv": "1"})
    with pytest.raises(RuntimeError), OutputFolder(tmp_path, command="essai", parameters={}) as staging:
        (staging / "a.csv").write_text("2", encoding="utf-8")
        raise RuntimeError("stopped half-way")
    assert (tmp_path / "a.csv").read_text(encoding="utf-8") == "1" and not (tmp_path / STAGING).exists()
    consistent(tmp_path)


def test_an_interrupted_switch_is_finished_or_discarded_by_the_next_command(tmp_path):
    write(tmp_path, {"a.csv": "1", "b.csv": "1"})
    # killed after staging was complete and one file moved: no manifest in the folder meanwhile
    staging = tmp_path / STAGING
    staging.mkdir()
    (staging / "b.csv").write_text("2", encoding="utf-8")
    listed = {"a.csv": sha256(tmp_path / "a.csv"), "b.csv": sha256(staging / "b.csv")}
    manifest = {"outil": "territorial", "fichiers": listed, "ensembles": {"essai": {"fichiers": sorted(listed)}}}
    (tmp_path / "a.csv").write_text("1", encoding="utf-8")
    (staging / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    (tmp_path / MANIFEST).unlink()
    (tmp_path / f"{TEMPORARY}a.123.csv").write_text("debris", encoding="utf-8")
    with OutputFolder(tmp_path, command="essai", parameters={}) as staging:  # the next command recovers first
        assert (tmp_path / "b.csv").read_text(encoding="utf-8") == "2"
        assert consistent(tmp_path) == manifest["fichiers"]
        (staging / "c.csv").write_text("3", encoding="utf-8")
    assert sorted(consistent(tmp_path)) == ["c.csv"] and not list(tmp_path.glob(f"{TEMPORARY}*"))
    # killed while staging: the incomplete set is dropped, the previous one kept
    (tmp_path / STAGING).mkdir()
    (tmp_path / STAGING / "c.csv").write_text("partiel", encoding="utf-8")
    write(tmp_path, {"c.csv": "4"})
    assert (tmp_path / "c.csv").read_text(encoding="utf-8") == "4"
    consistent(tmp_path)


def test_two_commands_never_write_into_one_folder_at_once(tmp_path):
    with OutputFolder(tmp_path, command="premier", parameters={}) as staging:
        (staging / "a.csv").write_text("1", encoding="utf-8")
        with pytest.raises(ArgumentError, match="another territorial command is writing into"):
            write(tmp_path, {"a.csv": "2"})
        assert (staging / "a.csv").is_file()  # the second did not discard the first's work
    assert (tmp_path / "a.csv").read_text(encoding="utf-8") == "1"
    write(tmp_path, {"a.csv": "3"})  # the lock ends with the first transaction
    assert consistent(tmp_path) == {"a.csv": sha256(tmp_path / "a.csv")}


def test_outputs_into_a_file_are_refused(tmp_path):
    (tmp_path / "fichier").write_text("x", encoding="utf-8")
    with pytest.raises(ArgumentError, match="is a file, not a folder"):
        write(tmp_path / "fichier", {"a.csv": "1"})


@pytest.mark.slow
def test_killing_run_leaves_a_consistent_folder_that_the_next_command_repairs(default_run, tmp_path):
    # a previous complete run in the folder, then a run killed in the middle of its work: the manifest's
    # files are all there with their sha256, and the next command's recovery leaves the complete set.
    # (Ctrl-C and errors inside the work: test_an_error_during_the_work_leaves_the_previous_set; a kill in
    # the middle of the switch: test_an_interrupted_switch_is_finished_or_discarded_by_the_next_command;
    # a whole second run into a folder: test_hardening.py::test_run_twice_gives_identical_outputs)
    out = tmp_path / "maps"
    shutil.copytree(default_run.folder, out)
    before = consistent(out)
    process = subprocess.Popen([EXE, "run", "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (out / STAGING).exists() and time.monotonic() < deadline:  # until it is writing its outputs
        time.sleep(0.1)
    time.sleep(3.0)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=120)
    assert (out / STAGING).exists()  # killed with its work half done
    assert consistent(out) in (before, {})  # the previous set, or (mid-switch) a folder that lists nothing yet
    recover(out)  # what the next command on the folder does first
    assert consistent(out) == before and not (out / STAGING).exists() and not list(out.glob(f"{TEMPORARY}*"))


# --------------------------------------------------------------------------- never clobber, through the CLI

runner = CliRunner()


def lieux(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("nom;commune;type\nA;Arras;cyber-centre\nB;Nullepart;cyber-centre\n", encoding="utf-8")
    return path


def test_an_output_that_is_an_input_is_refused(tmp_path):
    source = lieux(tmp_path / "lieux.csv")
    before = source.read_bytes()
    for options in (["-o", str(source)], ["-o", str(tmp_path / "ok.csv"), "--rejects", str(tmp_path / "ok.csv")]):
        result = runner.invoke(app, ["geocode", str(source), *options])
        assert result.exit_code == 2, result.output
        assert "is an input of this command" in result.output or "are the same file" in result.output
    assert source.read_bytes() == before and not (tmp_path / "ok.csv").exists()
    # analyse into the folder of its input, whose name is one the command writes
    source = lieux(tmp_path / "dossier" / "communes.csv")
    result = runner.invoke(app, ["analyse", str(source), "-o", str(source.parent), "--kind", "cyber_centre"])
    assert result.exit_code == 2 and "communes.csv" in result.output
    assert source.read_bytes() == before and sorted(p.name for p in source.parent.iterdir()) == ["communes.csv"]


def test_inputs_with_the_same_name_keep_all_their_rejected_rows(tmp_path):
    first, second = lieux(tmp_path / "a" / "sites.csv"), lieux(tmp_path / "b" / "sites.csv")
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyse", str(first), str(second), "-o", str(out), "--kind", "cyber_centre"])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.glob("*_rejets.csv")} == {"sites_rejets.csv", "b_sites_rejets.csv"}
    assert all(len(pd.read_csv(p)) == 1 for p in out.glob("*_rejets.csv"))  # one rejected row in each input
    assert sorted(consistent(out)) == sorted(p.name for p in out.iterdir() if p.name != MANIFEST)


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["analyse", "X", "-o", "O", "--radius", "cyber_centre=-5"], "--radius → cyber_centre = -5.0"),
        (["analyse", "X", "-o", "O", "--target", "cyber_centre=inf"], "--target → cyber_centre = inf"),
        (["analyse", "X", "-o", "O", "--detour", "0.5"], "--detour = 0.5"),
        (["site", "-o", "O/s.csv", "--k", "3", "--radius", "nan"], "--radius = nan"),
        (["site", "-o", "O/s.csv", "--share", "1.5"], "--share = 1.5"),
        (["points", "-o", "O/p.csv", "--synthetic", "10", "--radius", "-1"], "--radius = -1.0"),
    ],
)
def test_bad_numbers_on_the_command_line_are_named(tmp_path, command, message):
    source = lieux(tmp_path / "lieux.csv")
    args = [str(source) if a == "X" else a.replace("O", str(tmp_path / "out")) for a in command]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and message in result.output, result.output
    assert not (tmp_path / "out").exists()


def test_a_priority_for_a_territory_the_scheme_lacks_is_named(tmp_path):
    source = lieux(tmp_path / "lieux.csv")
    args = ["analyse", str(source), "-o", str(tmp_path / "out"), "--kind", "cyber_centre", "--priority", "Flandre=2"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "`priority` names territories the scheme does not have: ['Flandre']" in (
        result.output
    )
    assert not (tmp_path / "out" / "communes.csv").exists()


@pytest.mark.parametrize(
    ("code", "said", "exit_code"),
    [(errno.ENOSPC, "the disk is full", 1), (errno.EACCES, "permission denied", 2), (errno.EROFS, "read-only", 2)],
)
def test_system_problems_are_said_plainly(tmp_path, monkeypatch, code, said, exit_code):
    # injected where every output goes through (as root, a read-only folder would not stop the writes)
    def refuse(path, write):
        raise OSError(code, os.strerror(code), str(path))

    monkeypatch.setattr(_atomic, "atomic_write", refuse)
    monkeypatch.setattr(export, "_atomic", refuse)
    source = lieux(tmp_path / "lieux.csv")
    result = runner.invoke(app, ["geocode", str(source), "-o", str(tmp_path / "ok.csv")])
    assert result.exit_code == exit_code and said in result.output, result.output
    assert "ok.csv" in result.output and "were not changed" in result.output


@pytest.fixture
def small_disk(tmp_path):
    """A real 96 KB file system (tmpfs) mounted for the test, so that writes meet a real full disk."""
    mount = tmp_path / "petit_disque"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(
            f"mounting a tmpfs needs root ({done.stderr.decode(errors='replace').strip()}); "
            "test_system_problems_are_said_plainly says the same with an injected ENOSPC"
        )
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.slow
def test_a_full_disk_is_said_plainly_and_the_folder_keeps_its_files(small_disk):
    source = str(example_path(CYBER_FILE))
    assert runner.invoke(app, ["geocode", source, "-o", str(small_disk / "lieux.csv")]).exit_code == 0
    before = consistent(small_disk)
    commands = [
        *(["export", source, "-o", str(small_disk / f"couches{s}"), "--kind", "cyber_centre"] for s in EXPORTS),
        ["analyse", source, "-o", str(small_disk), "--kind", "cyber_centre"],
        ["run", "-o", str(small_disk / "run")],
    ]
    for command in commands:  # GDAL, SQLite and Python each meet the full disk in their own way
        result = runner.invoke(app, command)
        said = " ".join(result.output.split())
        assert result.exit_code == 1 and "the disk is full; free some space" in said, (command, said)
        assert "unexpected problem" not in said and f"error: {small_disk}" in said
        assert consistent(small_disk) == before and sorted(p.name for p in small_disk.iterdir()) == sorted(
            [*before, MANIFEST]
        ), command  # no staging, no temporary file, no empty folder left


EXPORTS = (".gpkg", ".shp", ".zip", ".geojson", ".fgb", ".csv")


# --------------------------------------------------------------------------- reruns, format by format


@pytest.fixture(scope="module")
def analysed():
    facilities = territorial.geocode_file(example_path(CYBER_FILE)).accepted.assign(kind="cyber_centre")
    return territorial.analyse(facilities, n_boot=9), facilities


def same_bytes(first: Path, second: Path) -> None:
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir()) and names
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


@pytest.mark.parametrize("suffix", [".gpkg", ".shp", ".zip", ".geojson", ".fgb", ".csv"])
def test_two_exports_give_the_same_bytes_whatever_the_format(analysed, tmp_path, suffix):
    analysis, facilities = analysed
    for folder in ("un", "deux"):
        territorial.export_analysis(analysis, facilities, tmp_path / folder / f"couverture{suffix}", excel_fr=True)
        time.sleep(1.1 if folder == "un" else 0)  # a second apart: a clock time in any file would show
    same_bytes(tmp_path / "un", tmp_path / "deux")


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".csv"])
def test_two_geocodings_give_the_same_bytes_whatever_the_format(tmp_path, suffix):
    for folder in ("un", "deux"):
        pipeline.geocode_to_files(example_path(CYBER_FILE), tmp_path / folder / f"lieux{suffix}")
        time.sleep(1.1 if folder == "un" else 0)
    same_bytes(tmp_path / "un", tmp_path / "deux")


def test_files_and_folders_reach_the_disk_before_the_manifest_lists_them(tmp_path, monkeypatch):
    synced: list[str] = []
    real = os.fsync

    def record(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        return real(fd)

    monkeypatch.setattr(os, "fsync", record)
    out = tmp_path / "out"
    write(out, {"a.csv": "1", "sous/b.csv": "2"})
    manifest_bytes = next(n for n, p in enumerate(synced) if Path(p).name.startswith(TEMPORARY) and p.endswith(".json"))
    assert synced[-1] == str(out)  # last: the folder, once the manifest is in place
    moved = synced[manifest_bytes:-1]
    assert str(out / "sous") in moved and str(out) in moved  # the moved files' folders, before the manifest
    # every file written through atomic_write is synced before its rename
    synced.clear()
    _atomic.atomic_write(tmp_path / "x.csv", lambda tmp: tmp.write_text("1", encoding="utf-8"))
    assert Path(synced[0]).name.startswith(TEMPORARY) and synced[1] == str(tmp_path)


# --------------------------------------------------------------------------- every writing command, one transaction


def test_every_command_that_writes_files_records_them_in_the_folder_manifest(tmp_path):
    source = str(example_path(CYBER_FILE))
    commands = {
        "geocode": ["geocode", source, "-o", "{o}/lieux.csv"],
        "export": ["export", source, "-o", "{o}/couches.shp", "--kind", "cyber_centre"],
        "site": ["site", "-o", "{o}/sites.csv", "--k", "2", "--map", "{o}/carte_sites.html"],
        "points": ["points", "-o", "{o}/points.csv", "--synthetic", "2000"],
        "programme": ["programme", "-o", "{o}"],
    }
    for name, command in commands.items():
        out = tmp_path / name
        result = runner.invoke(app, [a.replace("{o}", str(out)) for a in command])
        assert result.exit_code == 0, (name, result.output)
        listed = consistent(out)
        assert sorted(listed) == sorted(p.name for p in out.iterdir() if p.name != MANIFEST), name
        entry = next(iter(read_manifest(out)["ensembles"].values()))
        assert entry["commande"] == f"territorial {name}" and sorted(entry["fichiers"]) == sorted(listed), name
    shapefiles = {"couches_communes.shp", "couches_communes.dbf", "couches_champs.csv"}
    assert shapefiles <= set(consistent(tmp_path / "export"))


def test_two_commands_share_a_folder_and_each_rerun_touches_only_its_own_files(tmp_path):
    source = str(example_path(CYBER_FILE))
    for output in ("a.csv", "b.geojson", "a.csv"):  # the second geocoding to a.csv leaves b's files alone
        result = runner.invoke(app, ["geocode", source, "-o", str(tmp_path / output)])
        assert result.exit_code == 0, result.output
    assert sorted(consistent(tmp_path)) == ["a.csv", "a_rejets.csv", "b.geojson", "b_rejets.csv"]
    sets = sorted(read_manifest(tmp_path)["ensembles"])
    assert sets == ["territorial geocode a.csv", "territorial geocode b.geojson"]


def test_export_replaces_only_with_overwrite_and_never_a_users_file(tmp_path):
    source = str(example_path(CYBER_FILE))
    command = ["export", source, "-o", str(tmp_path / "couches.csv"), "--kind", "cyber_centre"]
    assert runner.invoke(app, command).exit_code == 0
    before = consistent(tmp_path)
    result = runner.invoke(app, command)  # again, without --overwrite
    assert result.exit_code == 2 and "already exists" in result.output and "--overwrite" in result.output
    assert consistent(tmp_path) == before
    assert runner.invoke(app, [*command, "--overwrite"]).exit_code == 0
    assert consistent(tmp_path) == before  # the same bytes again
    # a user's file under a name the export derives from -o (one file per layer): refused, nothing written
    (tmp_path / "autre_communes.csv").write_text("mon tableau", encoding="utf-8")
    result = runner.invoke(app, [*command[:3], str(tmp_path / "autre.csv"), "--kind", "cyber_centre", "--overwrite"])
    assert result.exit_code == 2 and "autre_communes.csv exists and territorial did not write it" in result.output
    assert (tmp_path / "autre_communes.csv").read_text(encoding="utf-8") == "mon tableau"
    assert consistent(tmp_path) == before and not list(tmp_path.glob("autre_*.csv"))[1:]


@pytest.fixture(scope="module")
def shapefile_export(tmp_path_factory):
    """A complete multi-file export (Shapefile sets) and the command that made it."""
    out = tmp_path_factory.mktemp("export") / "couches"
    command = [EXE, "export", str(example_path(CYBER_FILE)), "-o", str(out / "c.shp"), "--kind", "cyber_centre"]
    subprocess.run(command, check=True, capture_output=True)
    return out, command


@pytest.mark.slow
@pytest.mark.parametrize("number", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM])
def test_killing_a_multi_file_export_leaves_the_previous_set_or_the_new_one(shapefile_export, tmp_path, number):
    made, command = shapefile_export
    out = tmp_path / "couches"
    shutil.copytree(made, out)
    command = [str(out / "c.shp") if a == str(made / "c.shp") else a for a in command]
    before = consistent(out)
    process = subprocess.Popen([*command, "--overwrite"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (out / STAGING).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # into its work
    process.send_signal(number)
    assert process.wait(timeout=120) != 0
    if number != signal.SIGKILL:  # Ctrl-C and SIGTERM clean up: the previous set, whole, and nothing else
        assert not (out / STAGING).exists() and not list(out.glob(f"{TEMPORARY}*"))
        assert consistent(out) == before
    recover(out)  # what the next command on the folder does first
    assert consistent(out) == before and sorted(p.name for p in out.iterdir()) == sorted([*before, MANIFEST])


@pytest.mark.slow
@pytest.mark.parametrize(
    "command",
    [
        ["site", "-o", "{o}/sites.csv", "--k", "3", "--map", "{o}/carte_sites.html"],
        ["points", "-o", "{o}/points.csv", "--synthetic", "3000"],
        ["programme", "-o", "{o}"],
        ["map", "{x}", "-o", "{o}/carte.html", "--kind", "cyber_centre", "--self-contained"],
    ],
    ids=lambda command: command[0],
)
def test_two_runs_of_a_command_give_the_same_bytes(tmp_path, command):
    for folder in ("un", "deux"):
        out = str(tmp_path / folder)
        args = [a.replace("{o}", out).replace("{x}", str(example_path(CYBER_FILE))) for a in command]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        time.sleep(1.1 if folder == "un" else 0)
    same_bytes(tmp_path / "un", tmp_path / "deux")
