"""Spatial-balance analysis of facilities by commune, EPCI, territory, département and region.

:func:`analyse` takes geocoded facilities (a GeoDataFrame in Lambert-93 with
``code_insee`` and a kind) and returns every indicator of SPEC §5 as frames:
counts and densities, distance to the nearest facility, coverage within a radius
(town-hall and area-share methods), under-served communes, capacity-aware
accessibility (2SFCA, enhanced 2SFCA), equity (Theil and its decomposition, Gini,
coefficient of variation, Lorenz curve), fair share of a target and spatial
autocorrelation (Moran's I, LISA).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from territorial import balance, coverage, geography, schemes
from territorial._errors import ArgumentError
from territorial._format import fr_number, fr_share, html_table, upper_first
from territorial._validate import check_columns, check_crs, check_frame
from territorial.columns import column
from territorial.kinds import normalise_kind, system_label
from territorial.schemes import CPER2000_TERRITORIES, SchemeLike

logger = logging.getLogger(__name__)

__all__ = ["Analysis", "analyse", "normalise_kind", "radius_for", "DEFAULT_RADII_KM", "DEFAULT_TARGETS"]

#: Default coverage radius per kind, km (any other kind: OTHER_RADIUS_KM).
DEFAULT_RADII_KM = {"cyber_centre": 5.0, "broadband_access_point": 3.0}
OTHER_RADIUS_KM = 5.0
#: Targets of the plan (priority 10, objective 44): 200 cyber-centres by the end of 2002.
DEFAULT_TARGETS = {"cyber_centre": 200}
LISA_LABELS = {
    1: "éloigné entouré d'éloignés (zone mal desservie)",
    2: "proche entouré d'éloignés",
    3: "proche entouré de proches (zone bien desservie)",
    4: "éloigné entouré de proches",
}


def radius_for(kind: str, radii_km: dict[str, float] | None = None) -> float:
    """Coverage radius of a kind in km: the given one, else the default."""
    radii_km = radii_km or {}
    return float(radii_km.get(kind, DEFAULT_RADII_KM.get(kind, OTHER_RADIUS_KM)))


@dataclass
class Analysis:
    """Every indicator of one analysis, as frames (see :func:`analyse`), and the options that made it.

    ``detour`` is the factor applied to straight-line distances; ``capacity_column`` the column
    of facility capacity used for 2SFCA (None when there was none). French method notes are
    made from these by :func:`territorial.labels.method_notes`.
    """

    communes: gpd.GeoDataFrame
    territories: pd.DataFrame
    epci: pd.DataFrame
    departements: pd.DataFrame
    region: pd.DataFrame
    equity: pd.DataFrame
    underserved: pd.DataFrame
    zones: gpd.GeoDataFrame
    lorenz: pd.DataFrame
    theil_groups: pd.DataFrame
    kinds: list[str]
    radii_km: dict[str, float]
    detour: float = 1.0
    capacity_column: str | None = None

    def _repr_html_(self) -> str:
        """In Jupyter: per territory and for the region, each kind's count, coverage and mean distance."""
        rows = pd.concat([self.territories, self.region.assign(territoire="Région")], ignore_index=True).set_index(
            "territoire"
        )
        table = pd.DataFrame({"Territoire": rows.index, "Population": rows["population"].to_numpy()})
        formats: dict = {"Population": fr_number}
        for k in self.kinds:
            name = upper_first(system_label(k))
            shown = {
                f"{name} : nombre": (column("n", k), fr_number),
                f"{name} : à moins de {fr_number(self.radii_km[k], 1)} km": (column("share_covered", k), fr_share),
                f"{name} : distance moyenne (km)": (column("dist_mean", k), lambda v: fr_number(v, 1)),
            }
            for label, (source, form) in shown.items():
                table[label] = rows[source].to_numpy()
                formats[label] = form
        lines = [f"Theil {system_label(r.kind)} : {fr_number(r.theil, 3)}" for r in self.equity.itertuples()]
        return html_table("Équilibre territorial", table, formats, lines=lines)


@geography.per_geography(maxsize=2)
def _contiguity():
    """Queen contiguity of the communes (libpysal), in the order of geography.communes()."""
    from libpysal.weights import Queen

    frame = geography.communes()
    weights = Queen.from_dataframe(frame, use_index=False, silence_warnings=True)
    if weights.islands:
        logger.warning("%d commune(s) without a neighbour in the contiguity graph", len(weights.islands))
    weights.transform = "r"
    return weights


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    keep = np.isfinite(values) & (weights > 0)
    if not keep.any():
        return np.nan
    return float(np.percentile(values[keep], q, weights=weights[keep], method="inverted_cdf"))


