"""What the retained projects add up to: by territory, by indicator, against envelopes and targets."""

from __future__ import annotations

import numpy as np
import pandas as pd

from territorial._text import find_column, normalise_column_name
from territorial.columns import RESULT_COLUMNS, ROLE_NAMES
from territorial.kinds import systems
from territorial.programme.plan import (
    FUNDER_COLUMNS,
    PARTNERS,
    PROJECT_COLUMNS,
    checked_programme,
    envelopes,
    money,
    partner_rank,
    slug,
)
from territorial.schemes import SchemeLike, territories

__all__ = ["programme_by_territory", "indicators_by_territory", "target_progress", "envelope_balance"]


def _retained(checked: pd.DataFrame) -> pd.DataFrame:
    """The rows that count: located in the region, unique, in period, on an existing action line."""
    return checked[checked["retenu"].astype(bool)] if "retenu" in checked else checked[checked["objectif"] != ""]


def programme_by_territory(checked: pd.DataFrame, *, scheme: SchemeLike = "cper2000") -> pd.DataFrame:
    """Programmed amounts per territory, objective and partner, in M€ and per inhabitant.

    ``checked`` is :attr:`ProjectCheck.projects` of geocoded projects (with ``territoire``);
    only retained rows are summed (the others stay in the checked table, with their reason).
    """
    population = territories(scheme).set_index("territoire")["population"]
    partner_columns = {p: f"{slug(p)}_eur" for p in (*PARTNERS, "FEDER") if f"{slug(p)}_eur" in checked}
    usable = _retained(checked)
    usable = usable[usable["territoire"].notna()]
    long = usable.melt(
        id_vars=["territoire", "objectif"],
        value_vars=list(partner_columns.values()),
        var_name="colonne",
        value_name="montant_eur",
    )
    long["partenaire"] = long["colonne"].map({v: k for k, v in partner_columns.items()})
    table = long.groupby(["territoire", "objectif", "partenaire"], as_index=False)["montant_eur"].sum()
    table["montant_meur"] = (table["montant_eur"] / 1e6).round(6)
    table["montant_meur_par_hab"] = table["montant_meur"] / table["territoire"].map(population)
    table["montant_eur_par_hab"] = (table["montant_eur"] / table["territoire"].map(population)).round(4)
    return table[
        ["territoire", "objectif", "partenaire", "montant_meur", "montant_meur_par_hab", "montant_eur_par_hab"]
    ]


#: Columns of a projects file, or of the check, that are not indicator values.
_NOT_INDICATORS = {n for names in (*PROJECT_COLUMNS.values(), *FUNDER_COLUMNS.values()) for n in names} | {
    "input_row",
    "objectif",
    "action_code",
    "taux_partenaires",
    "n_violations",
    "n_avertissements",
    "violations",
    "avertissements",
    "epci_siren",
    "kind",
    "retenu",
    "exclusion",
    "date_projet",
}


def indicators_by_territory(checked: pd.DataFrame) -> pd.DataFrame:
    """Sum of every numeric indicator column (users, jobs, men, women...) per territory and objective."""
    location = {name for names in ROLE_NAMES.values() for name in names}
    skip = _NOT_INDICATORS | location | set(RESULT_COLUMNS)
    candidates = [
        c
        for c in checked.columns
        if normalise_column_name(c) not in skip
        and not c.endswith("_eur")
        and c != "geometry"
        and not c.endswith("_source")
    ]
    values = {c: money(checked[c]) for c in candidates}
    indicators = [c for c, v in values.items() if np.isfinite(v).mean() >= 0.5]
    usable = _retained(checked)
    usable = usable[usable["territoire"].notna()]
    rows = []
    for c in indicators:
        series = pd.Series(values[c], index=checked.index).loc[usable.index]
        grouped = series.groupby([usable["territoire"], usable["objectif"]]).sum(min_count=1)
        rows += [{"territoire": t, "objectif": o, "indicateur": c, "valeur": v} for (t, o), v in grouped.items()]
    return pd.DataFrame(rows, columns=["territoire", "objectif", "indicateur", "valeur"])


TARGET_COLUMNS = [
    "kind",
    "systeme",
    "indicateur",
    "cible",
    "valeur_cible",
    "echeance",
    "projets",
    "projets_a_echeance",
    "projets_sans_date",
    "realise_a_echeance",
    "ecart_a_echeance",
    "cible_atteinte",
    "equipements",
    "realise",
    "progression",
    "definition",
    "objectif",
    "ou",
]


