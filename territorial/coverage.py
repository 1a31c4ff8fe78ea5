"""Access to facilities on arrays of Lambert-93 coordinates: nearest distance, coverage within
a radius (town-hall and area-share methods), coverage zones, and two-step floating
catchment accessibility (2SFCA / enhanced 2SFCA).

All distances are straight lines in metres in EPSG:2154, optionally multiplied by a
detour factor to approach road distance.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import shapely
from scipy.spatial import cKDTree

logger = logging.getLogger(__name__)

__all__ = [
    "nearest_distance",
    "covered_share_of_area",
    "coverage_zone",
    "two_step_fca",
    "E2SFCA_STEPS",
]

#: Stepwise distance decay of the enhanced 2SFCA (Luo & Qi, 2009): weight of each third of the catchment.
E2SFCA_STEPS: tuple[tuple[float, float], ...] = ((1 / 3, 1.0), (2 / 3, 0.68), (1.0, 0.22))


def _xy(points, name: str) -> np.ndarray:
    array = np.asarray(points, dtype=float)
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError(f"`{name}` must be an (n, 2) array of x, y in metres, got shape {array.shape}")
    return array


def nearest_distance(origins, facilities, *, detour: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Distance from each origin to its nearest facility, and that facility's position.

    Parameters
    ----------
    origins, facilities : (n, 2) arrays
        Coordinates in metres (Lambert-93).
    detour : float
        Factor applied to straight-line distances (1 = as the crow flies).

    Returns
    -------
    distance : ndarray
        Metres (× detour); ``inf`` for every origin when there is no facility.
    index : ndarray
        Position of the nearest facility (-1 when none).
    """
    origins = _xy(origins, "origins")
    facilities = _xy(facilities, "facilities")
    if detour < 1:
        raise ValueError(f"`detour` must be at least 1 (a path is never shorter than the straight line), got {detour}")
    if len(facilities) == 0:
        return np.full(len(origins), np.inf), np.full(len(origins), -1)
    distance, index = cKDTree(facilities).query(origins, k=1)
    return distance * detour, index


def coverage_zone(facilities, radius: float, *, quad_segs: int = 16):
    """Union of the discs of ``radius`` metres around the facilities (a shapely geometry)."""
    facilities = _xy(facilities, "facilities")
    if len(facilities) == 0:
        return shapely.Polygon()
    discs = shapely.buffer(shapely.points(facilities), radius, quad_segs=quad_segs)
    return shapely.union_all(discs)


def covered_share_of_area(polygons: Sequence, facilities, radius: float, *, quad_segs: int = 16) -> np.ndarray:
    """Share of each polygon's area within ``radius`` metres of a facility.

    Only the discs that touch a polygon are merged for it, and a polygon inside a
    single disc is 1 without any overlay, which keeps this fast for many facilities.
    """
    polygons = np.asarray(polygons, dtype=object)  # type: ignore[assignment]
    facilities = _xy(facilities, "facilities")
    shares = np.zeros(len(polygons))
    if len(facilities) == 0 or len(polygons) == 0:
        return shares
    discs = shapely.buffer(shapely.points(facilities), radius, quad_segs=quad_segs)
    tree = shapely.STRtree(discs)
    inside = np.unique(tree.query(polygons, predicate="within")[0])
    shares[inside] = 1.0
    poly_idx, disc_idx = tree.query(polygons, predicate="intersects")
    todo = ~np.isin(poly_idx, inside)
    poly_idx, disc_idx = poly_idx[todo], disc_idx[todo]
    if len(poly_idx) == 0:
        return shares
    bounds = np.flatnonzero(np.diff(poly_idx)) + 1
    for group in np.split(np.arange(len(poly_idx)), bounds):
        i = poly_idx[group[0]]
        local = shapely.union_all(discs[disc_idx[group]])
        shares[i] = shapely.area(shapely.intersection(polygons[i], local)) / shapely.area(polygons[i])
    return np.clip(shares, 0.0, 1.0)


def two_step_fca(
    origins,
    population,
    facilities,
    capacity,
    *,
    radius: float,
    steps: Sequence[tuple[float, float]] | None = None,
    detour: float = 1.0,
) -> np.ndarray:
    """Two-step floating catchment area accessibility of each origin.

    Step 1: each facility j gets a ratio Rⱼ = Sⱼ / Σₖ Pₖ W(dₖⱼ) over the origins k
    within ``radius``. Step 2: each origin i sums Aᵢ = Σⱼ Rⱼ W(dᵢⱼ) over the
    facilities within ``radius``. W = 1 (classic 2SFCA) or, with ``steps``, the
    weight of the first step whose distance fraction is not exceeded (enhanced 2SFCA).

    Parameters
    ----------
    origins : (n, 2) array
        Population points (town halls), metres.
    population : array-like
        Population of each origin.
    facilities : (m, 2) array
        Facility points, metres.
    capacity : array-like
        Capacity of each facility (seats, workstations).
    radius : float
        Catchment in metres (compared with detoured distances).
    steps : sequence of (fraction of radius, weight), optional
        E.g. :data:`E2SFCA_STEPS`.
    detour : float
        Factor applied to straight-line distances.

    Returns
    -------
    ndarray
        Capacity per inhabitant reachable from each origin (0 where none).
    """
    origins = _xy(origins, "origins")
    facilities = _xy(facilities, "facilities")
    population = np.asarray(population, dtype=float)
    capacity = np.asarray(capacity, dtype=float)
    if len(population) != len(origins) or len(capacity) != len(facilities):
        raise ValueError("`population` must match `origins` and `capacity` must match `facilities` in length")
    if np.isnan(capacity).any() or (capacity < 0).any():
        raise ValueError("`capacity` must be known and non-negative for every facility; fill or drop the others")
    access = np.zeros(len(origins))
    if len(facilities) == 0:
        return access
    # the "ndarray" output keeps pairs at distance 0 (a facility at the town hall)
    pairs = cKDTree(origins).sparse_distance_matrix(cKDTree(facilities), radius / detour, output_type="ndarray")
    i, j, d = pairs["i"], pairs["j"], pairs["v"] * detour
    if steps is None:
        weight = np.ones_like(d)
    else:
        weight = np.zeros_like(d)
        for fraction, w in sorted(steps, reverse=True):  # nearest step written last wins
            weight[d <= fraction * radius] = w
    demand = np.bincount(j, weights=population[i] * weight, minlength=len(facilities))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(demand > 0, capacity / demand, 0.0)
    return np.bincount(i, weights=ratio[j] * weight, minlength=len(origins))