def _aggregate(
    table: pd.DataFrame, by: str, kinds: list[str], targets: dict[str, float], priority: dict[str, float] | None
) -> pd.DataFrame:
    """Indicators of ``table`` (one row per commune) grouped by column ``by``."""
    rows = []
    for key, group in table.groupby(by, sort=False):
        pop = group["population"].to_numpy(float)
        row = {
            by: key,
            "population": int(pop.sum()),
            "superficie_km2": round(float(group["area_km2"].sum()), 4),
            "n_communes": len(group),
        }
        for k in kinds:
            n = int(group[column("n", k)].sum())
            dist = group[column("dist", k)].to_numpy(float)
            row[column("n", k)] = n
            row[column("per_10000", k)] = n / pop.sum() * 1e4 if pop.sum() else np.nan
            row[column("per_100km2", k)] = n / row["superficie_km2"] * 100
            row[column("dist_mean", k)] = float(np.average(dist, weights=pop)) if np.isfinite(dist).all() else np.nan
            row[column("dist_median", k)] = _weighted_quantile(dist, pop, 50)
            row[column("dist_p90", k)] = _weighted_quantile(dist, pop, 90)
            row[column("share_covered", k)] = float((group[column("covered", k)] * pop).sum() / pop.sum())
            row[column("share_covered_area", k)] = float((group[column("covered_area", k)] * pop).sum() / pop.sum())
            for access in (column("access_2sfca", k), column("access_e2sfca", k)):
                if access in group:
                    row[access] = float(np.average(group[access], weights=pop))
        rows.append(row)
    out = pd.DataFrame(rows)
    if by == "territoire":  # the plan's order for its own territories, then by name
        rank = {name: i for i, name in enumerate(CPER2000_TERRITORIES)}
        out = out.sort_values(by, key=lambda s: s.map(lambda t: (rank.get(t, len(rank)), str(t))), ignore_index=True)
    else:
        out = out.sort_values(by, ignore_index=True)
    for k in kinds:
        if k in targets:
            weights = None if priority is None else out[by].map(priority).fillna(1.0).to_numpy(float)
            out[column("expected", k)] = balance.fair_share(out["population"], target=targets[k], priority=weights)
            out[column("gap", k)] = out[column("n", k)] - out[column("expected", k)]
    return out


def analyse(
    facilities: gpd.GeoDataFrame,
    *,
    kind_column: str = "kind",
    radii_km: dict[str, float] | None = None,
    scheme: SchemeLike = "cper2000",
    targets: dict[str, float] | None = None,
    priority: dict[str, float] | None = None,
    detour: float = 1.0,
    capacity_column: str | None = None,
    n_boot: int = 999,
    seed: int = 0,
) -> Analysis:
    """Spatial balance of facilities over the communes of Nord and Pas-de-Calais.

    Parameters
    ----------
    facilities : geopandas.GeoDataFrame
        Geocoded facilities (the ``accepted`` frame of :func:`territorial.geocode`):
        points in a projected CRS (Lambert-93), ``code_insee`` and ``kind_column``.
    kind_column : str
        Column holding each facility's kind (normalised by :func:`normalise_kind`).
    radii_km : dict, optional
        Coverage radius per kind in km (defaults: cyber_centre 5, broadband_access_point 3,
        others 5).
    scheme : see :func:`territorial.schemes.resolve_scheme`
    targets : dict, optional
        Facilities expected per kind over the region (default: 200 cyber-centres, the
        plan's target for the end of 2002); gives each territory's fair share.
    priority : dict, optional
        Territory -> weight of its fair share (neutral 1 by default), e.g.
        ``{"Bassin Minier": 1.5, "Sud Nord": 1.5}`` for the plan's "efforts particuliers".
    detour : float
        Factor applied to straight-line distances (1 = as the crow flies).
    capacity_column : str, optional
        Facility capacity (e.g. ``postes``) for 2SFCA accessibility; default ``postes``
        or ``capacite`` when present.
    n_boot, seed : int
        Bootstrap draws of the Theil intervals and the seed of every random draw.

    Returns
    -------
    Analysis
    """
    facilities, kinds_of, kinds = _checked(facilities, kind_column)
    if capacity_column is None:
        capacity_column = next((c for c in ("postes", "capacite", "capacity") if c in facilities.columns), None)
    elif capacity_column not in facilities.columns:
        raise ArgumentError(
            f"`capacity_column` (--capacity-column) {capacity_column!r} is not a column of the facilities; "
            f"their columns are {[c for c in facilities.columns if c != 'geometry']}"
        )
    targets = {**DEFAULT_TARGETS, **(targets or {})}
    radii = {k: radius_for(k, radii_km) for k in kinds}
    table, origins = _commune_table(facilities, scheme)
    unknown = sorted(set(priority or {}) - set(table["territoire"].dropna()))
    if unknown:
        raise ArgumentError(
            f"`priority` names territories the scheme does not have: {unknown}; its territories are "
            f"{sorted(table['territoire'].dropna().unique())}"
        )
    pop = table["population"].to_numpy(float)
    weights = _contiguity()
    zones, lorenz_rows, equity_rows, underserved, theil_groups = [], [], [], [], []
    for k in kinds:
        subset = facilities[kinds_of == k]
        zones.append(
            _access_columns(
                table, subset, k, origins=origins, radius_km=radii[k], detour=detour, capacity_column=capacity_column
            )
        )
        counts = table[column("n", k)].to_numpy()
        row, groups = _equity(table, k, weights=weights, target=targets.get(k), n_boot=n_boot, seed=seed)
        equity_rows.append({"kind": k, "n": len(subset), "rayon_km": radii[k], **row})
        if groups is not None:
            theil_groups.append(groups)
        lorenz_rows.append(balance.lorenz(counts, pop).assign(kind=k)[["kind", "part_population", "part_equipements"]])
        far = table.loc[
            table[column("covered", k)] == 0, ["code_insee", "commune", "territoire", "population", column("dist", k)]
        ]
        underserved.append(far.rename(columns={column("dist", k): "dist_km"}).assign(kind=k))

    results = _assemble(
        table,
        kinds,
        radii,
        targets=targets,
        priority=priority,
        equity=equity_rows,
        zones=zones,
        lorenz=lorenz_rows,
        underserved=underserved,
        theil_groups=theil_groups,
    )
    results.detour = detour
    results.capacity_column = capacity_column if capacity_column in facilities else None
    return results


