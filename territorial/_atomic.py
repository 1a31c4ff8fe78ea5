"""Writing files whole or not at all, and the point tables written as CSV.

Every file of the tool is written through :func:`atomic_write`: into a temporary file in
the target folder, renamed into place at the end, so that a reader never sees half a file.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd

logger = logging.getLogger(__name__)

__all__ = ["atomic_write", "points_table"]


def atomic_write(path: Path, write: Callable[[Path], object]) -> Path:
    """Write through a temporary file in the target folder, renamed into place at the end."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        tmp.unlink()  # GDAL drivers want to create the file themselves
        write(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    logger.info("wrote %s", path)
    return path


def points_table(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    """The attributes of a point layer plus ``x``, ``y`` in Lambert-93 (EPSG:2154), rounded to the centimetre."""
    l93 = frame.to_crs(2154)
    return pd.DataFrame(l93.drop(columns=l93.geometry.name)).assign(
        x=l93.geometry.x.round(2), y=l93.geometry.y.round(2)
    )
