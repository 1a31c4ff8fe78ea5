"""Reading user files: delimited text, spreadsheets and GIS layers."""

from __future__ import annotations

import csv
import io
import logging
import re
import warnings
import zipfile
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from territorial._errors import ArgumentError, InputFileError
from territorial._text import normalise_column_name, to_number
from territorial.columns import POINT_IF_PAIRS, ROLE_NAMES
from territorial.schemes import scheme_from_polygons, scheme_from_table

logger = logging.getLogger(__name__)

__all__ = [
    "ROLE_NAMES",
    "detect_columns",
    "read_input",
    "read_table",
    "read_layer",
    "normalise_column_name",
    "to_number",
    "to_degrees",
    "split_point",
    "sniff_text",
    "read_scheme",
]

TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm"}
GIS_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".zip", ".fgb"}
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
DELIMITERS = ";,\t|"


def _decode(raw: bytes, path: Path, encoding: str | None) -> tuple[str, str]:
    if encoding:
        try:
            return raw.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise InputFileError(
                f"{path}: cannot decode the file as {encoding} ({exc}); omit the encoding to let it be detected"
            ) from exc
    try:
        return raw.decode("utf-8-sig"), "utf-8-sig"
    except UnicodeDecodeError:
        pass
    lines = raw.splitlines(keepends=True)
    utf8 = sum(1 for line in lines if not line.isascii() and _is_utf8(line))
    if utf8:  # some lines in UTF-8, others not: decode each line on its own
        return "".join(
            line.decode("utf-8") if _is_utf8(line) else line.decode("cp1252", errors="replace") for line in lines
        ), "mixte (utf-8 et cp1252, ligne par ligne)"
    for candidate in ENCODINGS[1:]:  # latin-1 decodes anything: the last resort
        try:
            return raw.decode(candidate), candidate
        except UnicodeDecodeError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


_DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")


def _read_text(
    path: Path, *, sep: str | None = None, encoding: str | None = None, decimal: str | None = None
) -> pd.DataFrame:
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        raise InputFileError(f"{path} is a binary file, not delimited text; save it as CSV (UTF-8 or Windows-1252)")
    text, encoding = _decode(raw, path, encoding)
    if not text.strip():
        raise InputFileError(f"{path} is empty; give a file with a header row and one row per record")
    lines = text.splitlines()
    _check_line_lengths(lines, path)
    if sep is None:
        sample = "\n".join(lines[:50])
        try:
            sep = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
        except csv.Error:
            sep = max(DELIMITERS, key=lambda d: sum(line.count(d) for line in lines[:50]))
    skipped = _title_lines(lines, sep)
    try:
        with warnings.catch_warnings():  # a row longer than the header must not shift or lose data silently
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.StringIO(text),
                sep=sep,
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                skiprows=skipped,
                index_col=False,
            )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, pd.errors.ParserWarning) as exc:
        raise not_well_formed(path, ragged_row(lines[skipped:], sep, first=skipped + 1) or str(exc), sep) from exc
    if frame.empty:
        raise InputFileError(f"{path} has a header but no data rows; add one row per record")
    if decimal is None:
        values = frame.stack()
        decimal = "," if len(values) and values.astype(str).str.match(_DECIMAL_COMMA).any() and sep != "," else "."
    note = f"encodage {encoding}, séparateur {sep!r}, décimale {decimal!r}"
    if skipped:
        note += f", {skipped} ligne(s) de titre ignorée(s) avant l'en-tête"
    frame.attrs.update(encoding=encoding, sep=sep, decimal=decimal, read_note=note)
    logger.info("%s: encoding %s, delimiter %r, decimal %r", path, encoding, sep, decimal)
    return frame


#: The longest line a table of places may have (characters): far above any real row (even with a long WKT).
MAX_LINE = 131_072  # also the csv module's own field limit


def _check_line_lengths(lines: list[str], path: Path, *, whole: bool = True) -> None:
    """Refuse a file whose lines are too long to be rows of a table (a dump, a single-line export).

    ``whole=False``: the lines are the start of the file only, the last one cut short.
    """
    number = next((n for n, line in enumerate(lines, start=1) if len(line) > MAX_LINE), None)
    if number is not None:
        length = f"{len(lines[number - 1]):,}" if whole else f"more than {len(lines[number - 1]):,}"
        raise InputFileError(
            f"{path}: line {number} is {length} characters long, more than a table row can be "
            f"({MAX_LINE:,}); this does not look like a table of places with one row per line: check that it is "
            "the right file, exported as CSV with one record per line"
        )