def _sites(projects: pd.DataFrame) -> pd.Series:
    """One key per place the projects fund: a ``site`` column if any, else the beneficiary, else the project."""
    column = find_column(projects, PROJECT_COLUMNS["site"]) or find_column(projects, PROJECT_COLUMNS["beneficiaire"])
    named = projects[column].astype("string").str.strip().str.lower() if column else None
    fallback = projects["input_row"].astype("string") if "input_row" in projects else projects.index.astype("string")
    key = (
        named.where(named.fillna("") != "", fallback)
        if named is not None
        else pd.Series(fallback, index=projects.index)
    )
    return projects.get("code_insee", pd.Series("", index=projects.index)).astype("string").fillna("") + "|" + key


def _count(unit: str, projects: pd.DataFrame, places: pd.DataFrame | None) -> tuple[float, str]:
    """What a system counts (see ``compte`` in the data), and how it was counted, in French."""
    communes = projects.get("code_insee", pd.Series(dtype="string")).dropna()
    if unit == "projets":
        return float(len(projects)), "projets retenus"
    if unit == "communes":
        listed = set(places["code_insee"]) if places is not None else set()
        said = "communes distinctes des projets retenus" + (" et des lieux recensés" if places is not None else "")
        return float(len(set(communes) | listed)), said
    sites = _sites(projects[projects.get("code_insee", pd.Series(index=projects.index)).notna()])
    funded = sites.drop_duplicates().str.split("|").str[0].value_counts()
    if places is None:
        return float(funded.sum()), "lieux distincts des projets retenus (une commune et un bénéficiaire ou un site)"
    listed = places.groupby("code_insee").size()
    both = pd.concat([funded.rename("p"), listed.rename("l")], axis=1).fillna(0)
    said = (
        "par commune, le plus grand des deux nombres : lieux recensés dans les fichiers d'équipements et lieux "
        "distincts des projets retenus (une commune et un bénéficiaire ou un site) ; additionné sur les communes"
    )
    return float(both.max(axis=1).sum()), said


def _at(day: pd.Timestamp, unit: str, projects: pd.DataFrame, dates: pd.Series, places: pd.DataFrame | None) -> float:
    """The count on ``day``: projects dated by then (undated ones left out), places open then.

    A place is open on ``day`` when its ``ouverture`` is on or before it, or unknown, and its
    ``fermeture`` is unknown or after it (places without these columns are taken as open).
    """
    funded = projects[(dates <= day).to_numpy()]
    if places is None:
        return _count(unit, funded, None)[0]
    opened = places.get("ouverture", pd.Series(pd.NaT, index=places.index))
    closed = places.get("fermeture", pd.Series(pd.NaT, index=places.index))
    open_then = (opened.isna() | (opened <= day)) & (closed.isna() | (closed > day))
    return _count(unit, funded, places[open_then.to_numpy()])[0]


def _system_row(
    kind: str, system: dict, retained: pd.DataFrame, places: pd.DataFrame | None, target: dict | None
) -> dict:
    """One system's count, against its target when the plan gives one."""
    mine = retained[retained["kind"] == kind]
    listed = places[places["kind"] == kind] if places is not None else None
    listed = listed if listed is not None and len(listed) else None  # no file of this kind: projects only
    dates = pd.to_datetime(mine.get("date_projet", pd.Series(pd.NaT, index=mine.index)))
    deadline = pd.Timestamp(str(target["date_echeance"])) if target and target.get("date_echeance") else None
    current = listed  # a place closed is no longer counted today (it still is on the dates it was open)
    if listed is not None and "fermeture" in listed:
        current = listed[listed["fermeture"].isna().to_numpy()]
    realised, how = _count(system.get("compte", "lieux"), mine, current)
    where = f"{how} ({', '.join(system['moyens'])})"
    by_deadline = int((dates <= deadline).sum()) if deadline is not None else None
    at_deadline = _at(deadline, system.get("compte", "lieux"), mine, dates, listed) if deadline is not None else np.nan
    if by_deadline is not None:
        deadline_said = (target or {}).get("echeance", "")
        where += f" ; dont {by_deadline} projet(s) retenu(s) daté(s) d'avant l'échéance ({deadline_said})"
    return {
        "kind": kind,
        "systeme": system["libelle"],
        "indicateur": system["indicateur"],
        "cible": target["libelle"] if target else "",
        "valeur_cible": float(target["valeur"]) if target else np.nan,
        "echeance": (target or {}).get("echeance", ""),
        "projets": len(mine),
        "projets_a_echeance": by_deadline if by_deadline is not None else np.nan,
        "projets_sans_date": int(dates.isna().sum()),
        "realise_a_echeance": at_deadline,
        "ecart_a_echeance": float(target["valeur"]) - at_deadline if target and deadline is not None else np.nan,
        "cible_atteinte": (at_deadline >= float(target["valeur"])) if target and deadline is not None else None,
        "equipements": float(len(listed)) if listed is not None else np.nan,
        "realise": realised,
        "progression": realised / float(target["valeur"]) if target else np.nan,
        "definition": where,
        "objectif": ", ".join(dict.fromkeys(m.split(".")[0] for m in system["moyens"])),
        "ou": system["ou"],
    }


