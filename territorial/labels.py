"""French sentences made from results: method notes, summaries, console lines.

Measures return numbers and frames; this output-side module turns them into the French
lines that the CLI prints and the report and exports write. Nothing here computes.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from territorial._format import fr_number
from territorial.analysis import Analysis
from territorial.columns import column
from territorial.maps import kind_label
from territorial.programme import FRANCS_PER_EURO, PARTNERS, ProgrammeReport, ProjectCheck
from territorial.siting import SitingResult

__all__ = [
    "method_notes",
    "programme_lines",
    "region_lines",
    "siting_lines",
    "territory_table_lines",
    "violation_lines",
]


def method_notes(analysis: Analysis) -> list[str]:
    """The method notes of an analysis (a heading, then one ``- `` line per method)."""
    detour = analysis.detour
    radii = ", ".join(f"{kind_label(k)} : {fr_number(r, 1)} km" for k, r in analysis.radii_km.items())
    notes = [
        "Notes de méthode",
        f"- Distances : en ligne droite en Lambert-93 (EPSG:2154) depuis la mairie de chaque commune jusqu'à "
        f"l'équipement le plus proche{f', multipliées par un facteur de détour de {detour:g}' if detour != 1 else ''}. "
        "La distance réelle par la route est plus longue.",
        f"- Rayons de couverture : {radii}.",
        "- Couverture « mairie » : une commune est couverte si sa mairie est à moins du rayon ; toute sa population "
        "compte alors comme couverte.",
        "- Couverture « surface » : part de la surface de la commune dans la zone de couverture (union des disques) "
        "multipliée par sa population, en supposant la population répartie uniformément sur la commune.",
        "- Moyenne, médiane et 90e centile des distances sont pondérés par la population (centile : plus petite "
        "distance telle que la part cumulée de population atteint le seuil).",
        "- Indice de Theil de concentration : T = Σ sᵢ ln(sᵢ/pᵢ) sur les communes (sᵢ part des équipements, pᵢ part "
        "de la population, 0·ln 0 = 0) ; décomposition exacte T = T_inter + T_intra par territoire ; intervalles à "
        "95 % par bootstrap (999 rééchantillonnages des communes au sein de chaque territoire).",
        "- Gini pondéré par la population : de l'offre par habitant entre territoires et entre EPCI, et de la "
        "distance entre communes ; coefficient de variation de la distance, pondéré par la population.",
        "- Part équitable (attendu) : cible × part de population du territoire (× poids de priorité s'ils sont "
        "donnés).",
        "- Autocorrélation spatiale : I de Moran de la distance (contiguïté « reine » des communes, p-valeur "
        "analytique sous randomisation) et LISA (999 permutations, seuil 5 %).",
    ]
    if analysis.capacity_column:
        notes.append(
            f"- Accessibilité 2SFCA : capacité (colonne « {analysis.capacity_column} ») pour 10 000 habitants "
            "accessibles dans le rayon ; version améliorée (E2SFCA) avec poids 1 / 0,68 / 0,22 par tiers "
            "du rayon."
        )
    return notes


def siting_lines(result: SitingResult, *, timing: bool = True) -> list[str]:
    """Summary of a siting result; ``timing=False`` leaves out the solving time (for reproducible files)."""
    s = result.solution
    total = result.coverage.set_index("territoire").at["Région", "population"]
    start = [] if result.start_year is None else [f"Sites existants : ceux ouverts {result.start_label}"]
    return start + [
        f"Solveur : {s.solver} — {s.status}" + (f" en {fr_number(s.seconds, 2)} s" if timing else ""),
        f"Population couverte à moins de {fr_number(result.radius_km, 1)} km : avant "
        f"{fr_number(result.covered_before)} ({fr_number(100 * result.covered_before / total, 1)} %), après "
        f"{fr_number(result.covered_after)} ({fr_number(100 * result.covered_after / total, 1)} %)",
        f"Objectif (population pondérée nouvellement couverte) : {fr_number(s.objective, 1)} ; borne : "
        f"{fr_number(s.bound, 1)} ; écart : {fr_number(100 * s.gap, 3)} %",
    ]


def violation_lines(check: ProjectCheck) -> list[str]:
    """One line per finding of a project check, with its severity."""
    return [
        f"projet {row.id} (ligne {row.input_row}) — {row.gravite} : {row.message}"
        for row in check.violations.itertuples()
    ]


def region_lines(analysis: Analysis) -> list[str]:
    """One line per kind: facilities, population share within the radius, mean distance."""
    region = analysis.region.iloc[0]
    return [
        f"  {k} : {fr_number(region[column('n', k)])} équipements, "
        f"{fr_number(100 * region[column('share_covered', k)], 1)} % de la population à moins de "
        f"{fr_number(analysis.radii_km[k], 1)} km (mairie), distance moyenne "
        f"{fr_number(region[column('dist_mean', k)], 1)} km"
        for k in analysis.kinds
    ]


def territory_table_lines(table: pd.DataFrame) -> list[str]:
    """The territories of a scheme as an aligned text table with a region total."""
    total = {
        "territoire": "Région",
        "n_communes": table["n_communes"].sum(),
        "population": table["population"].sum(),
        "area_km2": table["area_km2"].sum(),
    }
    total["densite"] = total["population"] / total["area_km2"]
    headers = ("Territoire", "Communes", "Population", "Superficie (km²)", "Densité (hab./km²)")
    cells = [
        (
            str(r["territoire"]),
            fr_number(r["n_communes"]),
            fr_number(r["population"]),
            fr_number(r["area_km2"], 1),
            fr_number(r["densite"], 1),
        )
        for r in [*table.to_dict("records"), total]
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]

    def line(values: Iterable[str]) -> str:
        return "  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(values, widths)))

    rule = "  ".join("-" * w for w in widths)
    return [line(headers), rule, *(line(c) for c in cells[:-1]), rule, line(cells[-1])]


def _amount_cell(rows: pd.DataFrame, partner: str, width: int) -> str:
    row = rows[rows["partenaire"] == partner]
    if row.empty:
        return "—".ljust(width)
    mf, meur = row["montant_mf"].iloc[0], row["montant_meur"].iloc[0]
    text = f"{fr_number(mf, 1)} ({fr_number(meur, 4)})" if meur == meur else f"{fr_number(mf, 1)} (non donné)"
    return text.ljust(width)


def programme_lines(report: ProgrammeReport) -> list[str]:
    """Priority 10 by objective and partner, the source check, and the project check if any."""
    partners = list(PARTNERS)
    width = 26
    table = report.table[report.table["action"] == ""]
    lines = [
        "Priorité 10 « Développer la société de l'information » — montants en MF (M€)",
        "objectif  " + "".join(p[:width].ljust(width) for p in partners),
    ]
    for objective, rows in table.groupby("objectif", sort=True):
        lines.append(f"{objective:<10}" + "".join(_amount_cell(rows, p, width) for p in partners))
    totals = table.groupby("partenaire")["montant_mf"].sum()
    lines.append(
        "total     "
        + "".join(
            f"{fr_number(totals.get(p, 0), 1)} ({fr_number(totals.get(p, 0) / FRANCS_PER_EURO, 4)})".ljust(width)
            for p in partners
        )
    )
    check = report.source_check
    lines.append(f"Contrôle de la source : {len(check)} constat(s)")
    lines += [f"  [{row.type}] {row.message} ({row.ou})" for row in check.itertuples()]
    if report.projects is not None:
        checked = report.projects
        severity = checked.violations["gravite"]
        lines.append(
            f"Projets : {len(checked.projects)} lignes, {int(checked.projects['retenu'].sum())} retenues ; "
            f"{int((severity == 'violation').sum())} violation(s), {int((severity == 'avertissement').sum())} "
            "avertissement(s)"
        )
        lines += [f"  {line}" for line in violation_lines(checked)]
    return lines
