"""Every reader of SPEC §3 on small files written here: encodings, delimiters, formats."""

from __future__ import annotations

import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from territorial import InputFileError
from territorial.io import read_input, to_number

ROWS = [("CC1", "Béthune", "62400", "50,5303", "2,6408"), ("CC2", "Saint-Omer", "62500", "50,7500", "2,2520")]


def write(path, text, encoding):
    path.write_bytes(text.encode(encoding))
    return path


def csv_text(sep):
    header = sep.join(["id", "commune", "code_postal", "latitude", "longitude"])
    return "\r\n".join([header, *(sep.join(r) for r in ROWS)]) + "\r\n"


def test_cp1252_semicolon_decimal_comma(tmp_path):
    frame = read_input(write(tmp_path / "a.csv", csv_text(";"), "cp1252"))
    assert frame.attrs["encoding"] == "cp1252" and frame.attrs["sep"] == ";" and frame.attrs["decimal"] == ","
    assert frame["commune"].tolist() == ["Béthune", "Saint-Omer"]
    assert frame["code_postal"].tolist() == ["62400", "62500"]  # text, not numbers
    assert to_number(frame["latitude"]).tolist() == [50.5303, 50.75]


def test_utf8_bom(tmp_path):
    frame = read_input(write(tmp_path / "b.csv", csv_text(";"), "utf-8-sig"))
    assert list(frame.columns)[0] == "id"  # no BOM left in the header
    assert frame.attrs["encoding"] == "utf-8-sig"
    assert frame["commune"][0] == "Béthune"


@pytest.mark.parametrize("sep", ["\t", "|", ","])
def test_delimiters_are_sniffed(tmp_path, sep):
    text = csv_text(sep)
    if sep == ",":  # decimals cannot be commas in a comma-separated file
        text = "\r\n".join([text.splitlines()[0], *(",".join(v.replace(",", ".") for v in r) for r in ROWS)])
    frame = read_input(write(tmp_path / "c.txt", text, "utf-8"))
    assert frame.attrs["sep"] == sep
    assert frame.shape == (2, 5)


def test_overrides(tmp_path):
    path = write(tmp_path / "d.csv", csv_text(";"), "cp1252")
    frame = read_input(path, sep=";", encoding="latin-1")
    assert frame["commune"][0] == "Béthune"
    with pytest.raises(InputFileError, match="cannot decode the file as utf-8"):
        read_input(path, encoding="utf-8")


def test_xlsx_numbers_become_text(tmp_path):
    path = tmp_path / "e.xlsx"
    pd.DataFrame({"code_insee": [59350, 62041], "commune": ["Lille", "Arras"]}).to_excel(path, index=False)
    frame = read_input(path)
    assert frame["code_insee"].tolist() == ["59350", "62041"]


def points_layer():
    return gpd.GeoDataFrame(
        {"id": ["a", "b"], "nom": ["Lille", "Arras"]},
        geometry=[Point(3.0635, 50.6367), Point(2.7775, 50.2910)],
        crs=4326,
    )


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".fgb", ".shp"])
def test_gis_formats(tmp_path, suffix):
    path = tmp_path / f"f{suffix}"
    points_layer().to_file(path)
    frame = read_input(path)
    assert isinstance(frame, gpd.GeoDataFrame)
    assert frame.crs.to_epsg() == 4326
    assert frame["nom"].tolist() == ["Lille", "Arras"]


def test_zipped_shapefile(tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    points_layer().to_file(folder / "points.shp")
    archive = tmp_path / "points.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in folder.iterdir():
            z.write(part, part.name)
    frame = read_input(archive)
    assert frame["nom"].tolist() == ["Lille", "Arras"] and frame.crs.to_epsg() == 4326


def test_geopackage_layer_choice(tmp_path):
    path = tmp_path / "g.gpkg"
    points_layer().to_file(path, layer="first")
    points_layer().iloc[:1].to_file(path, layer="second")
    assert len(read_input(path, layer="second")) == 1
    with pytest.raises(InputFileError, match=r"its layers are \['first', 'second'\]"):
        read_input(path, layer="third")


def test_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_input(tmp_path / "missing.csv")
    with pytest.raises(InputFileError, match="is empty"):
        read_input(write(tmp_path / "empty.csv", "", "utf-8"))
    (tmp_path / "bin.csv").write_bytes(b"PK\x03\x04\x00\x00binary")
    with pytest.raises(InputFileError, match="binary file"):
        read_input(tmp_path / "bin.csv")
    with pytest.raises(InputFileError, match="unsupported file type '.doc'"):
        read_input(write(tmp_path / "x.doc", "hello", "utf-8"))


@pytest.mark.parametrize(
    ("raw", "decimal", "value"),
    [
        ("50,6292", None, 50.6292),
        ("50.6292", None, 50.6292),
        ("704 499,9", None, 704499.9),
        ("704\u202f499,9", None, 704499.9),
        ("704.499,9", ",", 704499.9),
        ("1,234.5", ".", 1234.5),
        ("abc", None, np.nan),
        ("", None, np.nan),
    ],
)
def test_to_number(raw, decimal, value):
    result = to_number(pd.Series([raw]), decimal=decimal)[0]
    assert (np.isnan(result) and np.isnan(value)) or result == pytest.approx(value)


def test_title_lines_above_the_header_in_csv(tmp_path):
    text = "Liste des cyber-centres 2002\r\nSource : exemple\r\n\r\n" + csv_text(";")
    frame = read_input(write(tmp_path / "t.csv", text, "cp1252"))
    assert list(frame.columns) == ["id", "commune", "code_postal", "latitude", "longitude"]
    assert frame["id"].tolist() == ["CC1", "CC2"]
    assert "ligne(s) de titre" in frame.attrs["read_note"]


def test_title_rows_above_the_header_in_xlsx(tmp_path):
    path = tmp_path / "t.xlsx"
    rows = [
        ["Programme société de l'information", None, None],
        [None, None, None],
        ["Identifiant", "Commune", "Code postal"],
        ["A1", "Arras", "62000"],
        ["A2", "Lens", "62300"],
    ]
    pd.DataFrame(rows).to_excel(path, index=False, header=False)
    frame = read_input(path)
    assert list(frame.columns) == ["Identifiant", "Commune", "Code postal"]
    assert frame["Commune"].tolist() == ["Arras", "Lens"]


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("50°37'48\"N", 50.63),
        ("50° 37′ 48″ N", 50.63),
        ("3°3'36\"E", 3.06),
        ("1°30'O", -1.5),
        ("1°30'W", -1.5),
        ("-3°03'36\"", -3.06),
        ("50,63", 50.63),
    ],
)
def test_to_degrees(raw, value):
    from territorial.io import to_degrees

    assert to_degrees(pd.Series([raw]))[0] == pytest.approx(value)


def test_split_point():
    from territorial.io import split_point

    lat, lon = split_point(pd.Series(["50.63, 3.06", "50,63;3,06", "", "garbage"]))
    assert lat[:2].tolist() == [50.63, 50.63] and lon[:2].tolist() == [3.06, 3.06]
    assert np.isnan(lat[2:]).all()