def ragged_row(lines: Iterable[str], sep: str, *, first: int = 1) -> str:
    """Where rows first have more fields than the header (the first of ``lines``, line ``first`` of the file).

    Said for a user ("line 42 has 3 fields, the header 2"); "" if no row is longer.
    """
    rows = csv.reader(lines, delimiter=sep)
    width = len(next(rows, []))
    for row in rows:
        if len(row) > width and any(row[width:]):  # an empty field after a trailing separator loses nothing
            return f"line {rows.line_num + first - 1} has {len(row)} fields, the header {width}"
    return ""


def not_well_formed(path: Path, problem: str, sep: str) -> InputFileError:
    """The error for a delimited file whose rows do not fit its header, with ``problem`` and the fixes."""
    return InputFileError(
        f"{path} is not a well-formed delimited file ({problem}); check its separator "
        f'(detected {sep!r}; give it with --sep) and look for a quote (") left open or a '
        "row with more fields than the header"
    )


def _width(line: str, sep: str) -> int:
    """Fields of a line, not counting one empty field after a trailing separator (``a;b;c;``)."""
    fields = next(csv.reader([line], delimiter=sep), [])
    return len(fields) - 1 if len(fields) > 1 and fields[-1] == "" else len(fields)


def _title_lines(lines: list[str], sep: str, *, look: int = 30) -> int:
    """Number of leading lines narrower than the table below them (titles above the header).

    A header without the trailing separator its rows end with is not narrower: it is read as
    the header, and the rows' empty last field is dropped.
    """
    widths = [_width(line, sep) for line in lines[:look] if line.strip()]
    if len(widths) < 3:
        return 0
    width = max(set(widths), key=widths.count)
    skipped = 0
    for line in lines[:look]:
        if line.strip() and _width(line, sep) >= width:
            break
        skipped += 1
    return skipped


def sniff_text(path: str | Path) -> tuple[str, str]:
    """Encoding and delimiter of a delimited text file, from its first 64 KB."""
    path = _existing(path)
    with open(path, "rb") as handle:
        raw = handle.read(65536)
        if b"\n" not in raw:  # a first line longer than the sample: read on until a table row could not be longer
            raw += handle.read(4 * MAX_LINE)
    if b"\n" not in raw and len(raw) > 4 * MAX_LINE:
        _check_line_lengths([raw.decode("latin-1")], path, whole=False)
    text, encoding = _decode(raw[: raw.rfind(b"\n") + 1] or raw, path, None)
    lines = text.splitlines()
    _check_line_lengths(lines, path)
    try:
        sep = csv.Sniffer().sniff("\n".join(lines[:50]), delimiters=DELIMITERS).delimiter
    except csv.Error:
        sep = max(DELIMITERS, key=lambda d: sum(line.count(d) for line in lines[:50]))
    return ("utf-8-sig" if encoding == "utf-8-sig" else encoding), sep


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


MAX_UNZIPPED = 2 * 2**30
MAX_RATIO = 200


def _check_zip(path: Path) -> list[str]:
    """Refuse archives that escape their folder, hide absolute paths, or inflate like a bomb; return the
    data files they hold (``.shp``, ``.gpkg``, ``.geojson``, ``.fgb``), at any depth."""

    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise InputFileError(f"{path} is not a readable zip archive ({exc}); zip the Shapefile's files again") from exc
    unsafe = [e.filename for e in entries if e.filename.startswith(("/", "\\")) or ".." in Path(e.filename).parts]
    if unsafe:
        raise InputFileError(f"{path} holds entries outside its own folder ({unsafe[:3]}); it is refused")
    size = sum(e.file_size for e in entries)
    packed = max(sum(e.compress_size for e in entries), 1)
    if size > MAX_UNZIPPED or size / packed > MAX_RATIO:
        raise InputFileError(
            f"{path} would unpack to {size / 2**20:.0f} MB ({size / packed:.0f} times its size); "
            "it is refused as a possible zip bomb — unzip it yourself if you trust it"
        )
    data = sorted(e.filename for e in entries if e.filename.lower().endswith((".shp", ".gpkg", ".geojson", ".fgb")))
    if not data:
        raise InputFileError(
            f"{path} holds no .shp, .gpkg, .geojson or .fgb file; it has {[e.filename for e in entries][:5]}"
        )
    return data


def _shapefile_part(path: Path, member: str | None, suffix: str) -> tuple[bytes, int] | None:
    """The first bytes and the size of a Shapefile's part (``.dbf``, ``.shx``), on disk or in a zip; None if absent."""
    if member is None:
        part = path.with_suffix(suffix)
        if not part.is_file():
            part = path.with_suffix(suffix.upper())
        if not part.is_file():
            return None
        with open(part, "rb") as handle:
            return handle.read(8), part.stat().st_size
    name = str(Path(member).with_suffix(suffix))
    with zipfile.ZipFile(path) as archive:
        found = next((i for i in archive.infolist() if i.filename.lower() == name.lower()), None)
        if found is None:
            return None
        with archive.open(found) as handle:
            return handle.read(8), found.file_size


