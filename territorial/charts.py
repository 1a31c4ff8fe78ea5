"""Charts of results, for notebooks and the report: matplotlib figures with French titles, units and sources.

Each function takes a result and returns a :class:`matplotlib.figure.Figure` (made without
pyplot, so nothing is shown twice nor kept alive): Jupyter displays it inline, the report
saves it as PNG.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from territorial import geography
from territorial._format import fr_number, upper_first
from territorial.columns import column
from territorial.maps import KIND_STYLES, kind_label
from territorial.schemes import CPER2000_TERRITORIES

__all__ = ["lorenz", "trajectory", "distances_by_territory", "coverage_by_sites", "funding_per_inhabitant"]


def _french(*axes) -> None:
    """Tick labels the French way (decimal comma, narrow spaces), as the tables write numbers."""
    for axis in axes:
        axis.set_major_formatter(FuncFormatter(lambda v, _: fr_number(v, 0 if float(v).is_integer() else 1)))


def _colour(kind: str) -> str:
    return KIND_STYLES.get(kind, {}).get("color", "#636363")


def _source(fig: Figure, extra: str = "") -> None:
    """The sources, in small print at the bottom left of the figure."""
    population = geography.metadata().get("population_millesime", "")
    said = f"Source : {population}" + (f" ; {extra}" if extra else "")
    fig.text(0.01, 0.005, said, fontsize=6, color="#555555", ha="left", va="bottom")
    fig.set_layout_engine("tight", rect=(0, 0.035, 1, 1))  # the axes keep clear of the sources line


def lorenz(analysis) -> Figure:
    """Lorenz curves of every kind: the cumulative share of facilities against that of the population."""
    fig = Figure(figsize=(5, 5))
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], color="#999999", linestyle="--", linewidth=1, label="égalité parfaite")
    for kind, curve in analysis.lorenz.groupby("kind"):
        ax.plot(
            curve["part_population"],
            curve["part_equipements"],
            linewidth=1.8,
            color=_colour(kind),
            label=kind_label(kind),
        )
    ax.set_xlabel("Part cumulée de la population\n(communes de la moins à la mieux dotée)")
    ax.set_ylabel("Part cumulée des équipements")
    ax.set(xlim=(0, 1), ylim=(0, 1))
    _french(ax.xaxis, ax.yaxis)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title("Courbe de Lorenz", fontsize=10)
    _source(fig)
    return fig


def trajectory(path: pd.DataFrame, kind: str) -> Figure:
    """One dated target year by year (``ProgrammeReport.trajectory``): a panel per territory and the region.

    Counts are a solid line, the trend prolonged past the data a dashed one; the target is a
    horizontal red line (for a territory, its population share of the regional target) and the
    deadline a vertical one.
    """
    mine = path[path["kind"] == kind]
    zones = list(dict.fromkeys(mine["territoire"]))
    rows = -(-len(zones) // 3)
    fig = Figure(figsize=(9, 2.0 * rows), layout="tight")
    axes = fig.subplots(rows, 3, sharex=True, squeeze=False)
    deadline = pd.Timestamp(str(mine["date_echeance"].iloc[0]))
    for ax, zone in zip(axes.flat, zones):
        _trajectory_panel(ax, mine[mine["territoire"] == zone], zone, kind=kind, deadline=deadline)
    for ax in list(axes.flat)[len(zones) :]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=6, loc="upper left")
    said = mine["echeance"].iloc[0]
    fig.suptitle(f"{upper_first(kind_label(kind))} : nombre au 31 décembre et cible ({said})", fontsize=10)
    _source(fig, "cible : priorité 10 du CPER 2000-2006 ; territoires : part de population de la cible régionale")
    return fig


def _trajectory_panel(ax, path: pd.DataFrame, zone: str, *, kind: str, deadline: pd.Timestamp) -> None:
    seen = path[~path["projete"].astype(bool)]
    ax.plot(seen["annee"], seen["nombre"], marker="o", markersize=3, color=_colour(kind), label="compté au 31/12")
    ahead = path[path["projete"].astype(bool)]
    if len(ahead):
        bridge = pd.concat([seen.tail(1), ahead])
        ax.plot(bridge["annee"], bridge["nombre"], linestyle="--", color=_colour(kind), label="tendance prolongée")
    goal = float(path["cible"].iloc[0])
    ax.axhline(goal, color="#b30000", linewidth=1, label="cible")
    ax.axvline(deadline.year, color="#b30000", linewidth=0.8, linestyle=":", label="échéance")
    ax.set_title(f"{zone} — cible {fr_number(goal, 0)}", fontsize=8)
    ax.set_ylim(0, max(goal, float(path["nombre"].max())) * 1.1)
    ax.tick_params(labelsize=7)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _french(ax.yaxis)
    ax.grid(alpha=0.3)


def distances_by_territory(analysis, kind: str) -> Figure:
    """The distance from each commune's town hall to the nearest facility of ``kind``, per territory.

    A box per territory (communes: quartiles, whiskers at 1.5 IQR), the population-weighted mean as a
    diamond, the coverage radius as a dashed line.
    """
    communes = analysis.communes
    distance = column("dist", kind)
    names = list(analysis.territories["territoire"])
    values = [communes.loc[communes["territoire"] == t, distance].dropna().to_numpy() for t in names]
    means = analysis.territories.set_index("territoire").loc[names, column("dist_mean", kind)].to_numpy()
    fig = Figure(figsize=(7, 4), layout="tight")
    ax = fig.subplots()
    ax.boxplot(values, tick_labels=names, showfliers=True, flierprops={"markersize": 2}, medianprops={"color": "#333"})
    ax.scatter(np.arange(1, len(names) + 1), means, marker="D", color=_colour(kind), zorder=3, label="moyenne pondérée")
    radius = analysis.radii_km[kind]
    ax.axhline(radius, color="#b30000", linestyle="--", linewidth=1, label=f"rayon : {fr_number(radius, 1)} km")
    ax.set_ylabel(f"Distance au plus proche des {kind_label(kind)} (km)")
    _french(ax.yaxis)
    ax.set_title(f"Distance aux {kind_label(kind)}, par territoire (mairies, en ligne droite)", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    _source(fig)
    return fig


def coverage_by_sites(result) -> Figure:
    """Population share covered as the new sites of a siting result are added, in their order of rank."""
    total = float(result.coverage.set_index("territoire").at["Région", "population"])
    gained = result.sites["gain_population"].to_numpy(dtype=float)
    share = (result.covered_before + np.concatenate([[0.0], np.cumsum(gained)])) / total
    fig = Figure(figsize=(6, 4), layout="tight")
    ax = fig.subplots()
    ax.plot(np.arange(len(share)), 100 * share, marker="o", markersize=2, color="#08519c")
    ax.set_xlabel("Nombre de nouveaux sites (par ordre d'apport)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _french(ax.xaxis, ax.yaxis)
    ax.set_ylabel(f"Population à moins de {fr_number(result.radius_km, 1)} km (%)")
    ax.set_title("Couverture selon le nombre de nouveaux sites", fontsize=10)
    ax.grid(alpha=0.3)
    _source(fig, f"solveur {result.solution.solver}")
    return fig


def funding_per_inhabitant(report) -> Figure:
    """Euros programmed per inhabitant, per territory and objective (``ProgrammeReport.by_territory``)."""
    table = report.by_territory.pivot_table(
        index="territoire", columns="objectif", values="montant_eur_par_hab", aggfunc="sum", fill_value=0.0
    )
    if set(table.index) <= set(CPER2000_TERRITORIES):  # the plan's order, as everywhere else
        table = table.reindex([t for t in CPER2000_TERRITORIES if t in table.index])
    fig = Figure(figsize=(7, 4), layout="tight")
    ax = fig.subplots()
    bottom = np.zeros(len(table))
    for objective in table.columns:
        ax.bar(table.index, table[objective], bottom=bottom, label=f"objectif {objective}")
        bottom += table[objective].to_numpy()
    ax.set_ylabel("€ programmés par habitant (tous partenaires)")
    ax.margins(y=0.12)
    _french(ax.yaxis)
    ax.set_title("Montants programmés par habitant et par territoire", fontsize=10)
    ax.legend(fontsize=7, ncols=2)
    ax.grid(axis="y", alpha=0.3)
    _source(fig, "projets retenus")
    return fig