def target_progress(
    checked: pd.DataFrame, programme: dict | None = None, *, places: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Every system of priority 10 counted against its target (if the plan gives one), and the other targets.

    Parameters
    ----------
    checked : :attr:`ProjectCheck.projects` (with ``kind``, ``retenu``, ``code_insee``).
    programme : the plan (default: the embedded priority 10).
    places : located facilities (``kind``, ``code_insee``), optional. With them, a system's count is
        reconciled with the projects commune by commune (see ``definition``); without, it counts projects.

    Returns
    -------
    pandas.DataFrame
        One row per system (``kind``), then one per target with no system (animateur jobs):
        ``valeur_cible`` and ``progression`` are NaN where the plan gives no figure;
        ``projets_a_echeance`` counts the projects dated by a dated target's deadline
        (undated ones are in ``projets_sans_date``, not in it).
    """
    programme = checked_programme(programme)
    retained = _retained(checked)
    targets = {t["code"]: t for t in programme.get("cibles", [])}
    rows = [
        _system_row(kind, system, retained, places, targets.get(system.get("cible") or ""))
        for kind, system in systems().items()
    ]
    in_systems = {s.get("cible") for s in systems().values()}
    jobs_column = find_column(checked, ("emplois_animateurs", "emplois", "jobs"))
    for code, target in targets.items():
        if code in in_systems:
            continue
        of_objective = retained[retained["objectif"] == target.get("objectif")]
        done = float(np.nansum(money(of_objective[jobs_column]))) if jobs_column else np.nan
        rows.append(
            {
                "kind": target.get("kind") or "",
                "systeme": "",
                "indicateur": target["libelle"],
                "cible": target["libelle"],
                "valeur_cible": float(target["valeur"]),
                "echeance": target.get("echeance", ""),
                "projets": len(of_objective),
                "realise": done,
                "progression": done / float(target["valeur"]) if np.isfinite(done) else np.nan,
                "definition": f"total déclaré par les projets retenus de l'objectif {target.get('objectif')}"
                + ("" if jobs_column else " (aucune colonne emplois dans le fichier des projets)"),
                "objectif": target.get("objectif", ""),
                "ou": target.get("ou", ""),
            }
        )
    return pd.DataFrame(rows, columns=TARGET_COLUMNS)


def envelope_balance(checked: pd.DataFrame, programme: dict | None = None) -> pd.DataFrame:
    """Amounts programmed by the retained projects against every partner's envelope, with the balance.

    Returns
    -------
    pandas.DataFrame
        One row per (objective or action line, partner) of the plan: ``ligne``, ``niveau``
        (``objectif`` or ``moyen d'action``), ``partenaire``, ``enveloppe_meur``,
        ``programme_meur``, ``reste_meur`` (negative when exceeded), ``consommation``
        (share of the envelope), ``depassement_admis`` (the plan lets it be exceeded), ``ou``.
    """
    programme = checked_programme(programme)
    retained = _retained(checked)
    objectives = {o["code"] for o in programme["objectifs"]}
    rows = []
    for (line, partner), envelope in sorted(
        envelopes(programme).items(), key=lambda kv: (kv[0][0], partner_rank(kv[0][1]))
    ):
        column = f"{slug(partner)}_eur"
        key = "objectif" if line in objectives else "action_code"
        spent = float(retained.loc[retained[key] == line, column].sum()) if column in retained else 0.0
        rows.append(
            {
                "ligne": line,
                "niveau": "objectif" if line in objectives else "moyen d'action",
                "partenaire": partner,
                "enveloppe_meur": round(envelope.euros / 1e6, 6),
                "programme_meur": round(spent / 1e6, 6),
                "reste_meur": round((envelope.euros - spent) / 1e6, 6),
                "consommation": spent / envelope.euros if envelope.euros else np.nan,
                "depassement_admis": envelope.soft,
                "ou": envelope.ou,
            }
        )
    return pd.DataFrame(rows)
