"""Text helpers shared by every part: column names and numbers as people write them."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from territorial._errors import ArgumentError

__all__ = ["find_column", "normalise_column_name", "read_dates", "repair_surrogates", "to_number"]

_ESCAPED_BYTES = re.compile("[\udc80-\udcff]+")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def repair_surrogates(text: str) -> str:
    """Text that can be written as UTF-8: bytes that were not UTF-8 read back as Windows-1252.

    Python hands over undecodable bytes (a command-line argument typed in a Latin-1
    terminal, a file name) as lone surrogates ``\\udc80``-``\\udcff``; they are decoded as
    cp1252 (``b"\\xe9"`` -> ``é``), and any other lone surrogate becomes U+FFFD.
    """
    if not _LONE_SURROGATE.search(text):
        return text
    text = _ESCAPED_BYTES.sub(lambda m: bytes(ord(c) - 0xDC00 for c in m.group(0)).decode("cp1252", "replace"), text)
    return _LONE_SURROGATE.sub("\ufffd", text)


def normalise_column_name(name: object) -> str:
    """Lower-case ASCII form of a column name: ``"Code INSEE"`` -> ``"code_insee"``,
    ``"Date d'ouverture"`` -> ``"date_d_ouverture"`` (any run of other characters is one ``_``)."""
    text = unicodedata.normalize("NFKD", str(name).replace("\u2019", "'")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def find_column(frame: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    """The first column of ``frame`` whose normalised name is one of ``names`` (None if none is)."""
    normalised = {normalise_column_name(c): c for c in frame.columns}
    return next((normalised[n] for n in names if n in normalised), None)


def to_number(values: pd.Series, *, decimal: str | None = None) -> np.ndarray:
    """Parse numbers written the French or the English way: ``"50,63"``, ``"1 234,5"``, ``"3.05"``.

    Unreadable values become NaN. With ``decimal=None`` a lone comma is a decimal separator;
    with both, the last one is (``"20.000,50"``, ``"20,000.50"``); a separator repeated between
    groups of three digits separates thousands (``"1.234.567"``). With ``decimal=","`` dots are
    thousands separators, with ``"."`` commas are.
    """
    text = values.astype("string").str.strip().str.replace(r"[\s\u202f\xa0']", "", regex=True)
    if decimal == ",":
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    elif decimal == ".":
        text = text.str.replace(",", "", regex=False)
    else:
        # both separators: the last one is the decimal separator (« 20.000,50 », « 20,000.50 »)
        comma_last = text.str.rfind(",") > text.str.rfind(".")
        both = text.str.contains(",", regex=False) & text.str.contains(".", regex=False)
        text = text.where(~(both & comma_last), text.str.replace(".", "", regex=False))
        text = text.where(~(both & ~comma_last), text.str.replace(",", "", regex=False))
        # a separator repeated between groups of three digits is a thousands separator (« 1.234.567 »)
        grouped = text.str.fullmatch(r"-?\d{1,3}(?:([.,])\d{3})(?:\1\d{3})+", na=False)
        text = text.where(~grouped, text.str.replace(r"[.,]", "", regex=True))
        lone_comma = text.str.contains(",", regex=False) & ~text.str.contains(".", regex=False)
        text = text.where(~lone_comma, text.str.replace(",", ".", regex=False))
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


_MONTHS = {
    m: i
    for i, names in enumerate(
        (
            ("janvier", "janv"),
            ("fevrier", "fevr", "fev"),
            ("mars",),
            ("avril", "avr"),
            ("mai",),
            ("juin",),
            ("juillet", "juil"),
            ("aout",),
            ("septembre", "sept"),
            ("octobre", "oct"),
            ("novembre", "nov"),
            ("decembre", "dec"),
        ),
        start=1,
    )
    for m in names
}


def read_dates(values: pd.Series) -> pd.Series:
    """Dates as written in French files, to the day; NaT where unreadable.

    ``15/06/2003`` (day first), ``2003-06-15`` (ISO, also with a time), ``2003/06/15``,
    ``15 juin 2003`` or ``1er juin 2003``; ``2003-06`` or ``06/2003`` or ``juin 2003`` (the first
    of the month); ``2003`` or ``2003.0`` (its 1 January). Impossible dates (``31/02/2003``) are NaT.
    Each distinct text is read once (a column of dates repeats few of them).
    """
    codes, uniques = pd.factorize(values.astype("string"), use_na_sentinel=True)
    found = _read_distinct_dates(pd.Series(uniques, dtype="string"))
    read = found.reindex(codes)  # position -1 (a missing cell) is no distinct text: NaT
    return pd.Series(read.to_numpy(), index=values.index, dtype="datetime64[ns]")


def _read_distinct_dates(values: pd.Series) -> pd.Series:
    """:func:`read_dates` on distinct texts."""
    text = values.astype("string").fillna("").str.strip().str.lower()
    plain = text.map(lambda t: unicodedata.normalize("NFKD", t).encode("ascii", "ignore").decode())
    found = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    iso = plain.str.match(r"^\d{4}-\d{2}-\d{2}")
    found[iso] = pd.to_datetime(plain[iso].str[:10], format="%Y-%m-%d", errors="coerce")
    year = plain.str.extract(r"^((?:19|20)\d\d)(?:\.0+)?$")[0]
    found = found.fillna(pd.to_datetime(year + "-01-01", format="%Y-%m-%d", errors="coerce"))
    forms = [
        plain.str.extract(r"^(?P<y>\d{4})-(?P<m>\d{1,2})$"),
        plain.str.extract(r"^(?P<m>\d{1,2})/(?P<y>(?:19|20)\d\d)$"),
        plain.str.extract(r"^(?P<name>[a-z]+)\.?\s+(?P<y>(?:19|20)\d\d)$"),
        plain.str.extract(r"^(?P<d>\d{1,2})(?:er)?\s+(?P<name>[a-z]+)\.?\s+(?P<y>(?:19|20)\d\d)$"),
        plain.str.extract(r"^(?P<y>(?:19|20)\d\d)/(?P<m>\d{1,2})/(?P<d>\d{1,2})$"),
    ]
    for parts in forms:
        month = parts["name"].map(_MONTHS).astype("Int64") if "name" in parts else parts["m"].astype("Int64")
        day = parts["d"] if "d" in parts else pd.Series("1", index=parts.index)
        written = parts["y"] + "-" + month.astype("string").str.zfill(2) + "-" + day.str.zfill(2)
        found = found.fillna(pd.to_datetime(written, format="%Y-%m-%d", errors="coerce"))
    rest = found.isna() & plain.str.match(r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}$")
    found[rest] = pd.to_datetime(plain[rest], errors="coerce", dayfirst=True, format="mixed")
    return found.dt.normalize()


def check_undated(undated: str) -> None:
    """Refuse an ``undated`` option that is neither ``"count"`` nor ``"exclude"``, naming both."""
    if undated not in ("count", "exclude"):
        raise ArgumentError(f"`undated` must be 'count' or 'exclude' (--undated on the command line), not {undated!r}")


def open_on(opened: pd.Series, closed: pd.Series, day: pd.Timestamp, *, undated: str = "count") -> np.ndarray:
    """Which places are open on ``day``: opened by then (or undated, with ``undated="count"``) and not closed."""
    started = opened.le(day) | (opened.isna() & (undated == "count"))
    return (started & (closed.isna() | closed.gt(day))).to_numpy()
