"""Hostile and broken inputs through the real console script, security guards, determinism."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon
from typer.testing import CliRunner

import territorial
from territorial import InputFileError
from territorial.cli import _undecodable, app
from territorial.examples import CYBER_FILE, example_path
from territorial.export import neutralise_formulas, write_table
from territorial.scenario import load_scenario

EXE = str(Path(sys.executable).parent / "territorial")
LILLE_L93 = (704_500.0, 7_059_970.0)


def run_cli(*args, cwd) -> subprocess.CompletedProcess:
    if not Path(EXE).is_file():
        pytest.fail("the territorial console script is missing next to the interpreter; install the package")
    return subprocess.run([EXE, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=600)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def shapefile(folder: Path, *, prj: bool = True) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    gpd.GeoDataFrame({"nom": ["A"]}, geometry=[Point(*LILLE_L93)], crs=2154).to_file(folder / "points.shp")
    if not prj:
        (folder / "points.prj").unlink()
    return sorted(folder.iterdir())


def zipped(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return path


def case_files(tmp: Path) -> dict[str, tuple[Path, list[str], int, str]]:
    """name -> (input, extra arguments, expected exit code, expected words in the message)."""
    cases = {
        "empty": (write(tmp / "vide.csv", b""), [], 2, "is empty"),
        "header only": (write(tmp / "entete.csv", b"commune;code_postal\r\n"), [], 2, "no data rows"),
        "binary": (write(tmp / "binaire.csv", bytes(range(256)) * 40), [], 2, "binary file"),
        "wrong delimiter": (
            write(tmp / "delim.csv", b"commune;code_postal\nLille;59000\n"),
            ["--sep", ","],
            2,
            "no location column recognised",
        ),
        "unterminated quote": (
            write(tmp / "guillemet.csv", b'commune;code_postal\n"Lille;59000\nArras;62000\n'),
            [],
            2,
            "quote",
        ),
        "too many fields": (
            write(tmp / "champs.csv", b"commune;code_postal\nLille;59000;x;y\n"),
            [],
            2,
            "more fields than the header",
        ),
        "missing file": (tmp / "absent.csv", [], 2, "no such file"),
        "unsupported": (write(tmp / "tableau.ods", b"PK\x03\x04 not really"), [], 2, "unsupported file type"),
    }
    lines = b"commune;code_postal\n" + "Béthune;62400\n".encode("cp1252") + "Hénin-Beaumont;62110\n".encode()
    cases["mixed encodings"] = (write(tmp / "mixte.csv", lines), [], 0, "2 acceptées")
    cases["duplicate and short"] = (
        write(tmp / "doublons.csv", b"commune;commune;code_postal\nLille;Roubaix\n"),
        [],
        0,
        "1 lignes lues",
    )
    cases["absurd coordinates"] = (
        write(tmp / "coords.csv", b"nom;latitude;longitude\na;inf;3\nb;nan;nan\nc;1e308;-1e308\nd;50,63;3,06\n"),
        [],
        0,
        "4 lignes lues : 1 acceptées, 3 rejetées",
    )
    bowtie = Polygon([(704_000, 7_059_000), (705_000, 7_060_000), (705_000, 7_059_000), (704_000, 7_060_000)])
    layer = gpd.GeoDataFrame(
        {"nom": ["noeud", "vide", "point"]}, geometry=[bowtie, Polygon(), Point(*LILLE_L93)], crs=2154
    )
    layer.to_file(tmp / "geometries.geojson")
    cases["invalid and empty geometries"] = (tmp / "geometries.geojson", [], 0, "3 lignes lues")
    crs_member = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}},
        "features": [
            {
                "type": "Feature",
                "properties": {"nom": "x"},
                "geometry": {"type": "Point", "coordinates": list(LILLE_L93)},
            }
        ],
    }
    cases["GeoJSON with a CRS member"] = (
        write(tmp / "l93.geojson", json.dumps(crs_member).encode()),
        [],
        0,
        "1 acceptées",
    )
    shapefile(tmp / "sans_prj", prj=False)
    cases["Shapefile without .prj"] = (tmp / "sans_prj" / "points.shp", [], 2, "--crs EPSG:2154")
    cases["Shapefile without .prj, CRS given"] = (
        tmp / "sans_prj" / "points.shp",
        ["--crs", "EPSG:2154"],
        0,
        "1 acceptées",
    )
    parts = {f"donnees/{p.name}": p.read_bytes() for p in shapefile(tmp / "zip_src")}
    cases["zip with nested and extra files"] = (
        zipped(tmp / "niche.zip", {**parts, "LISEZMOI.txt": b"hello"}),
        [],
        0,
        "1 acceptées",
    )
    cases["zip path traversal"] = (
        zipped(tmp / "evasion.zip", {"../points.shp": b"x"}),
        [],
        2,
        "outside its own folder",
    )
    cases["zip bomb"] = (zipped(tmp / "bombe.zip", {"points.shp": b"\0" * 60_000_000}), [], 2, "zip bomb")
    return cases


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("matrix")
    return tmp, case_files(tmp)


CASES = [
    "empty",
    "header only",
    "binary",
    "wrong delimiter",
    "unterminated quote",
    "too many fields",
    "missing file",
    "unsupported",
    "mixed encodings",
    "duplicate and short",
    "absurd coordinates",
    "invalid and empty geometries",
    "GeoJSON with a CRS member",
    "Shapefile without .prj",
    "Shapefile without .prj, CRS given",
    "zip with nested and extra files",
    "zip path traversal",
    "zip bomb",
]


@pytest.mark.parametrize("case", CASES)
def test_bad_input_matrix_geocode(matrix, case):
    tmp, cases = matrix
    source, extra, code, words = cases[case]
    out = tmp / f"out_{CASES.index(case)}.csv"
    done = run_cli("geocode", source, "-o", out, *extra, cwd=tmp)
    text = done.stdout + done.stderr
    assert "Traceback" not in text
    assert done.returncode == code, text
    assert words in text
    if code == 2:
        assert source.name in done.stderr  # the message names the file
        assert not out.exists()  # nothing half-written


@pytest.mark.parametrize(
    "command",
    [
        ["analyse", "-o", "dossier"],
        ["map", "-o", "carte.html"],
        ["export", "-o", "export.gpkg"],
        ["site", "--k", "2", "-o", "s.csv", "--existing"],
    ],
)
def test_every_reading_command_reports_bad_files(matrix, command):
    tmp, cases = matrix
    binary = cases["binary"][0]
    args = [*command, binary] if command[0] == "site" else [command[0], binary, *command[1:]]
    done = run_cli(*args, cwd=tmp)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert binary.name in done.stderr and "binary file" in done.stderr


@pytest.mark.slow
def test_a_million_rows(tmp_path):
    communes = territorial.communes(scheme=None)
    names = communes["nom"].sample(1_000_000, replace=True, random_state=4).to_numpy()
    postal = communes.drop_duplicates("nom").set_index("nom")["codes_postaux"].str.split(";").str[0]
    frame = pd.DataFrame({"commune": names, "code_postal": postal.reindex(names).to_numpy()})
    path = tmp_path / "million.csv"
    frame.to_csv(path, sep=";", index=False)
    done = run_cli("geocode", path, "-o", tmp_path / "million_out.csv", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "1 000 000 lignes lues" in done.stdout.replace("\u202f", " ")
    out = pd.read_csv(tmp_path / "million_out.csv", usecols=["input_row"])
    rejects = pd.read_csv(tmp_path / "million_out_rejets.csv", usecols=["input_row"])
    assert len(out) + len(rejects) == 1_000_000


def test_unexpected_errors_show_no_traceback_unless_debug(tmp_path):
    scenario = tmp_path / "s.toml"  # a directory where a file is expected trips the readers
    (tmp_path / "dossier.csv").mkdir()
    scenario.write_text("[[inputs]]\npath = 'dossier.csv'\nkind = 'cyber_centre'\n", encoding="utf-8")
    done = run_cli("run", scenario, "-o", tmp_path / "o", cwd=tmp_path)
    assert done.returncode in (1, 2) and "Traceback" not in done.stderr and "error:" in done.stderr


def test_formulas_are_neutralised_for_excel(tmp_path):
    frame = pd.DataFrame(
        {"nom": ["=cmd|' /C calc'!A0", "+33 1 23", "@SUM(A1)", "-5", "Lille", "-2,5"], "valeur": [1, 2, 3, -5, 6, 7]}
    )
    safe = neutralise_formulas(frame)
    assert safe["nom"].tolist() == ["'=cmd|' /C calc'!A0", "'+33 1 23", "'@SUM(A1)", "-5", "Lille", "-2,5"]
    assert safe["valeur"].tolist() == [1, 2, 3, -5, 6, 7]
    write_table(frame, tmp_path / "excel.csv", excel_fr=True)
    assert "'=cmd" in (tmp_path / "excel.csv").read_text(encoding="utf-8-sig")
    write_table(frame, tmp_path / "plain.csv")
    assert "'=cmd" not in (tmp_path / "plain.csv").read_text(encoding="utf-8")


def test_formula_headers_and_line_breaks_are_neutralised_for_excel(tmp_path):
    # a header is a cell too; a value with a line break stays in its quoted cell, so no formula starts a line
    frame = pd.DataFrame({'=HYPERLINK("http://x")': ["a"], "note": ["ligne\r=1+1\nsuite"], "-3": ["-3"]})
    write_table(frame, tmp_path / "excel.csv", excel_fr=True)
    rows = list(csv.reader((tmp_path / "excel.csv").open(encoding="utf-8-sig", newline=""), delimiter=";"))
    assert rows[0] == ['\'=HYPERLINK("http://x")', "note", "-3"]
    assert rows[1] == ["a", "ligne\r=1+1\nsuite", "-3"] and len(rows) == 2
    cells = [cell for row in rows for cell in row]
    assert not any(re.match(r"[=+@\t]", cell) for cell in cells)


@pytest.mark.parametrize(
    ("outputs", "message"),
    [
        ("map = '../../evil.html'", "must be a plain file name"),
        ("dir = '../../etc'", "climbs out with '..'"),
        ("report = '/tmp/x.html'", "must be a plain file name"),
        ("dir = '~/cartes'", "`~` is not expanded here"),
        ("dir = '/'", "is a system folder"),
    ],
)
def test_scenario_outputs_stay_where_asked(tmp_path, outputs, message):
    path = tmp_path / "s.toml"
    path.write_text(f"[[inputs]]\npath = 'a.csv'\n[outputs]\n{outputs}\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=message):
        load_scenario(path)


@pytest.mark.slow
def test_run_twice_gives_identical_outputs(default_run, tmp_path):
    # the session's run (in the test process) against a second one by the console script, started in
    # another directory, writing to its default folder (maps/ of the current directory)
    done = run_cli("run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    second = tmp_path / "maps"
    assert "maps/carte.html" in done.stdout and "maps/rapport.html" in done.stdout
    first = sorted(p.name for p in default_run.folder.iterdir())
    assert first == sorted(p.name for p in second.iterdir())
    for name in first:
        assert (default_run.folder / name).read_bytes() == (second / name).read_bytes(), name


@pytest.mark.parametrize("engine", ["memory", "dask"])
def test_a_single_line_megabyte_is_refused_quickly(tmp_path, engine):
    # one record per line is what a table of places is; a 1 MB line is a dump, said so without parsing it
    source = tmp_path / "une_ligne.csv"
    source.write_text("commune;" + "x" * 1_000_000 + "\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["geocode", str(source), "-o", str(tmp_path / "out.csv"), "--engine", engine, "--partition-rows", "10"]
    )
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and "line 1 is" in said and "characters long, more than a table row can be" in said
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("engine", ["memory", "dask"])
def test_both_engines_refuse_a_header_only_file_alike(tmp_path, engine):
    source = tmp_path / "entete.csv"
    source.write_text("nom;commune\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["geocode", str(source), "-o", str(tmp_path / "out.csv"), "--engine", engine])
    assert result.exit_code == 2 and "has a header but no data rows" in " ".join(result.output.split())
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "out_rejets.csv").exists()


def test_the_dask_engine_names_what_it_cannot_decode(tmp_path):
    source = tmp_path / "mixte.csv"
    source.write_bytes("nom;commune\nA;Béthune\n".encode() + "B;Liévin\n".encode("cp1252"))
    base = ["geocode", str(source), "-o", str(tmp_path / "out.csv"), "--engine", "dask"]
    result = CliRunner().invoke(app, base)
    assert result.exit_code == 2 and "mixes encodings" in " ".join(result.output.split())
    result = CliRunner().invoke(app, [*base, "--encoding", "nope"])
    assert result.exit_code == 2 and "--encoding 'nope' is not an encoding" in " ".join(result.output.split())


@pytest.mark.parametrize("packed", [False, True])
def test_a_shapefile_whose_parts_disagree_is_refused(tmp_path, packed):
    # the .dbf says 2 rows for 3 shapes: GDAL would silently read 2, and one place would be lost
    folder = tmp_path / "couche"
    folder.mkdir()
    gpd.GeoDataFrame(
        {"nom": ["A", "B", "C"], "commune": ["Arras", "Lens", "Lille"]},
        geometry=[Point(*LILLE_L93)] * 3,
        crs=2154,
    ).to_file(folder / "lieux.shp")
    dbf = bytearray((folder / "lieux.dbf").read_bytes())
    dbf[4:8] = (2).to_bytes(4, "little")
    (folder / "lieux.dbf").write_bytes(bytes(dbf))
    source = folder / "lieux.shp"
    if packed:
        source = tmp_path / "lieux.zip"
        with zipfile.ZipFile(source, "w") as archive:
            for part in folder.iterdir():
                archive.write(part, part.name)
    result = CliRunner().invoke(app, ["geocode", str(source), "-o", str(tmp_path / "out.csv")])
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and "2 attribute rows in the .dbf for 3 shapes in the .shx" in said
    assert not (tmp_path / "out.csv").exists()


RAGGED = {  # file -> what both engines must do with it (the ragged row falls in a later partition too)
    "longer row first": ("nom;commune\nB;Lens;x\n" + "A;Arras\n" * 40, "line 2 has 3 fields"),
    "longer row later": ("nom;commune\n" + "A;Arras\n" * 40 + "B;Lens;x\n", "line 42 has 3 fields"),
    "trailing separators": ("nom;commune;type\n" + "A;Arras;cyber-centre;\n" * 40, None),
    "shorter row": ("nom;commune;type\nA;Arras\n" + "B;Lens;cyber-centre\n" * 40, None),
}


@pytest.mark.parametrize("case", RAGGED)
def test_both_engines_accept_and_refuse_the_same_ragged_files(tmp_path, case):
    text, refused = RAGGED[case]
    source = tmp_path / "lieux.csv"
    source.write_text(text, encoding="utf-8")
    outputs = {}
    for engine in ("memory", "dask"):
        out = tmp_path / f"{engine}.csv"
        args = ["geocode", str(source), "-o", str(out), "--engine", engine, "--partition-rows", "10"]
        result = CliRunner().invoke(app, args)
        said = " ".join(result.output.split())
        if refused:
            assert result.exit_code == 2 and refused in said and "not a well-formed delimited file" in said, said
            assert not out.exists()
        else:
            assert result.exit_code == 0, said
            outputs[engine] = (pd.read_csv(out, dtype=str), pd.read_csv(tmp_path / f"{engine}_rejets.csv", dtype=str))
    if outputs:
        for memory, dask in zip(outputs["memory"], outputs["dask"]):
            pd.testing.assert_frame_equal(memory, dask)
        assert len(outputs["memory"][0]) + len(outputs["memory"][1]) == text.count("\n") - 1  # every row kept


def test_a_name_that_is_not_utf8_is_named_not_a_crash(tmp_path):
    # a file name from a Latin-1 system: GDAL and the manifest need text, so it is refused up front
    exe = os.fsencode(EXE)
    source = os.fsencode(example_path(CYBER_FILE))
    for args, named in (
        ([b"geocode", source, b"-o", os.fsencode(tmp_path) + b"/sortie_\xe9.gpkg"], b"error: -o "),
        ([b"geocode", os.fsencode(tmp_path) + b"/entr\xe9e.csv", b"-o", os.fsencode(tmp_path / "s.csv")], b"error: an"),
    ):
        result = subprocess.run([exe, *args], capture_output=True)
        assert result.returncode == 2 and result.stderr.startswith(named), result.stderr
        assert b"is not valid UTF-8" in result.stderr and b"rename" in result.stderr
    assert list(tmp_path.iterdir()) == []
    # a title typed in Latin-1 is text, not a name: let through, read as Windows-1252 (test_security's
    # test_map_title_typed_in_latin1_is_written checks the page, and its manifest is written)
    assert _undecodable(["map", "lieux.csv", "--title", "Soci\udce9t\udce9", "-o", "carte.html"]) is None


USAGE_ERRORS = [  # (command, what the message must say): each exits 2, names the option, writes nothing
    (["geocode", "{x}", "-o", "{o}/a.csv", "--sep", ";;"], "--sep = ';;'"),
    (["geocode", "{x}", "-o", "{o}/a.csv", "--crs", "nonsense"], "--crs = 'nonsense': PROJ does not know"),
    (["geocode", "{x}", "-o", "{o}/a.csv", "--column", "colour=nom"], "(--column) has unknown role(s) ['colour']"),
    (["geocode", "{d}", "-o", "{o}/a.csv"], "is a folder, not a file"),
    (["geocode", "{x}", "-o", "{o}/a.csv", "--engine", "dask", "--scheduler", "nulle-part"], "--scheduler nulle-part"),
    (["export", "{x}", "-o", "{o}/c.gpkg", "--kind", "cyber_centre", "--crs", "EPSG:999999"], "--crs = 'EPSG:999999'"),
    (["export", "{x}", "-o", "{o}/c.gpkg", "--kind", "cyber_centre", "--indicator", "zzz"], "--indicator"),
    (["export", "{x}", "-o", "{o}/c.gpkg", "--kind", "cyber_centre", "--indicator", "territoire"], "not a numeric"),
    (["map", "{x}", "-o", "{o}/c.html", "--kind", "cyber_centre", "--indicator", "epci_siren"], "not a numeric"),
    (["map", "{x}", "-o", "{o}/c.png", "--kind", "cyber_centre"], "--output c.png: this writes an HTML map"),
    (["points", "-o", "{o}/p.csv", "--synthetic", "0"], "--synthetic = 0"),
    (["points", "-o", "{o}/p.csv", "--synthetic", "10", "--partition-rows", "0"], "--partition-rows = 0"),
    (["points", "{b}", "-o", "{o}/p.csv"], "is not a delimited table of points"),
    (["points", "-o", "{o}/p.gpkg", "--synthetic", "10"], "--output p.gpkg: this writes a CSV"),
    (["site", "-o", "{o}/s.csv", "--k", "0"], "--k = 0"),
    (["site", "-o", "{o}/s.csv", "--k", "5", "--min-per-territory", "-1"], "--min-per-territory = -1"),
    (["site", "-o", "{o}/s.csv", "--k", "5", "--min-per-territory", "1000"], "ask for 5000 new sites but k = 5"),
    (["site", "-o", "{o}/s.gpkg", "--k", "5"], "end the name in .csv"),
    (["site", "-o", "{o}/s.csv", "--k", "5", "--map", "{o}/m.txt"], "--map m.txt: this writes an HTML map"),
    (["territories", "--scheme", "{s}"], "assigns none of the 1534 communes"),
    (["territories", "--scheme", "{t}", "--code-column", "nope"], "code_column (--code-column) 'nope'"),
    (["analyse", "{x}", "-o", "{o}", "--kind", "cyber_centre", "--capacity-column", "nope"], "(--capacity-column)"),
    (["analyse", "{x}", "-o", "{o}", "--kind", "cyber_centre", "--kind-column", "type"], "not both"),
]


@pytest.mark.parametrize(("command", "said"), USAGE_ERRORS)
def test_usage_errors_exit_2_and_name_the_option(tmp_path, command, said):
    files = tmp_path / "entrées"
    files.mkdir()
    (files / "vide.csv").write_bytes(b"")
    (files / "ab.csv").write_text("a;b\n1;x\n2;y\n", encoding="utf-8")
    (files / "decoupage.csv").write_text("code_insee;territoire\n62041;Artois\n", encoding="utf-8")
    values = {"{x}": str(example_path(CYBER_FILE)), "{o}": str(tmp_path / "sorties"), "{d}": str(files)}
    values |= {"{b}": str(files / "vide.csv"), "{s}": str(files / "ab.csv"), "{t}": str(files / "decoupage.csv")}
    args = [next((a.replace(k, v) for k, v in values.items() if k in a), a) for a in command]
    result = CliRunner().invoke(app, args)
    message = " ".join(result.output.split())
    assert result.exit_code == 2 and said in message, message
    assert "unexpected problem" not in message and not (tmp_path / "sorties").exists()


def test_usage_errors_of_the_parser_are_one_paragraph_too(tmp_path):
    # what Click says (an unknown command, a malformed pair, a missing option) keeps exit 2, without the box
    source = str(example_path(CYBER_FILE))
    for args, said in (
        (["analyse", source, "-o", str(tmp_path), "--radius", "x"], "error: Invalid value for --radius: expected KIND"),
        (["nulle-commande"], "error: No such command 'nulle-commande'."),
    ):
        result = subprocess.run([EXE, *args], capture_output=True, text=True)
        assert result.returncode == 2 and result.stderr.startswith(said), result.stderr
        assert "--help`)" in result.stderr and "╭" not in result.stderr and len(result.stderr.splitlines()) == 1