def _check_shapefile_parts(path: Path, member: str | None = None) -> None:
    """Refuse a Shapefile whose attribute table (.dbf) and shape index (.shx) count different records.

    GDAL reads such a pair without a word and the rows beyond the shorter part are lost.
    """
    dbf, shx = _shapefile_part(path, member, ".dbf"), _shapefile_part(path, member, ".shx")
    if dbf is None or shx is None or len(dbf[0]) < 8:
        return
    records, shapes = int.from_bytes(dbf[0][4:8], "little"), (shx[1] - 100) // 8
    if records != shapes:
        raise InputFileError(
            f"{path}{'/' + member if member else ''}: its parts disagree, {records} attribute rows in the .dbf for "
            f"{shapes} shapes in the .shx; some rows would be lost: export the layer again from its source"
        )


def read_layer(path: str | Path, *, layer: str | None = None):
    """Read a GIS layer (GeoPackage, GeoJSON, Shapefile or zipped Shapefile, FlatGeobuf)."""
    path = _existing(path)
    if path.suffix.lower() not in GIS_SUFFIXES:
        raise InputFileError(_unsupported(path))
    source: str | Path = path
    if path.suffix.lower() == ".zip":
        inside = _check_zip(path)
        # a layer named like one of the archive's files is that file; else the archive's first data file
        wanted = next((name for name in inside if layer and Path(name).stem == layer), inside[0])
        source = f"/vsizip/{path}/{wanted}"
        if len(inside) == 1 or (layer and Path(wanted).stem == layer):
            layer = None
        if wanted.lower().endswith(".shp"):
            _check_shapefile_parts(path, wanted)
    elif path.suffix.lower() == ".shp":
        _check_shapefile_parts(path)
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
    if path.is_dir():
        raise InputFileError(f"{path} is a folder, not a file; give the file inside it")
    if not path.is_file():
        where = "" if path.is_absolute() else f" (relative paths start at {Path.cwd()})"
        raise FileNotFoundError(f"{path}: no such file; check the path{where}")
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
) -> pd.DataFrame:
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
        return _header_below_titles(_read_text(path, sep=sep, encoding=encoding, decimal=decimal))
    if suffix in GIS_SUFFIXES:
        frame = read_layer(path, layer=layer)
        frame.attrs["read_note"] = (
            f"couche {layer or 'par défaut'}, CRS {frame.crs.to_string() if getattr(frame, 'crs', None) else 'absent'}"
        )
        return frame
    frame = read_table(path, sheet=sheet)
    frame.attrs["read_note"] = f"feuille {sheet if sheet is not None else '1'}"
    return _header_below_titles(frame)


def _known_names(values) -> int:
    known = {name for names in ROLE_NAMES.values() for name in names}
    return sum(normalise_column_name(v) in known for v in values if isinstance(v, str))


def _header_below_titles(frame: pd.DataFrame, *, look: int = 15) -> pd.DataFrame:
    """Use a lower row as the header when the first rows are a title (as in many spreadsheets).

    Only when the first row names no known column and a row among the next ``look``
    names at least two; the rows above it are titles, not records, and are said so.
    """
    if _known_names(frame.columns) or frame.empty:
        return frame
    for position in range(min(look, len(frame))):
        row = frame.iloc[position]
        if _known_names(row.tolist()) >= 2:
            header = [str(v) if isinstance(v, str) and v.strip() else f"colonne_{i + 1}" for i, v in enumerate(row)]
            body = frame.iloc[position + 1 :].reset_index(drop=True)
            body.columns = header
            body.attrs = {
                **frame.attrs,
                "read_note": f"{frame.attrs.get('read_note', '')}, en-tête à la ligne "
                f"{position + 2} ({position + 1} ligne(s) de titre au-dessus, ignorées)".lstrip(", "),
            }
            logger.info("header found on row %d below %d title row(s)", position + 2, position + 1)
            return body
    return frame


