"""Reading user files: delimited text, spreadsheets and GIS layers."""

from __future__ import annotations

import csv
import io
import logging
import unicodedata
from pathlib import Path

import pandas as pd
import pyogrio

from territorial._errors import InputFileError

logger = logging.getLogger(__name__)

__all__ = ["read_table", "read_layer", "normalise_column_name"]

TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm"}
GIS_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".zip", ".fgb"}
ENCODINGS = ("utf-8-sig", "cp1252")
DELIMITERS = ";,\t|"


def normalise_column_name(name: object) -> str:
    """Lower-case ASCII form of a column name: ``"Code INSEE"`` -> ``"code_insee"``."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return "_".join(text.strip().lower().replace("-", " ").split())


def _decode(raw: bytes, path: Path) -> tuple[str, str]:
    for encoding in ENCODINGS:
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise InputFileError(f"{path}: cannot decode the file as {' or '.join(ENCODINGS)}")  # pragma: no cover


def _read_text(path: Path) -> pd.DataFrame:
    text, encoding = _decode(path.read_bytes(), path)
    if not text.strip():
        raise InputFileError(f"{path} is empty; give a file with a header row and one row per record")
    sample = "\n".join(text.splitlines()[:50])
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        delimiter = max(DELIMITERS, key=sample.splitlines()[0].count)
    logger.info("%s: encoding %s, delimiter %r", path, encoding, delimiter)
    try:
        return pd.read_csv(
            io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, na_values=[""]
        )
    except pd.errors.ParserError as exc:
        raise InputFileError(f"{path} is not a well-formed delimited file: {exc}") from exc


def read_table(path: str | Path, *, sheet: str | int | None = None, layer: str | None = None) -> pd.DataFrame:
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

    Returns
    -------
    pandas.DataFrame
    """
    path = _existing(path)
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return _read_text(path)
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