def _assemble(
    table: gpd.GeoDataFrame,
    kinds: list[str],
    radii: dict[str, float],
    *,
    targets: dict,
    priority: dict | None,
    equity: list[dict],
    zones: list[dict],
    lorenz: list[pd.DataFrame],
    underserved: list[pd.DataFrame],
    theil_groups: list[pd.DataFrame],
) -> Analysis:
    """The analysis from the commune table and the per-kind parts: aggregates at every level."""
    region = table.assign(region="Nord-Pas de Calais")
    return Analysis(
        communes=table,
        territories=_aggregate(table, "territoire", kinds, targets, priority),
        epci=_aggregate(table, "epci_siren", kinds, targets, None)
        .merge(table[["epci_siren", "epci_nom"]].drop_duplicates(), on="epci_siren")
        .pipe(lambda f: f[["epci_siren", "epci_nom", *[c for c in f.columns if c not in ("epci_siren", "epci_nom")]]]),
        departements=_aggregate(table, "departement", kinds, targets, None),
        region=_aggregate(region, "region", kinds, targets, None),
        equity=pd.DataFrame(equity),
        underserved=pd.concat(underserved, ignore_index=True)[
            ["code_insee", "commune", "territoire", "population", "kind", "dist_km"]
        ].sort_values(["kind", "population", "code_insee"], ascending=[True, False, True], ignore_index=True),
        zones=gpd.GeoDataFrame(zones, geometry="geometry", crs=2154),
        lorenz=pd.concat(lorenz, ignore_index=True),
        theil_groups=pd.concat(theil_groups, ignore_index=True)[
            ["kind", "territoire", "part_equipements", "part_population", "theil_interne"]
        ],
        kinds=kinds,
        radii_km=radii,
    )


def _checked(facilities: gpd.GeoDataFrame, kind_column: str) -> tuple[gpd.GeoDataFrame, pd.Series, list[str]]:
    """Facilities in Lambert-93, the canonical kind of each, and the kinds present; clear errors otherwise."""
    check_frame(facilities, name="facilities", geo=True)
    check_crs(facilities, name="facilities")
    if facilities.crs.is_geographic:
        raise ValueError(
            "`facilities` has a geographic CRS (degrees); distances need metres: pass facilities.to_crs('EPSG:2154')"
        )
    check_columns(facilities, ["code_insee", kind_column], name="facilities")
    facilities = facilities.to_crs(2154)
    kinds_of = facilities[kind_column].map(normalise_kind)
    kinds = sorted(kinds_of.dropna().unique())
    if not kinds:
        raise ValueError("`facilities` is empty: there is nothing to analyse")
    return facilities, kinds_of, kinds


def _commune_table(facilities: gpd.GeoDataFrame, scheme) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """The communes of the scheme (the table indicators are added to) and their town-hall coordinates."""
    base = schemes.communes(scheme=scheme)
    unknown = ~facilities["code_insee"].isin(base["code_insee"])
    if unknown.any():
        raise ValueError(
            f"{int(unknown.sum())} facilities have a code_insee that is not a current commune of 59/62 "
            f"(e.g. {facilities.loc[unknown, 'code_insee'].iloc[0]!r}); geocode them with "
            "territorial.geocode first"
        )
    halls = geography.town_halls().set_index("code_insee").geometry.reindex(base["code_insee"])
    origins = np.column_stack([halls.x.to_numpy(), halls.y.to_numpy()])
    table = base[
        [
            "code_insee",
            "nom",
            "territoire",
            "epci_siren",
            "epci_nom",
            "departement",
            "population",
            "area_km2",
            "geometry",
        ]
    ].rename(columns={"nom": "commune"})
    return table, origins