def detect_columns(frame: pd.DataFrame, columns: dict[str, str] | None = None) -> dict[str, str]:
    """Find the location columns of a table by their usual French and English names.

    Parameters
    ----------
    frame : pandas.DataFrame
    columns : dict, optional
        Explicit role -> column choices, which win over recognition. Roles:
        ``id``, ``code_insee``, ``commune``, ``code_postal``, ``adresse``,
        ``departement``, ``latitude``, ``longitude``, ``x``, ``y``, ``point`` (one
        column holding "latitude, longitude", as open-data portals export).

    Returns
    -------
    dict
        Role -> column name, for the roles found.
    """
    columns = dict(columns or {})
    unknown = set(columns) - set(ROLE_NAMES)
    if unknown:
        raise ArgumentError(
            f"`columns` (--column) has unknown role(s) {sorted(unknown)}; roles are {sorted(ROLE_NAMES)}"
        )
    absent = [c for c in columns.values() if c not in frame.columns]
    if absent:
        raise InputFileError(f"`columns` names column(s) {absent} that the input lacks; it has {list(frame.columns)}")
    normalised: dict[str, str] = {}
    for column in frame.columns:
        normalised.setdefault(normalise_column_name(column), column)
    taken = set(columns.values())
    for role, names in ROLE_NAMES.items():
        if role in columns:
            continue
        found = next((normalised[n] for n in names if n in normalised and normalised[n] not in taken), None)
        if found is not None:
            columns[role] = found
            taken.add(found)
    if not {"point", "latitude", "x"} & set(columns):
        pairs = (normalised[n] for n in POINT_IF_PAIRS if n in normalised and normalised[n] not in taken)
        found = next((c for c in pairs if _mostly_pairs(frame[c])), None)
        if found is not None:
            columns["point"] = found
    if ("latitude" in columns) != ("longitude" in columns) or ("x" in columns) != ("y" in columns):
        raise InputFileError(
            f"only one coordinate column of a pair was found in {list(frame.columns)}; give both, e.g. "
            "columns={'latitude': ..., 'longitude': ...} or {'x': ..., 'y': ...}"
        )
    return columns


_DMS = re.compile(
    r"^\s*(?P<sign>-)?(?P<d>\d+(?:[.,]\d+)?)\s*[°º]\s*(?:(?P<m>\d+(?:[.,]\d+)?)\s*['′’]\s*)?"
    r"(?:(?P<s>\d+(?:[.,]\d+)?)\s*(?:\"|″|''|’’)?\s*)?(?P<h>[NSEOW])?\s*$",
    re.IGNORECASE,
)


def _dms(text: str) -> float:
    match = _DMS.match(text)
    if not match:
        return np.nan
    value = sum(float((match[k] or "0").replace(",", ".")) / f for k, f in (("d", 1), ("m", 60), ("s", 3600)))
    negative = match["sign"] or (match["h"] or "").upper() in ("S", "W", "O")
    return -value if negative else value


def to_degrees(values: pd.Series, *, decimal: str | None = None) -> np.ndarray:
    """Parse angles written as decimals (``50,63``) or degrees-minutes-seconds (``50°37'48"N``).

    West (``W``, French ``O``) and south are negative.
    """
    numbers = to_number(values, decimal=decimal)
    text = values.astype("string")
    dms = np.isnan(numbers) & text.str.contains("°|º", regex=True).fillna(False).to_numpy()
    numbers[dms] = [_dms(t) for t in text[dms]]
    return numbers


_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")


def _mostly_pairs(values: pd.Series) -> bool:
    """Whether most filled values of a column are two numbers ("50.63, 3.06", "50,63;3,06")."""
    filled = values.astype("string").dropna()
    filled = filled[filled.str.strip() != ""].head(1000)
    return bool(len(filled)) and float((filled.map(_NUMBER.findall).map(len) == 2).mean()) >= 0.8


def split_point(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Split "latitude, longitude" text (``"50.63, 3.06"``, ``"50,63;3,06"``) into two arrays."""
    pairs = values.astype("string").fillna("").map(_NUMBER.findall)
    ok = pairs.map(len) == 2
    first = pd.Series([p[0] if k else "" for p, k in zip(pairs, ok)], index=values.index)
    second = pd.Series([p[1] if k else "" for p, k in zip(pairs, ok)], index=values.index)
    return to_number(first), to_number(second)


def read_scheme(
    path: str | Path,
    *,
    code_column: str | None = None,
    territory_column: str | None = None,
    layer: str | None = None,
    sheet: str | int | None = None,
) -> pd.Series:
    """Read and validate a scheme from a file.

    A CSV/TXT or XLSX file, or a GIS table without geometry, is read as a table of
    INSEE code -> territory (:func:`scheme_from_table`); a polygon layer
    (GeoPackage, GeoJSON, Shapefile, FlatGeobuf) assigns communes by town hall
    (:func:`scheme_from_polygons`).
    """
    path = Path(path)
    if path.suffix.lower() in GIS_SUFFIXES:
        frame = read_layer(path, layer=layer)
        if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.notna().any():
            return scheme_from_polygons(frame, territory_column=territory_column)
        return scheme_from_table(pd.DataFrame(frame), code_column=code_column, territory_column=territory_column)
    table = read_table(path, sheet=sheet)
    return scheme_from_table(table, code_column=code_column, territory_column=territory_column)
