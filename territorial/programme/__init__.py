"""The programme ledger of priority 10: the plan as data, its validation, and project checks.

- :mod:`~territorial.programme.plan`: the plan transcribed in ``territorial/data/priorite10.toml``
  (objectives 43-49, action lines, amounts per partner in MF and M€ as written, rate rules,
  beneficiaries, indicators, targets, systems, the contract's period) and its amounts table;
- :mod:`~territorial.programme.source`: the plan checked against itself (:func:`validate_source`);
- :mod:`~territorial.programme.rules`: funded projects checked against the plan, each finding
  with its severity (:func:`check_projects`);
- :mod:`~territorial.programme.sums`: what the retained projects add up to, by territory,
  against envelopes and against targets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import geopandas as gpd
import pandas as pd

from territorial._format import fr_number, fr_share, html_table
from territorial.programme.plan import (
    FRANCS_PER_EURO,
    PARTNERS,
    amounts_in_text,
    load_programme,
    programme_table,
)
from territorial.programme.rules import LOCAL_RULES, VIOLATION, WARNING, ProjectCheck, action_code, check_projects
from territorial.programme.source import validate_source
from territorial.programme.sums import (
    envelope_balance,
    indicators_by_territory,
    programme_by_territory,
    target_progress,
    target_trajectory,
)
from territorial.schemes import SchemeLike

__all__ = [
    "PARTNERS",
    "FRANCS_PER_EURO",
    "LOCAL_RULES",
    "VIOLATION",
    "WARNING",
    "load_programme",
    "programme_table",
    "validate_source",
    "amounts_in_text",
    "action_code",
    "check_projects",
    "ProjectCheck",
    "programme_by_territory",
    "indicators_by_territory",
    "target_progress",
    "target_trajectory",
    "envelope_balance",
    "ProgrammeReport",
    "programme_report",
]


@dataclass
class ProgrammeReport:
    """Everything ``territorial programme`` shows and writes."""

    table: pd.DataFrame
    source_check: pd.DataFrame
    projects: ProjectCheck | None = None
    by_territory: pd.DataFrame | None = None
    indicators: pd.DataFrame | None = None
    targets: pd.DataFrame | None = None
    trajectory: pd.DataFrame | None = None  # dated targets year by year, per territory
    envelopes: pd.DataFrame | None = None
    located: pd.DataFrame | None = None  # geocoded projects with geometry, for the map

    def _repr_html_(self) -> str:
        """In Jupyter: the source check, then (with projects) findings and each target's count."""
        lines = [f"Contrôle du texte du plan : {len(self.source_check)} constat(s)"]
        if self.projects is None or self.targets is None:
            shown = self.table[self.table["niveau"] == "objectif"] if "niveau" in self.table else self.table
            lines.append(f"{shown['objectif'].nunique()} objectifs ; aucun projet contrôlé")
            return html_table("Programme de la priorité 10", pd.DataFrame(), lines=lines)
        findings = self.projects.violations["gravite"].value_counts()
        lines.append(
            f"{len(self.projects.projects)} projets contrôlés : {findings.get(VIOLATION, 0)} violation(s), "
            f"{findings.get(WARNING, 0)} avertissement(s)"
        )
        counted = self.targets[self.targets["valeur_cible"].notna()]
        at_deadline = counted["realise_a_echeance"].fillna(counted["projection_a_echeance"])
        table = pd.DataFrame(
            {
                "Cible": counted["cible"],
                "Échéance": counted["echeance"],
                "Objectif": counted["valeur_cible"],
                "À l'échéance": at_deadline,
                "Trajectoire": counted["trajectoire"].fillna(""),
                "Compté aujourd'hui": counted["realise"],
                "Progression": counted["progression"],
            }
        )
        formats = {"Objectif": _count, "À l'échéance": _count, "Compté aujourd'hui": _count, "Progression": fr_share}
        return html_table("Programme de la priorité 10", table, formats, lines=lines)


def _count(value: float) -> str:
    return "—" if pd.isna(value) else fr_number(value)


class GeocodedRows(Protocol):
    """What :func:`programme_report` needs of a geocoding result (:class:`territorial.GeocodeResult`)."""

    accepted: gpd.GeoDataFrame
    rejected: pd.DataFrame


def programme_report(
    projects: GeocodedRows | None = None,
    *,
    scheme: SchemeLike = "cper2000",
    places: pd.DataFrame | None = None,
    local_rules: tuple[str, ...] = (),
    undated: str = "count",
) -> ProgrammeReport:
    """The programme, its source check and, given geocoded projects, the checked and aggregated projects.

    Parameters
    ----------
    projects : territorial.GeocodeResult, optional
        The projects table as :func:`territorial.geocode` returns it. Every row is kept:
        rows that could not be located are checked and flagged but left out of the sums
        by territory. To start from a file, use :func:`territorial.pipeline.programme_from_file`.
    scheme : territory scheme of the sums by territory (default ``cper2000``)
    places : located facilities (``kind``, ``code_insee``), optional: each system's count is then
        reconciled with them (see :func:`target_progress`).
    local_rules : rules that are not in the plan, applied as labelled warnings (see :func:`check_projects`).
    undated : undated projects and places at a dated target: ``"count"`` (default) or ``"exclude"``.
    """
    report = ProgrammeReport(table=programme_table(), source_check=validate_source())
    if projects is None:
        return report
    if not (hasattr(projects, "accepted") and hasattr(projects, "rejected")):
        raise TypeError(
            "`projects` must be a GeocodeResult (territorial.geocode of the projects table), got "
            f"{type(projects).__name__}; to read a file, use territorial.programme_from_file(path)"
        )
    rows = pd.concat([pd.DataFrame(projects.accepted.drop(columns="geometry")), projects.rejected])
    rows = rows.sort_values("input_row", kind="stable").reset_index(drop=True)
    checked = check_projects(rows, local_rules=local_rules)
    report.projects = checked
    report.by_territory = programme_by_territory(checked.projects, scheme=scheme)
    report.indicators = indicators_by_territory(checked.projects)
    report.targets = target_progress(checked.projects, places=places, undated=undated)
    report.trajectory = target_trajectory(checked.projects, places=places, scheme=scheme, undated=undated)
    report.envelopes = envelope_balance(checked.projects)
    keep = ["input_row", "objectif", "kind", "cout_total_eur", "retenu"]
    keep += ["n_violations", "n_avertissements", "violations", "avertissements"]
    located = projects.accepted.drop(columns=[c for c in ("kind",) if c in projects.accepted])
    report.located = located.merge(checked.projects[keep], on="input_row")
    return report