def _access_columns(
    table: gpd.GeoDataFrame,
    subset: gpd.GeoDataFrame,
    k: str,
    *,
    origins: np.ndarray,
    radius_km: float,
    detour: float,
    capacity_column: str | None,
) -> dict:
    """Add the counts, densities, distances, coverage and 2SFCA columns of kind ``k``; return its coverage zone."""
    pop = table["population"].to_numpy(float)
    xy = np.column_stack([subset.geometry.x.to_numpy(), subset.geometry.y.to_numpy()])
    radius_m = radius_km * 1000
    counts = subset["code_insee"].value_counts().reindex(table["code_insee"], fill_value=0).to_numpy()
    distance, _ = coverage.nearest_distance(origins, xy, detour=detour)
    table[column("n", k)] = counts
    table[column("per_10000", k)] = np.where(pop > 0, counts / np.where(pop > 0, pop, 1) * 1e4, np.nan)
    table[column("per_100km2", k)] = counts / table["area_km2"].to_numpy() * 100
    table[column("dist", k)] = np.round(distance / 1000, 4)
    table[column("covered", k)] = (distance <= radius_m).astype(int)
    table[column("covered_area", k)] = np.round(
        coverage.covered_share_of_area(table.geometry.to_numpy(), xy, radius_m / detour), 6
    )
    capacity = subset[capacity_column] if capacity_column in subset else None
    if capacity is not None and pd.to_numeric(capacity, errors="coerce").notna().all():
        cap = pd.to_numeric(capacity).to_numpy(float)
        table[column("access_2sfca", k)] = (
            coverage.two_step_fca(origins, pop, xy, cap, radius=radius_m, detour=detour) * 1e4
        )
        table[column("access_e2sfca", k)] = (
            coverage.two_step_fca(origins, pop, xy, cap, radius=radius_m, steps=coverage.E2SFCA_STEPS, detour=detour)
            * 1e4
        )
    return {
        "kind": k,
        "rayon_km": radius_km,
        "n_equipements": len(subset),
        "geometry": coverage.coverage_zone(xy, radius_m / detour),
    }


def _equity(
    table: gpd.GeoDataFrame, k: str, *, weights, target: float | None, n_boot: int, seed: int
) -> tuple[dict, pd.DataFrame | None]:
    """Equity figures of kind ``k`` (Theil and its intervals, Gini, CV, Moran) and Theil by territory.

    Adds the LISA cluster column ``lisa_{k}`` to ``table``.
    """
    pop = table["population"].to_numpy(float)
    counts = table[column("n", k)].to_numpy()
    territory = table["territoire"].to_numpy()
    dist_km = table[column("dist", k)].to_numpy(float)
    moran = balance.moran(dist_km, weights, seed=seed)
    table[column("lisa", k)] = np.where(moran.local_p < 0.05, pd.Series(moran.local_quadrant).map(LISA_LABELS), "")
    t = balance.theil(counts, pop, territory)
    ci = balance.theil_bootstrap(counts, pop, territory, n_boot=n_boot, seed=seed)
    groups = t.by_group.rename(columns={"groupe": "territoire"}).assign(kind=k) if t.by_group is not None else None
    per_territory = table.groupby("territoire")[[column("n", k), "population"]].sum()
    per_epci = table.groupby("epci_siren")[[column("n", k), "population"]].sum()
    n = int(counts.sum())
    row = {
        "theil": t.total,
        "theil_inter": t.between,
        "theil_intra": t.within,
        "theil_ic_bas": ci.at["total", "low"],
        "theil_ic_haut": ci.at["total", "high"],
        "theil_inter_ic_bas": ci.at["between", "low"],
        "theil_inter_ic_haut": ci.at["between", "high"],
        "theil_intra_ic_bas": ci.at["within", "low"],
        "theil_intra_ic_haut": ci.at["within", "high"],
        "gini_territoires": balance.weighted_gini(
            per_territory[column("n", k)] / per_territory["population"], per_territory["population"]
        ),
        "gini_epci": balance.weighted_gini(per_epci[column("n", k)] / per_epci["population"], per_epci["population"]),
        "gini_distance": balance.weighted_gini(dist_km, pop),
        "cv": balance.weighted_cv(dist_km, pop),
        "moran_i": moran.i,
        "moran_p": moran.p_value,
        "cible": target if target is not None else np.nan,
        "progression": n / target if target else np.nan,
    }
    return row, groups
