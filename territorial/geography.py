"""The embedded reference geography of Nord (59) and Pas-de-Calais (62).

Every function returns a new frame in EPSG:2154 (Lambert-93); the file is read once
per process and cached, so later calls only pay for a copy.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import pandas as pd
import pyogrio

from territorial._errors import InputFileError

logger = logging.getLogger(__name__)
T = TypeVar("T")

GEODATA_NAME = "npdc.gpkg"
CRS = "EPSG:2154"

__all__ = [
    "geodata_path",
    "per_geography",
    "using",
    "checked_geography",
    "communes",
    "town_halls",
    "gazetteer",
    "metadata",
    "zone_labels",
]

#: Environment variable naming another geography (a GeoPackage made by ``geodata/build.py``).
GEOGRAPHY_ENV = "TERRITORIAL_GEOGRAPHY"
REQUIRED_LAYERS = frozenset({"communes", "mairies", "territoires", "gazetteer", "communes_france", "metadonnees"})
#: The geography of the current ``with using(...)`` block (None: the default one).
_selected: ContextVar[Path | None] = ContextVar("territorial_geography", default=None)


def checked_geography(path: str | Path) -> Path:
    """``path`` if it is a geography built by ``geodata/build.py``; a clear error otherwise."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no such geography; build one with `python geodata/build.py "
            "--departements ... --output PATH` or `--france`"
        )
    try:
        layers = {name for name, _ in pyogrio.list_layers(path)}
    except pyogrio.errors.DataSourceError as exc:
        raise InputFileError(
            f"{path} is not a territorial geography (GDAL cannot read it: {exc}); build one with "
            "`python geodata/build.py --departements ... --output PATH`"
        ) from None
    missing = REQUIRED_LAYERS - layers
    if missing:
        raise InputFileError(
            f"{path} is not a territorial geography: it lacks layer(s) {sorted(missing)}; build one with "
            "`python geodata/build.py --departements ... --output PATH`"
        )
    return path


@contextlib.contextmanager
def using(path: str | Path | None) -> Iterator[Path]:
    """Work on another geography (a GeoPackage built by ``geodata/build.py``) inside a ``with`` block.

    ``None`` means the default one (``$TERRITORIAL_GEOGRAPHY`` or the embedded Nord-Pas de
    Calais). The choice is a context variable: it ends with the block, stays in its thread or
    task, and changes nothing for other callers. Cached layers, indexes and schemes are keyed
    by the geography's path (:func:`per_geography`), so nothing is cleared either.

    Examples
    --------
    >>> with using("france.gpkg"):  # doctest: +SKIP
    ...     territorial.communes()
    """
    token = _selected.set(checked_geography(path) if path is not None else None)
    try:
        yield geodata_path()
    finally:
        _selected.reset(token)


def per_geography(maxsize: int = 8) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Cache a function's results per geography file (its path is part of the key).

    Switching geography (:func:`using`, ``$TERRITORIAL_GEOGRAPHY``) needs no cache
    to be cleared: the next call is keyed on the new path. Arguments must be hashable.
    """

    def decorate(func: Callable[..., T]) -> Callable[..., T]:
        @lru_cache(maxsize=maxsize)
        def cached(path: Path, *args: Any) -> T:
            return func(*args)

        @functools.wraps(func)
        def wrapper(*args: Any) -> T:
            return cached(geodata_path(), *args)

        wrapper.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
        wrapper.cache_info = cached.cache_info  # type: ignore[attr-defined]
        return wrapper

    return decorate


def geodata_path() -> Path:
    """Path of the geography in use: :func:`using`'s, ``$TERRITORIAL_GEOGRAPHY``, or the embedded one."""
    chosen = _selected.get() or (Path(os.environ[GEOGRAPHY_ENV]) if os.environ.get(GEOGRAPHY_ENV) else None)
    if chosen is not None:
        if not chosen.is_file():
            raise FileNotFoundError(f"{chosen}: no such geography (from {GEOGRAPHY_ENV} or --geography)")
        return chosen
    packaged = resources.files("territorial").joinpath("_geodata", GEODATA_NAME)
    if packaged.is_file():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parent.parent / "geodata" / GEODATA_NAME
    if checkout.is_file():
        return checkout
    raise FileNotFoundError(
        f"the embedded geography {GEODATA_NAME} is missing from the installed package; "
        "reinstall territorial (`pip install --force-reinstall .`) or rebuild it with "
        "`python geodata/build.py`"
    )


@per_geography(maxsize=32)
def _layer(name: str) -> pd.DataFrame:
    logger.debug("reading layer %s of %s", name, geodata_path())
    frame = pyogrio.read_dataframe(geodata_path(), layer=name)
    if isinstance(frame, gpd.GeoDataFrame):
        frame = frame.to_crs(CRS) if frame.crs != CRS else frame
    return frame


def communes() -> gpd.GeoDataFrame:
    """Current communes of the geography with their polygons, as :func:`territorial.communes` gives them
    without ``scheme`` (no ``territoire`` column): a new frame in EPSG:2154 each call."""
    return _layer("communes").copy()


def town_halls() -> gpd.GeoDataFrame:
    """Town-hall point of every commune, each guaranteed to lie inside its commune.

    Returns
    -------
    geopandas.GeoDataFrame
        ``code_insee``, ``nom``, ``adresse``, ``remplacee`` (True where the source point
        was missing or outside the commune and was replaced by an interior point),
        ``precision`` (``mairie`` or ``point intérieur de la commune``),
        ``motif_remplacement``; points in EPSG:2154.
    """
    return _layer("mairies").copy()


def gazetteer() -> pd.DataFrame:
    """Every name and code a commune of 59/62 is known by.

    Returns
    -------
    pandas.DataFrame
        ``nom`` (empty for an old code whose name the sources do not give), ``code``
        (the INSEE code that name carries or carried), ``type`` (``commune``,
        ``commune_deleguee``, ``commune_associee``, ``ancien_code``), ``code_insee``
        and ``commune`` (the current commune it points to), ``departement``,
        ``codes_postaux``.
    """
    return _layer("gazetteer").copy()


def metadata() -> dict[str, str]:
    """Sources, vintages, licences and totals of the geography in use."""
    table = _layer("metadonnees")
    return dict(zip(table["cle"], table["valeur"]))


def zone_labels() -> dict[str, str]:
    """How messages name the area the geography covers (« Nord et Pas-de-Calais » by default)."""
    meta = metadata()
    return {
        "hors": meta.get("zone_hors", "hors Nord et Pas-de-Calais"),
        "de": meta.get("zone_de", "du Nord ou du Pas-de-Calais"),
        "nom": meta.get("zone_nom", "Nord et Pas-de-Calais"),
    }
