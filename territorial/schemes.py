"""Territory schemes: the default ``cper2000`` grouping and user-supplied ones.

A scheme is a ``pandas.Series`` named ``territoire``, indexed by current INSEE code,
that assigns every commune of Nord and Pas-de-Calais to exactly one territory. It
comes from the default grouping of arrondissements, from a table (code -> territory)
or from a polygon layer (each commune goes where its town hall lies).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TypeAlias

import geopandas as gpd
import pandas as pd

from territorial import geography
from territorial._errors import ArgumentError, InputFileError, SchemeError
from territorial._text import normalise_column_name
from territorial._validate import (
    check_columns,
    check_crs,
    check_frame,
    normalise_insee_code,
)

logger = logging.getLogger(__name__)

__all__ = [
    "CPER2000_ARRONDISSEMENTS",
    "communes",
    "CPER2000_TERRITORIES",
    "default_scheme",
    "scheme_from_table",
    "scheme_from_polygons",
    "validate_scheme",
    "resolve_scheme",
    "territories",
]

DEFAULT_SCHEME = "cper2000"
#: What a ``scheme`` argument may be: ``"cper2000"``, a mapping or series INSEE code -> territory,
#: a table (code, territory) or a polygon layer (see :func:`resolve_scheme`).
SchemeLike: TypeAlias = "str | Mapping[str, str] | pd.Series | pd.DataFrame | gpd.GeoDataFrame"

#: Default scheme of the CPER 2000-2006: territory of each arrondissement (INSEE code).
CPER2000_ARRONDISSEMENTS: dict[str, str] = {
    "595": "Métropole",
    "594": "Littoral",
    "623": "Littoral",
    "626": "Littoral",
    "624": "Littoral",
    "625": "Littoral",
    "593": "Bassin Minier",
    "596": "Bassin Minier",
    "622": "Bassin Minier",
    "627": "Bassin Minier",
    "591": "Sud Nord",
    "592": "Sud Nord",
    "621": "Artois-Ternois",
}
#: The five territories of the default scheme, in the plan's order.
CPER2000_TERRITORIES: tuple[str, ...] = (
    "Métropole",
    "Littoral",
    "Bassin Minier",
    "Sud Nord",
    "Artois-Ternois",
)

CODE_COLUMNS = ("code_insee", "insee", "codgeo", "code_commune", "code_commune_insee", "citycode", "depcom", "com")
TERRITORY_COLUMNS = ("territoire", "territory", "zone", "groupe", "group", "secteur")


@geography.per_geography(maxsize=4)
def _default_scheme() -> pd.Series:
    frame = geography.communes()
    if geography.metadata().get("schema_defaut", DEFAULT_SCHEME) != DEFAULT_SCHEME:
        # another geography than Nord-Pas de Calais: its territories are its départements
        scheme = frame["departement_nom"].copy()
        scheme.index = pd.Index(frame["code_insee"], name="code_insee")
        return validate_scheme(scheme.rename("territoire"))
    scheme = frame["arrondissement"].map(CPER2000_ARRONDISSEMENTS)
    scheme.index = pd.Index(frame["code_insee"], name="code_insee")
    return validate_scheme(scheme.rename("territoire"))


def default_scheme() -> pd.Series:
    """The default scheme: ``cper2000`` (INSEE code -> territory, from the commune's arrondissement)
    on the embedded geography; the départements on a geography built for other départements."""
    return _default_scheme().copy()


def validate_scheme(scheme: pd.Series, *, name: str = "scheme") -> pd.Series:
    """Check that a scheme assigns every current commune of 59/62 exactly once.

    Parameters
    ----------
    scheme : pandas.Series
        Territory names indexed by INSEE code. Codes are normalised (``59350.0`` ->
        ``59350``); territory names are stripped.
    name : str
        How the scheme is called in error messages.

    Returns
    -------
    pandas.Series
        A new series named ``territoire``, indexed by ``code_insee`` in code order.

    Raises
    ------
    SchemeError
        Listing every code without a territory, given more than once, or unknown
        (old codes are named with the commune they now belong to).
    """
    if not isinstance(scheme, pd.Series):
        raise TypeError(
            f"`{name}` must be a pandas Series of territory names indexed by INSEE code, got {type(scheme).__name__}"
        )
    codes = pd.Index([normalise_insee_code(c) for c in scheme.index], name="code_insee")
    values = scheme.astype("string").str.strip().to_numpy()
    scheme = pd.Series(values, index=codes, name="territoire", dtype="string")
    scheme = scheme[scheme.index.notna()]
    reference = geography.communes().set_index("code_insee")["nom"]

    if not scheme.index.isin(reference.index).any():
        shown = [str(c) for c in scheme.index[:3]] or ["(none)"]
        raise ArgumentError(
            f"`{name}` assigns none of the {len(reference)} communes of the geography in use: its codes "
            f"({', '.join(shown)}...) are not INSEE codes of it. Name the column of INSEE codes and the column of "
            "territories (code_column=, territory_column=; CLI: --code-column, --territory-column)"
        )
    blank = scheme.isna() | (scheme == "")
    duplicated = scheme.index[scheme.index.duplicated()].unique()
    unknown = scheme.index.difference(reference.index)
    missing = reference.index.difference(scheme.index[~blank])
    problems = []
    if len(missing):
        problems.append(
            f"{len(missing)} commune(s) without a territory: " + _first([f"{c} {reference[c]}" for c in missing])
        )
    if len(duplicated):
        problems.append(
            f"{len(duplicated)} code(s) given more than once: "
            + _first([f"{c} {reference.get(c, '')}".strip() for c in duplicated])
        )
    if len(unknown):
        problems.append(
            f"{len(unknown)} code(s) that are not current communes of the geography in use: "
            + _first(_describe_unknown(unknown[:SHOWN]), total=len(unknown))
        )
    if problems:
        raise SchemeError(
            f"`{name}` must assign every one of the {len(reference)} communes of the geography in use to "
            "exactly one territory. "
            + "; ".join(problems)
            + ". Fix these rows (current INSEE codes are listed by territorial.communes()).",
            missing=list(missing),
            duplicated=list(duplicated),
            unknown=list(unknown),
        )
    return scheme.sort_index()


#: How many faulty codes of each kind a message names (the error's attributes hold them all).
SHOWN = 30


def _first(items: list[str], *, total: int | None = None) -> str:
    """The first :data:`SHOWN` items, and how many more there are."""
    total = len(items) if total is None else total
    more = f" and {total - SHOWN} more (all in the error's `missing`, `duplicated`, `unknown`)" if total > SHOWN else ""
    return ", ".join(items[:SHOWN]) + more


def _describe_unknown(codes) -> list[str]:
    gaz = geography.gazetteer()
    old = gaz[gaz["type"] != "commune"].drop_duplicates("code").set_index("code")
    out = []
    for code in codes:
        if code in old.index:
            row = old.loc[code]
            label = f"{row['nom']}, " if isinstance(row["nom"], str) else ""
            out.append(f"{code} ({label}an old code of {row['commune']} {row['code_insee']}: use {row['code_insee']})")
        else:
            out.append(str(code))
    return out


def _find_column(columns, wanted: tuple[str, ...]) -> str | None:
    normalised = {normalise_column_name(c): c for c in columns}
    return next((normalised[w] for w in wanted if w in normalised), None)


def scheme_from_table(
    table: pd.DataFrame, *, code_column: str | None = None, territory_column: str | None = None
) -> pd.Series:
    """Build and validate a scheme from a table of INSEE code -> territory.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per commune.
    code_column, territory_column : str, optional
        Column names; by default recognised among usual names (``code_insee``,
        ``insee``, ``codgeo``... and ``territoire``, ``territory``, ``zone``...), or
        taken as the only two columns of the table.

    Returns
    -------
    pandas.Series
        The validated scheme (see :func:`validate_scheme`).
    """
    check_frame(table, name="table")
    code_column = code_column or _find_column(table.columns, CODE_COLUMNS)
    territory_column = territory_column or _find_column(table.columns, TERRITORY_COLUMNS)
    if (code_column is None or territory_column is None) and len(table.columns) == 2:
        looks_like_code = [
            table[c].map(normalise_insee_code).str.fullmatch(r"\d{5}|2[AB]\d{3}").mean() for c in table.columns
        ]
        first, second = table.columns if looks_like_code[0] >= looks_like_code[1] else table.columns[::-1]
        code_column, territory_column = code_column or first, territory_column or second
    if code_column is None or territory_column is None:
        raise InputFileError(
            f"cannot tell which columns hold the INSEE code and the territory among {list(table.columns)}; "
            "name them with code_column= and territory_column= (CLI: --code-column, --territory-column)"
        )
    for option, column in (("code_column", code_column), ("territory_column", territory_column)):
        if column not in table.columns:
            raise ArgumentError(
                f"{option} (--{option.replace('_', '-')}) {column!r} is not a column of the scheme; "
                f"its columns are {list(table.columns)}"
            )
    series = pd.Series(table[territory_column].to_numpy(), index=table[code_column].to_numpy())
    return validate_scheme(series, name=f"scheme table ({code_column} -> {territory_column})")


def scheme_from_polygons(zones: gpd.GeoDataFrame, *, territory_column: str | None = None) -> pd.Series:
    """Build and validate a scheme from territory polygons: each commune goes where its town hall lies.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        Polygons with a territory name column and a CRS.
    territory_column : str, optional
        Column holding the territory name (default: recognised by name, or the only
        text column).

    Returns
    -------
    pandas.Series
        The validated scheme.

    Raises
    ------
    SchemeError
        Naming the communes whose town hall lies in no polygon or in several.
    """
    check_frame(zones, name="zones", geo=True)
    check_crs(zones, name="zones")
    if territory_column is None:
        territory_column = _find_column(zones.columns, TERRITORY_COLUMNS)
        text = [c for c in zones.columns if c != zones.geometry.name and zones[c].dtype.kind in "OUT"]
        if territory_column is None and len(text) == 1:
            territory_column = text[0]
    if territory_column is None:
        raise InputFileError(
            f"cannot tell which column of the polygon layer names the territory among {list(zones.columns)}; "
            "name it with territory_column= (CLI: --territory-column)"
        )
    check_columns(zones, [territory_column], name="zones")
    halls = geography.town_halls()[["code_insee", "geometry"]]
    zones = zones[[territory_column, zones.geometry.name]].to_crs(halls.crs)
    joined = gpd.sjoin(halls, zones, how="left", predicate="within")
    series = pd.Series(joined[territory_column].to_numpy(), index=joined["code_insee"].to_numpy())
    return validate_scheme(series, name=f"polygon scheme ({territory_column}, by town hall)")


def resolve_scheme(scheme: SchemeLike = DEFAULT_SCHEME) -> pd.Series:
    """Turn any accepted scheme argument into a validated scheme series.

    Parameters
    ----------
    scheme : str, path, pandas.Series, dict, DataFrame or GeoDataFrame
        ``"cper2000"`` (the default), a mapping or series INSEE code -> territory, a table
        or a polygon layer. A file is read first with :func:`territorial.read_scheme`.
    """
    if isinstance(scheme, str) and scheme.lower() == DEFAULT_SCHEME:
        return default_scheme()
    if isinstance(scheme, (str, Path)):
        raise TypeError(
            f"`scheme` {str(scheme)!r} is not 'cper2000': read a scheme file first with "
            "territorial.read_scheme(path) and pass its result (--scheme FILE on the command line)"
        )
    if isinstance(scheme, gpd.GeoDataFrame):
        return scheme_from_polygons(scheme)
    if isinstance(scheme, pd.DataFrame):
        return scheme_from_table(scheme)
    if isinstance(scheme, pd.Series):
        return validate_scheme(scheme)
    if isinstance(scheme, Mapping):
        return validate_scheme(pd.Series(dict(scheme), dtype="object"))
    raise TypeError(
        f"`scheme` must be 'cper2000', a Series/dict INSEE code -> territory, a DataFrame "
        f"or a GeoDataFrame of polygons; got {type(scheme).__name__}"
    )


def communes(*, scheme: SchemeLike = DEFAULT_SCHEME) -> gpd.GeoDataFrame:
    """Current communes of Nord and Pas-de-Calais with their polygons and their territory.

    Parameters
    ----------
    scheme : str, DataFrame, GeoDataFrame, Series, dict or None, default "cper2000"
        Territory scheme whose ``territoire`` column is added (see :func:`resolve_scheme`);
        ``None`` adds none.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per commune (1,534), EPSG:2154: ``code_insee`` (text), ``nom``,
        ``departement``, ``departement_nom``, ``arrondissement``, ``arrondissement_nom``,
        ``epci_siren``, ``epci_nom``, ``population`` (population municipale),
        ``codes_postaux`` (``;``-separated), ``area_km2``, ``note_geometrie`` (non-empty
        where the source polygon was repaired), and ``territoire`` unless ``scheme`` is None.
    """
    frame = geography.communes()
    if scheme is None:
        return frame
    return frame.assign(territoire=frame["code_insee"].map(resolve_scheme(scheme)))


def territories(scheme: SchemeLike = DEFAULT_SCHEME) -> gpd.GeoDataFrame:
    """Territories of a scheme, dissolved from their communes, with their totals.

    Parameters
    ----------
    scheme : see :func:`resolve_scheme`, default "cper2000"

    Returns
    -------
    geopandas.GeoDataFrame
        One row per territory, EPSG:2154: ``territoire``, ``population``,
        ``area_km2``, ``n_communes``, ``densite`` (inhabitants per km²), polygon.
        The default scheme comes in the plan's order, others by name.
    """
    if isinstance(scheme, str) and scheme.lower() == DEFAULT_SCHEME:
        frame = geography._layer("territoires")
        if set(frame["territoire"]) <= set(CPER2000_TERRITORIES):
            order = pd.Categorical(frame["territoire"], categories=CPER2000_TERRITORIES, ordered=True).argsort()
        else:
            order = frame["territoire"].argsort()
        return frame.iloc[order].reset_index(drop=True)
    resolved = resolve_scheme(scheme)
    return _dissolve(tuple(resolved.items())).copy()


@geography.per_geography(maxsize=8)
def _dissolve(pairs: tuple[tuple[str, str], ...]) -> gpd.GeoDataFrame:
    logger.info("dissolving %d communes into territories", len(pairs))
    frame = geography.communes()
    frame["territoire"] = frame["code_insee"].map(dict(pairs))
    out = frame.dissolve(
        by="territoire", aggfunc={"population": "sum", "area_km2": "sum", "code_insee": "count"}
    ).rename(columns={"code_insee": "n_communes"})
    out["densite"] = (out["population"] / out["area_km2"]).round(1)
    return out.reset_index()[["territoire", "population", "area_km2", "n_communes", "densite", "geometry"]]
