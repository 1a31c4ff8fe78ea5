"""Equity measures on arrays: Theil concentration and its decomposition, weighted Gini,
coefficient of variation, Lorenz curve, fair share, and spatial autocorrelation.

The maths take plain arrays; :mod:`territorial.analysis` feeds them from frames.
PySAL ``inequality`` has no population weights: with equal weights these functions
give the same values as ``inequality.gini.Gini`` and ``inequality.theil.TheilD``
(checked in the tests).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

__all__ = [
    "Theil",
    "theil",
    "theil_bootstrap",
    "weighted_gini",
    "weighted_cv",
    "lorenz",
    "fair_share",
    "moran",
]


def _as_float(values, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise ValueError(f"`{name}` must be one-dimensional, got shape {array.shape}")
    if np.isnan(array).any():
        raise ValueError(f"`{name}` contains NaN; drop or fill those units first")
    return array


def _xlogx_ratio(share: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """share * ln(share / reference), with 0 * ln 0 = 0."""
    out = np.zeros_like(share)
    positive = share > 0
    out[positive] = share[positive] * np.log(share[positive] / reference[positive])
    return out


@dataclass(frozen=True)
class Theil:
    """Theil index of concentration T = Σ sᵢ ln(sᵢ/pᵢ) and its exact decomposition by group.

    ``total == between + within`` up to rounding; ``by_group`` holds each group's
    facility share ``S_g``, population share ``P_g`` and internal index ``T_g``.
    """

    total: float
    between: float
    within: float
    by_group: pd.DataFrame | None = None


def theil(counts, population, groups=None) -> Theil:
    """Theil index of how facilities are concentrated relative to population.

    Parameters
    ----------
    counts : array-like
        Facilities per unit (commune).
    population : array-like
        Population per unit; every unit with facilities must have people.
    groups : array-like, optional
        Group of each unit (territory) for the decomposition
        T = Σ_g S_g ln(S_g/P_g) + Σ_g S_g T_g.

    Returns
    -------
    Theil
        0 when facilities follow population exactly; ln(1/p_i) at most when all
        sit in unit i. NaN when there are no facilities.
    """
    n = _as_float(counts, "counts")
    p = _as_float(population, "population")
    if n.shape != p.shape:
        raise ValueError(f"`counts` and `population` differ in length ({len(n)} vs {len(p)})")
    if (n < 0).any() or (p < 0).any():
        raise ValueError("`counts` and `population` must be non-negative")
    if ((p == 0) & (n > 0)).any():
        raise ValueError("a unit has facilities but no population: the Theil index is infinite; merge or drop it")
    if n.sum() == 0:
        return Theil(np.nan, np.nan, np.nan)
    s, q = n / n.sum(), p / p.sum()
    total = float(_xlogx_ratio(s, q).sum())
    if groups is None:
        return Theil(total, 0.0, total)
    labels, codes = np.unique(np.asarray(groups), return_inverse=True)
    S = np.bincount(codes, weights=s, minlength=len(labels))
    P = np.bincount(codes, weights=q, minlength=len(labels))
    between = float(_xlogx_ratio(S, P).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        inner_s = np.where(S[codes] > 0, s / S[codes], 0.0)
        inner_p = q / P[codes]
    T_g = np.bincount(codes, weights=_xlogx_ratio(inner_s, inner_p), minlength=len(labels))
    within = float((S * T_g).sum())
    table = pd.DataFrame({"groupe": labels, "part_equipements": S, "part_population": P, "theil_interne": T_g})
    return Theil(total, between, within, table)


def theil_bootstrap(
    counts, population, groups=None, *, n_boot: int = 999, level: float = 0.95, seed: int = 0
) -> pd.DataFrame:
    """Percentile bootstrap intervals of the Theil index and its two parts.

    Units (communes) are resampled with replacement within each group (stratified
    bootstrap), so every group keeps its number of units; each draw recomputes the
    shares and the decomposition.

    Returns
    -------
    pandas.DataFrame
        Rows ``total``, ``between``, ``within``; columns ``value``, ``low``, ``high``.
    """
    n = _as_float(counts, "counts")
    p = _as_float(population, "population")
    g = np.zeros(len(n), dtype=int) if groups is None else np.unique(np.asarray(groups), return_inverse=True)[1]
    observed = theil(n, p, groups)
    rng = np.random.default_rng(seed)
    strata = [np.flatnonzero(g == label) for label in np.unique(g)]
    draws = np.full((n_boot, 3), np.nan)
    for b in range(n_boot):
        pick = np.concatenate([rng.choice(members, size=len(members)) for members in strata])
        if n[pick].sum() > 0:
            t = theil(n[pick], p[pick], g[pick] if groups is not None else None)
            draws[b] = (t.total, t.between, t.within)
    alpha = (1 - level) / 2
    if np.isnan(draws).all():
        low = high = np.full(3, np.nan)
    else:
        low, high = np.nanquantile(draws, [alpha, 1 - alpha], axis=0)
    return pd.DataFrame(
        {"value": [observed.total, observed.between, observed.within], "low": low, "high": high},
        index=pd.Index(["total", "between", "within"], name="part"),
    )


def weighted_gini(values, weights=None) -> float:
    """Gini index of ``values`` where unit i counts ``weights[i]`` times (e.g. its population).

    G = Σᵢ Σⱼ wᵢ wⱼ |xᵢ − xⱼ| / (2 (Σw)² μ), μ the weighted mean; equal weights give
    the usual Gini. 0 is perfect equality; the maximum is below 1. NaN if μ is 0.
    """
    x = _as_float(values, "values")
    w = np.ones_like(x) if weights is None else _as_float(weights, "weights")
    if x.shape != w.shape:
        raise ValueError(f"`values` and `weights` differ in length ({len(x)} vs {len(w)})")
    if (w < 0).any():
        raise ValueError("`weights` must be non-negative")
    keep = w > 0
    x, w = x[keep], w[keep]
    if len(x) == 0 or (mean := np.average(x, weights=w)) == 0:
        return np.nan
    order = np.argsort(x)
    x, w = x[order], w[order]
    cum_w = np.cumsum(w)
    cum_wx = np.cumsum(w * x)
    # Σᵢ Σⱼ wᵢ wⱼ |xᵢ − xⱼ| = 2 Σᵢ wᵢ (xᵢ W_{<i} − (wx)_{<i}) over sorted values
    pairs = 2 * np.sum(w * (x * (cum_w - w) - (cum_wx - w * x)))
    return float(pairs / (2 * cum_w[-1] ** 2 * mean))


def weighted_cv(values, weights=None) -> float:
    """Coefficient of variation σ/μ with weights (population standard deviation)."""
    x = _as_float(values, "values")
    w = np.ones_like(x) if weights is None else _as_float(weights, "weights")
    mean = np.average(x, weights=w)
    if mean == 0:
        return np.nan
    return float(np.sqrt(np.average((x - mean) ** 2, weights=w)) / mean)


def lorenz(counts, population) -> pd.DataFrame:
    """Lorenz curve of facilities against population.

    Units are sorted by facilities per inhabitant, from the least served; the curve
    runs from (0, 0) to (1, 1).

    Returns
    -------
    pandas.DataFrame
        ``part_population`` and ``part_equipements`` (cumulative shares), one row per
        unit plus the origin.
    """
    n = _as_float(counts, "counts")
    p = _as_float(population, "population")
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(p > 0, n / p, np.inf)
    order = np.argsort(rate, kind="stable")
    cum_p = np.concatenate([[0.0], np.cumsum(p[order]) / p.sum()])
    cum_n = np.concatenate([[0.0], np.cumsum(n[order]) / n.sum()]) if n.sum() > 0 else np.zeros(len(n) + 1)
    return pd.DataFrame({"part_population": cum_p, "part_equipements": cum_n})


def fair_share(population, *, target: float, priority=None) -> np.ndarray:
    """Expected facilities per group: target × (priority-weighted) population share.

    Parameters
    ----------
    population : array-like
        Population per group.
    target : float
        Facilities to share out (e.g. the plan's 200 cyber-centres).
    priority : array-like, optional
        Weight of each group (default 1: a neutral share). A weight of 1.5 gives the
        group 1.5 times the share its population alone would.
    """
    p = _as_float(population, "population")
    w = np.ones_like(p) if priority is None else _as_float(priority, "priority")
    weighted = p * w
    return target * weighted / weighted.sum()


@dataclass(frozen=True)
class Moran:
    """Global Moran's I with its analytical p-value (randomisation) and local clusters."""

    i: float
    expected: float
    p_value: float
    local_quadrant: np.ndarray
    local_p: np.ndarray


def moran(values, weights, *, permutations: int = 999, seed: int = 0) -> Moran:
    """Moran's I and LISA of ``values`` under the spatial weights ``weights`` (libpysal W).

    The global p-value is the two-sided analytical one under randomisation
    (deterministic); local p-values come from ``permutations`` conditional
    permutations with a fixed ``seed``.
    """
    import esda

    y = _as_float(values, "values")
    if np.allclose(y, y[0]):
        n = len(y)
        return Moran(np.nan, -1 / (n - 1), np.nan, np.zeros(n, dtype=int), np.ones(n))
    global_ = esda.Moran(y, weights, permutations=0)
    with warnings.catch_warnings():  # esda announces a future change of its default alternative; we keep "directed"
        warnings.filterwarnings("ignore", message="The alternative hypothesis", category=DeprecationWarning)
        local = esda.Moran_Local(y, weights, permutations=permutations, seed=seed)
    return Moran(
        float(global_.I), float(global_.EI), float(global_.p_rand), np.asarray(local.q), np.asarray(local.p_sim)
    )
