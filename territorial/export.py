"""Writing layers and tables: CSV, GeoPackage, GeoJSON — atomically.

Every write goes to a temporary file in the target folder, renamed into place at the
end, so a reader never sees a half-written file.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from territorial._errors import InputFileError

logger = logging.getLogger(__name__)

__all__ = ["write_table", "write_points"]

WRITERS = {".csv", ".gpkg", ".geojson"}


def _atomic(path: Path, write) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        tmp.unlink()  # GDAL drivers want to create the file themselves
        write(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    logger.info("wrote %s", path)
    return path


def write_table(frame: pd.DataFrame, path: str | Path, *, excel_fr: bool = False) -> Path:
    """Write a table as CSV (UTF-8, ``,``; with ``excel_fr`` UTF-8 with BOM and ``;``)."""
    path = Path(path)
    sep, encoding = (";", "utf-8-sig") if excel_fr else (",", "utf-8")
    return _atomic(path, lambda tmp: frame.to_csv(tmp, sep=sep, index=False, encoding=encoding))


def write_points(frame: gpd.GeoDataFrame, path: str | Path, *, layer: str | None = None) -> Path:
    """Write a point layer; the format follows the extension.

    ``.csv``: the attributes plus ``x``, ``y`` in Lambert-93 (EPSG:2154); ``.gpkg``:
    EPSG:2154; ``.geojson``: EPSG:4326 (RFC 7946).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in WRITERS:
        raise InputFileError(f"cannot write {path.name}: use an output ending in {', '.join(sorted(WRITERS))}")
    if suffix == ".csv":
        l93 = frame.to_crs(2154)
        table = pd.DataFrame(l93.drop(columns=l93.geometry.name)).assign(x=l93.geometry.x.round(2),
                                                                         y=l93.geometry.y.round(2))
        return write_table(table, path)
    if suffix == ".geojson":
        web = frame.to_crs(4326)
        return _atomic(path, lambda tmp: pyogrio.write_dataframe(web, tmp, driver="GeoJSON",
                                                                 layer_options={"RFC7946": "YES"}))
    l93 = frame.to_crs(2154)
    return _atomic(path, lambda tmp: pyogrio.write_dataframe(l93, tmp, driver="GPKG", layer=layer or path.stem))
