"""Text helpers shared by every part: column names and numbers as people write them."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

__all__ = ["normalise_column_name", "repair_surrogates", "to_number"]

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
    """Lower-case ASCII form of a column name: ``"Code INSEE"`` -> ``"code_insee"``."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return "_".join(text.strip().lower().replace("-", " ").split())


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
