"""Time: which facilities are open each year, and coverage and equity recomputed year by year.

Facilities may carry an opening date (``date_ouverture``, ``date``, ``annee``...) and a closing
date (``date_fermeture``), in the French forms :func:`territorial._text.read_dates` reads. A
facility counts in a year when it opened by the 31 December and had not closed by then.
Undated facilities are kept and said: counted in every year (``undated="count"``, the
default) or left out (``undated="exclude"``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import numpy as np
import pandas as pd

from territorial import coverage, geography
from territorial._errors import ArgumentError
from territorial._text import check_undated, find_column, open_on, read_dates
from territorial.balance import theil
from territorial.kinds import normalise_kind

logger = logging.getLogger(__name__)

__all__ = [
    "OPENING_COLUMNS",
    "CLOSING_COLUMNS",
    "PLAN_YEARS",
    "facility_dates",
    "evolution",
    "commune_distances",
    "open_in",
    "has_dates",
]

#: Columns read as a facility's opening date, first found wins (normalised names).
OPENING_COLUMNS = (
    "date_ouverture",
    "ouverture",
    "date_d_ouverture",
    "date_mise_en_service",
    "date_de_mise_en_service",
    "annee_ouverture",
    "annee_d_ouverture",
    "date",
    "annee",
)
#: Columns read as a facility's closing date.
CLOSING_COLUMNS = ("date_fermeture", "fermeture", "date_de_fermeture")
#: The years of the contract.
PLAN_YEARS = tuple(range(2000, 2007))
EVOLUTION_COLUMNS = [
    "annee",
    "kind",
    "territoire",
    "nombre",
    "nouveaux",
    "fermes",
    "sans_date",
    "dates_inutilisables",
    "part_pop_couverte",
    "distance_moyenne_km",
    "theil",
]


def has_dates(facilities: pd.DataFrame) -> bool:
    """Whether ``facilities`` has an opening or a closing date column (see :data:`OPENING_COLUMNS`)."""
    return find_column(facilities, OPENING_COLUMNS) is not None or find_column(facilities, CLOSING_COLUMNS) is not None


def facility_dates(facilities: pd.DataFrame) -> pd.DataFrame:
    """Each facility's opening and closing dates (NaT where not given), and what was wrong with them.

    A written date that cannot be read (``31/02/2003``, ``n/a``), or a closing before the opening,
    leaves the facility undated (both dates NaT): it is then counted as :func:`evolution`'s
    ``undated`` says, and ``probleme_date`` says why.

    Returns
    -------
    pandas.DataFrame
        ``ouverture``, ``fermeture`` (Timestamps), ``date_illisible`` (bool), ``probleme_date``
        (French text, empty when none), aligned on ``facilities``.
    """
    dates, problems = {}, pd.Series("", index=facilities.index, dtype="object")
    for name, columns in (("ouverture", OPENING_COLUMNS), ("fermeture", CLOSING_COLUMNS)):
        column = find_column(facilities, columns)
        if column is None:
            dates[name] = pd.Series(pd.NaT, index=facilities.index, dtype="datetime64[ns]")
            continue
        dates[name] = read_dates(facilities[column])
        written = facilities[column].astype("string").fillna("").str.strip()
        unreadable = (written.ne("") & dates[name].isna()).to_numpy()
        problems[unreadable & (problems == "")] = f"{column} illisible : " + written[unreadable]
    backwards = (dates["fermeture"] < dates["ouverture"]).to_numpy()
    problems[backwards & (problems == "")] = "fermeture avant l'ouverture"
    wrong = (problems != "").to_numpy()
    for name in dates:
        dates[name] = dates[name].mask(wrong)
    return pd.DataFrame({**dates, "date_illisible": wrong, "probleme_date": problems}, index=facilities.index)


def open_in(facilities: pd.DataFrame, year: int, *, undated: str = "count") -> np.ndarray:
    """Which facilities are open on 31 December of ``year`` (a boolean mask aligned on ``facilities``).

    Raises
    ------
    ArgumentError
        When ``facilities`` has no opening or closing date column: a year cannot be told apart from another.
    """
    check_undated(undated)
    if not has_dates(facilities):
        raise ArgumentError(
            f"the facilities have no date to tell which were open in {year}: add a column "
            f"{OPENING_COLUMNS[0]} (and {CLOSING_COLUMNS[0]} for closures), or do not ask for a year"
        )
    return _open_at(facility_dates(facilities), year, undated=undated)


def _open_at(dates: pd.DataFrame, year: int, *, undated: str) -> np.ndarray:
    """Which facilities are open on 31 December of ``year``."""
    end = pd.Timestamp(year=year, month=12, day=31)
    return open_on(dates["ouverture"], dates["fermeture"], end, undated=undated)


def _town_halls(communes: pd.DataFrame) -> np.ndarray:
    """Town-hall coordinates (Lambert-93) of ``communes``, in their order: where distances start."""
    halls = geography.town_halls().set_index("code_insee").geometry.reindex(communes["code_insee"])
    return np.column_stack([halls.x.to_numpy(), halls.y.to_numpy()])


def _nearest(origins: np.ndarray, points: pd.DataFrame, *, detour: float) -> np.ndarray:
    """Distance (m) from each origin to the nearest of ``points`` (infinite when there is none)."""
    if not len(points):
        return np.full(len(origins), np.inf)
    xy = np.column_stack([points.geometry.x.to_numpy(), points.geometry.y.to_numpy()])
    return coverage.nearest_distance(origins, xy, detour=detour)[0]


def _groups(territory: np.ndarray, names: list[str]) -> list[tuple[str, np.ndarray]]:
    """Each territory of ``names`` and the region, with the mask of the rows (communes or facilities) in it."""
    return [(name, territory == name) for name in names] + [("Région", np.ones(len(territory), dtype=bool))]


def _by_territory(
    table: pd.DataFrame, names: list[str], covered: np.ndarray, distance_km: np.ndarray, counts: np.ndarray
) -> list[dict]:
    """Coverage, mean distance and Theil per territory and for the region, from one year's commune columns."""
    rows = []
    for name, mask in _groups(table["territoire"].to_numpy(), names):
        population = table["population"].to_numpy()[mask]
        total = population.sum()
        finite = np.isfinite(distance_km[mask])
        rows.append(
            {
                "territoire": name,
                "part_pop_couverte": float((population * covered[mask]).sum() / total) if total else np.nan,
                "distance_moyenne_km": float(np.average(distance_km[mask], weights=population))
                if finite.all() and total
                else np.nan,
                "theil": theil(counts[mask], population).total if counts[mask].sum() else np.nan,
            }
        )
    return rows


