"""Reading user files: delimited text, spreadsheets and GIS layers."""

from __future__ import annotations

import csv
import io
import logging
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio

from territorial._errors import InputFileError

logger = logging.getLogger(__name__)

__all__ = ["read_input", "read_table", "read_layer", "normalise_column_name", "to_number"]

TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm"}
GIS_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".zip", ".fgb"}
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
DELIMITERS = ";,\t|"


def normalise_column_name(name: object) -> str:
    """Lower-case ASCII form of a column name: ``"Code INSEE"`` -> ``"code_insee"``."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return "_".join(text.strip().lower().replace("-", " ").split())


def _decode(raw: bytes, path: Path, encoding: str | None) -> tuple[str, str]:
    if encoding:
        try:
            return raw.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise InputFileError(f"{path}: cannot decode the file as {encoding} ({exc}); "
                                 "omit the encoding to let it be detected") from exc
    for candidate in ENCODINGS:  # latin-1 decodes anything: the last resort
        try:
            return raw.decode(candidate), candidate
        except UnicodeDecodeError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


_DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")


def _read_text(path: Path, *, sep: str | None = None, encoding: str | None = None,
               decimal: str | None = None) -> pd.DataFrame:
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        raise InputFileError(f"{path} is a binary file, not delimited text; save it as CSV (UTF-8 or Windows-1252)")
    text, encoding = _decode(raw, path, encoding)
    if not text.strip():
        raise InputFileError(f"{path} is empty; give a file with a header row and one row per record")
    sample = "\n".join(text.splitlines()[:50])
    if sep is None:
        try:
            sep = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
        except csv.Error:
            sep = max(DELIMITERS, key=sample.splitlines()[0].count)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputFileError(f"{path} is not a well-formed delimited file ({exc}); check its separator "
                             f"(detected {sep!r}) or give it explicitly") from exc
    if decimal is None:
        values = frame.stack()
        decimal = "," if len(values) and values.astype(str).str.match(_DECIMAL_COMMA).any() and sep != "," else "."
    frame.attrs.update(encoding=encoding, sep=sep, decimal=decimal,
                       read_note=f"encodage {encoding}, séparateur {sep!r}, décimale {decimal!r}")
    logger.info("%s: encoding %s, delimiter %r, decimal %r", path, encoding, sep, decimal)
    return frame


def read_table(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    layer: str | None = None,
    sep: str | None = None,
    encoding: str | None = None,
) -> pd.DataFrame:
    """Read a table with every value as text (codes keep their leading zeros).

    Parameters
    ----------
    path : str or Path
        CSV/TXT/TSV (delimiter and encoding detected), XLSX, or a GIS file whose
        attributes are read (the geometry, if any, is dropped).
    sheet : str or int, optional
        Worksheet of a spreadsheet (default: the first).
    layer : str, optional
        Layer of a multi-layer GIS file (default: the first).
    sep, encoding : str, optional
        Delimiter and encoding of a text file (default: detected).

    Returns
    -------
    pandas.DataFrame
    """
    path = _existing(path)
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return _read_text(path, sep=sep, encoding=encoding)
    if suffix in SPREADSHEET_SUFFIXES:
        try:
            return pd.read_excel(path, sheet_name=sheet or 0, dtype=str, engine="openpyxl")
        except (ValueError, KeyError, OSError) as exc:
            raise InputFileError(f"{path}: cannot read the spreadsheet ({exc})") from exc
    if suffix in GIS_SUFFIXES:
        return pd.DataFrame(read_layer(path, layer=layer).drop(columns="geometry", errors="ignore"))
    raise InputFileError(_unsupported(path))


def read_layer(path: str | Path, *, layer: str | None = None):
    """Read a GIS layer (GeoPackage, GeoJSON, Shapefile or zipped Shapefile, FlatGeobuf)."""
    path = _existing(path)
    if path.suffix.lower() not in GIS_SUFFIXES:
        raise InputFileError(_unsupported(path))
    source = f"/vsizip/{path}" if path.suffix.lower() == ".zip" else path
    try:
        return pyogrio.read_dataframe(source, layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        layers = ""
        try:
            layers = f"; its layers are {[name for name, _ in pyogrio.list_layers(source)]}"
        except pyogrio.errors.DataSourceError:
            pass
        raise InputFileError(f"{path}: cannot read layer {layer!r} ({exc}){layers}") from exc


def _existing(path: str | Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file; check the path (relative paths start at {Path.cwd()})")
    return path


def _unsupported(path: Path) -> str:
    known = sorted(TEXT_SUFFIXES | SPREADSHEET_SUFFIXES | GIS_SUFFIXES)
    return f"{path}: unsupported file type {path.suffix!r}; use one of {', '.join(known)}"


def read_input(
    path: str | Path,
    *,
    sep: str | None = None,
    encoding: str | None = None,
    decimal: str | None = None,
    layer: str | None = None,
    sheet: str | int | None = None,
):
    """Read a file of facilities or projects for geocoding.

    Parameters
    ----------
    path : str or Path
        CSV/TXT/TSV (delimiter ``;`` ``,`` tab ``|`` sniffed; UTF-8, UTF-8 with BOM or
        cp1252/latin-1 detected; decimal comma detected), XLSX, GeoJSON, GeoPackage,
        Shapefile (``.shp`` or zipped ``.zip``) or FlatGeobuf.
    sep, encoding, decimal : str, optional
        Overrides of what is detected in a text file.
    layer, sheet : optional
        Layer of a GIS file, worksheet of a spreadsheet.

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        Tables come with every value as text (codes keep their leading zeros);
        ``frame.attrs`` records what was detected. GIS layers keep their geometry and CRS.
    """
    path = _existing(path)
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return _read_text(path, sep=sep, encoding=encoding, decimal=decimal)
    if suffix in GIS_SUFFIXES:
        frame = read_layer(path, layer=layer)
        frame.attrs["read_note"] = f"couche {layer or 'par défaut'}, CRS {frame.crs.to_string() if getattr(frame, 'crs', None) else 'absent'}"
        return frame
    frame = read_table(path, sheet=sheet)
    frame.attrs["read_note"] = f"feuille {sheet if sheet is not None else '1'}"
    return frame


def to_number(values: pd.Series, *, decimal: str | None = None) -> np.ndarray:
    """Parse numbers written the French or the English way: ``"50,63"``, ``"1 234,5"``, ``"3.05"``.

    Unreadable values become NaN. With ``decimal=None`` a lone comma is a decimal
    separator; with ``decimal=","`` dots are thousands separators, with ``"."`` commas are.
    """
    text = values.astype("string").str.strip().str.replace(r"[\s\u202f\xa0']", "", regex=True)
    if decimal == ",":
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    elif decimal == ".":
        text = text.str.replace(",", "", regex=False)
    else:
        lone_comma = text.str.contains(",", regex=False) & ~text.str.contains(".", regex=False)
        text = text.where(~lone_comma, text.str.replace(",", ".", regex=False))
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
