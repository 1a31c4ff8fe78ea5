"""Argument checks shared by the public functions."""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import pandas as pd

from territorial._errors import ArgumentError


def check_frame(obj, *, name: str, geo: bool = False) -> None:
    """Raise ``TypeError`` unless ``obj`` is a (Geo)DataFrame."""
    wanted = gpd.GeoDataFrame if geo else pd.DataFrame
    if not isinstance(obj, wanted):
        raise TypeError(
            f"`{name}` must be a {wanted.__name__}, got {type(obj).__name__}"
            + ("; build one with geopandas.GeoDataFrame(df, geometry=..., crs=...)" if geo else "")
        )


def check_columns(frame: pd.DataFrame, columns: Iterable[str], *, name: str) -> None:
    """Raise :class:`ArgumentError` (a ``ValueError``) naming the columns of ``frame`` that are missing."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ArgumentError(
            f"`{name}` lacks column(s) {missing}; it has {list(frame.columns)}. "
            "Rename the columns or name them explicitly."
        )


def check_crs(frame: gpd.GeoDataFrame, *, name: str) -> None:
    """Raise ``ValueError`` if ``frame`` has no CRS."""
    if frame.crs is None:
        raise ValueError(
            f"`{name}` has no CRS; set the one its coordinates are in, e.g. "
            f"{name}.set_crs('EPSG:2154') for Lambert-93 or {name}.set_crs('EPSG:4326') for longitude/latitude"
        )


def normalise_insee_code(value) -> str | None:
    """Return an INSEE commune code as 5-character text, or ``None`` if it is blank.

    Codes that a spreadsheet turned into numbers get their leading zero and lose a
    trailing ``.0``: ``2285`` and ``"2285.0"`` become ``"02285"``. Corsican codes
    (``2A004``) are kept as written, upper-cased.
    """
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip().upper()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    if not text:
        return None
    return text.zfill(5) if text.isdigit() else text