def evolution(
    facilities: pd.DataFrame,
    analysis,
    *,
    years: Iterable[int] = PLAN_YEARS,
    undated: str = "count",
) -> pd.DataFrame:
    """Facilities open at the end of each year, by kind and territory, with coverage and equity that year.

    Parameters
    ----------
    facilities : geocoded facilities (``kind``, ``code_insee``, points in a projected CRS), with
        their dates in any of :data:`OPENING_COLUMNS` / :data:`CLOSING_COLUMNS`.
    analysis : :class:`territorial.Analysis` of the same facilities: its communes (territory,
        population), radii and detour factor.
    years : the years to report (default 2000-2006).
    undated : ``"count"`` (undated facilities are open every year) or ``"exclude"``.

    Raises
    ------
    ArgumentError
        When ``facilities`` has no date column at all.

    Returns
    -------
    pandas.DataFrame
        One row per year, kind and territory (and ``Région``): ``nombre`` (open on 31 December),
        ``nouveaux`` (opened that year), ``fermes`` (closed that year, among those counted),
        ``sans_date`` (undated ones, counted or left out as ``undated`` says), ``dates_inutilisables``
        (among them, those whose written dates are unreadable or close before they open: see
        :func:`facility_dates`; listed in the log), ``part_pop_couverte`` (population whose town hall is within the
        kind's radius of an open facility), ``distance_moyenne_km`` (population-weighted mean
        distance to the nearest open one), ``theil`` (Theil index of open facilities against
        population, over the territory's communes).
    """
    check_undated(undated)
    dates = _checked_dates(facilities, undated=undated)
    table = analysis.communes[["code_insee", "territoire", "population"]].reset_index(drop=True)
    origins = _town_halls(table)
    kinds_of = facilities["kind"].map(normalise_kind)
    position = pd.Series(np.arange(len(table)), index=table["code_insee"])
    territory = table.set_index("code_insee")["territoire"].reindex(facilities["code_insee"]).to_numpy()
    names = sorted(table["territoire"].unique())
    rows = []
    for kind in analysis.kinds:
        mine = (kinds_of == kind).to_numpy()
        radius_m = analysis.radii_km[kind] * 1000
        for year in years:
            open_now = mine & _open_at(dates, year, undated=undated)
            points = facilities[open_now]
            counts = np.bincount(position.reindex(points["code_insee"]).to_numpy(), minlength=len(table))
            distance = _nearest(origins, points, detour=analysis.detour)
            per_territory = _by_territory(table, names, distance <= radius_m, distance / 1000, counts)
            events = _events(dates[mine], territory[mine], open_now[mine], names, year, undated=undated)
            for row in per_territory:
                rows.append({"annee": year, "kind": kind, **row, **events[row["territoire"]]})
    return pd.DataFrame(rows)[EVOLUTION_COLUMNS]


def commune_distances(
    facilities: pd.DataFrame,
    analysis,
    *,
    kind: str,
    years: Iterable[int] = PLAN_YEARS,
    undated: str = "count",
) -> pd.DataFrame:
    """Distance (km) from each commune's town hall to the nearest facility of ``kind`` open at the end of each year.

    The same distances as :func:`evolution` averages (same facilities open, same detour factor);
    infinite in a year when none is open.

    Returns
    -------
    pandas.DataFrame
        Index ``code_insee`` (the analysis' communes, in order), one column per year.
    """
    check_undated(undated)
    table = analysis.communes[["code_insee"]].reset_index(drop=True)
    origins = _town_halls(table)
    dates = facility_dates(facilities)
    mine = (facilities["kind"].map(normalise_kind) == normalise_kind(kind)).to_numpy()
    columns = {
        year: _nearest(origins, facilities[mine & _open_at(dates, year, undated=undated)], detour=analysis.detour)
        / 1000
        for year in years
    }
    return pd.DataFrame(columns, index=pd.Index(table["code_insee"], name="code_insee"))


def _checked_dates(facilities: pd.DataFrame, *, undated: str) -> pd.DataFrame:
    """:func:`facility_dates`, refused without any date column, and its problems said in the log."""
    if not has_dates(facilities):
        raise ArgumentError(
            f"the facilities have no date to follow year by year: add a column {OPENING_COLUMNS[0]} "
            f"(and {CLOSING_COLUMNS[0]} for closures), in any of the forms 15/06/2003, 2003-06-15, juin 2003, "
            "2003; or do not ask for years (--by-year, [time])"
        )
    dates = facility_dates(facilities)
    wrong = dates[dates["date_illisible"]]
    if len(wrong):
        shown = "; ".join(f"ligne {i}: {p}" for i, p in wrong["probleme_date"].head(5).items())
        logger.warning(
            "%d facilities have dates that cannot be used, taken as undated (%s): %s%s",
            len(wrong),
            "counted every year" if undated == "count" else "left out",
            shown,
            " …" if len(wrong) > 5 else "",
        )
    return dates


def _events(
    dates: pd.DataFrame, territory: np.ndarray, is_open: np.ndarray, names: list[str], year: int, *, undated: str
) -> dict:
    """Per territory (and Région): facilities open at the end of ``year``, opened and closed during it, undated.

    A closing counts only for a facility that was counted (dated, or undated with ``undated="count"``).
    """
    opened = dates["ouverture"].dt.year.eq(year).to_numpy()
    no_date = dates["ouverture"].isna().to_numpy()
    closed = (dates["fermeture"].dt.year.eq(year).to_numpy()) & (~no_date | (undated == "count"))
    unusable = dates["date_illisible"].to_numpy()
    return {
        name: {
            "nombre": int(is_open[mask].sum()),
            "nouveaux": int(opened[mask].sum()),
            "fermes": int(closed[mask].sum()),
            "sans_date": int(no_date[mask].sum()),
            "dates_inutilisables": int(unusable[mask].sum()),
        }
        for name, mask in _groups(territory, names)
    }
