"""What the retained projects add up to: by territory, by indicator, against envelopes and targets."""

from __future__ import annotations

import numpy as np
import pandas as pd

from territorial._format import production_date
from territorial._text import check_undated, find_column, normalise_column_name, open_on
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
    period,
    slug,
)
from territorial.schemes import SchemeLike, resolve_scheme, territories

__all__ = [
    "programme_by_territory",
    "indicators_by_territory",
    "target_progress",
    "target_trajectory",
    "envelope_balance",
]


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
    "projection_a_echeance",
    "ecart_a_echeance",
    "trajectoire",
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


_HOW = {
    "projets": "projets retenus",
    "communes": "communes distinctes des projets retenus",
    "lieux": "lieux distincts des projets retenus (une commune et un bénéficiaire ou un site)",
}
_RECONCILED = {
    "communes": "communes distinctes des projets retenus et des lieux recensés",
    "lieux": "par commune, le plus grand des deux nombres : lieux recensés dans les fichiers d'équipements et lieux "
    "distincts des projets retenus (une commune et un bénéficiaire ou un site) ; additionné sur les communes",
}


def _per_commune(unit: str, projects: pd.DataFrame, places: pd.DataFrame | None) -> pd.Series:
    """What a system counts (see ``compte`` in the data), commune by commune (index: INSEE code)."""
    where = projects.get("code_insee", pd.Series(pd.NA, index=projects.index)).astype("string")
    listed = places["code_insee"].astype("string") if places is not None else pd.Series(dtype="string")
    if unit == "projets":
        return where.fillna("").value_counts().astype(float)
    if unit == "communes":
        return pd.Series(1.0, index=pd.Index(sorted(set(where.dropna()) | set(listed)), dtype="string"))
    sites = _sites(projects[where.notna().to_numpy()])
    funded = sites.drop_duplicates().str.split("|").str[0].value_counts().astype(float)
    if places is None:
        return funded
    return pd.concat([funded.rename("p"), listed.value_counts().rename("l")], axis=1).fillna(0).max(axis=1)


def _count(unit: str, projects: pd.DataFrame, places: pd.DataFrame | None) -> tuple[float, str]:
    """What a system counts, and how it was counted, in French."""
    said = _RECONCILED.get(unit, _HOW[unit]) if places is not None else _HOW[unit]
    return float(_per_commune(unit, projects, places).sum()), said


def _date_column(frame: pd.DataFrame, name: str) -> pd.Series:
    return pd.to_datetime(frame.get(name, pd.Series(pd.NaT, index=frame.index)))


def _yearly(
    unit: str, projects: pd.DataFrame, places: pd.DataFrame | None, years: range, *, undated: str
) -> pd.DataFrame:
    """The count per commune (rows) on the 31 December of each year (columns).

    A project counts from its date, a place while it is open (see :func:`territorial._text.open_on`);
    undated ones count every year when ``undated="count"``, never when ``"exclude"``.
    """
    dates = _date_column(projects, "date_projet")
    columns = {}
    for year in years:
        day = pd.Timestamp(year=year, month=12, day=31)
        funded = projects[open_on(dates, pd.Series(pd.NaT, index=dates.index), day, undated=undated)]
        open_places = None
        if places is not None:
            open_places = places[
                open_on(_date_column(places, "ouverture"), _date_column(places, "fermeture"), day, undated=undated)
            ]
        columns[year] = _per_commune(unit, funded, open_places)
    return pd.DataFrame(columns, columns=list(years)).fillna(0.0)


def _last_year(
    projects: pd.DataFrame, places: pd.DataFrame | None, *, as_of: int | None, start: int, end: int
) -> int | None:
    """How far the data sees: ``as_of`` if given, else the latest year with a dated event (a project, an
    opening, a closing), within ``start`` (the year before the contract) and ``end`` (the later of its last
    year and the deadline). None: nothing is dated."""
    if as_of is None:
        dates = [_date_column(projects, "date_projet")]
        if places is not None:
            dates += [_date_column(places, "ouverture"), _date_column(places, "fermeture")]
        latest = pd.concat(dates).max()
        as_of = None if pd.isna(latest) else int(latest.year)
    return None if as_of is None else min(max(as_of, start), end)


def _years(programme: dict) -> tuple[int, int]:
    """The first and last years of the contract (2000, 2006)."""
    first, last = period(programme)
    return first.year, last.year


def _trajectory(counts: pd.Series, as_of: int, until: int) -> pd.Series:
    """Observed counts up to ``as_of``, then extended to ``until`` at the mean yearly change observed.

    ``counts`` starts with the year before the first one of the contract (the situation before it).
    """
    observed = counts.loc[:as_of]
    first = int(observed.index[0])
    rate = (observed.iloc[-1] - observed.iloc[0]) / (as_of - first) if as_of > first else 0.0
    ahead = pd.Series(
        [observed.iloc[-1] + rate * (y - as_of) for y in range(as_of + 1, until + 1)],
        index=range(as_of + 1, until + 1),
        dtype=float,
    )
    return pd.concat([observed, ahead])


def _deadline_columns(
    target: dict | None,
    unit: str,
    projects: pd.DataFrame,
    places: pd.DataFrame | None,
    *,
    undated: str,
    as_of: int | None,
    years: tuple[int, int],
) -> dict:
    """For a dated target: the count at the deadline (observed or extended), its gap, and the verdict."""
    empty = {"realise_a_echeance": np.nan, "projection_a_echeance": np.nan, "ecart_a_echeance": np.nan}
    if not target or not target.get("date_echeance"):
        return {**empty, "trajectoire": ""}
    start, deadline = years[0] - 1, pd.Timestamp(str(target["date_echeance"])).year
    seen = _last_year(projects, places, as_of=as_of, start=start, end=max(years[1], deadline))
    if seen is None:
        return {**empty, "trajectoire": "indéterminée : aucune date dans les projets ni les lieux"}
    goal = float(target["valeur"])
    counts = _yearly(unit, projects, places, range(start, seen + 1), undated=undated).sum()
    if seen >= deadline:
        done = float(counts.get(deadline, np.nan))
        verdict = "atteinte" if done >= goal else "non atteinte"
        return {**empty, "realise_a_echeance": done, "ecart_a_echeance": goal - done, "trajectoire": verdict}
    ahead = float(_trajectory(counts, seen, deadline).iloc[-1])
    how = f"tendance {start}–{seen} prolongée" if seen > start else f"rien de daté après {start} : nombre maintenu"
    verdict = f"{'en voie' if ahead >= goal else 'pas en voie'} ({how})"
    return {**empty, "projection_a_echeance": ahead, "ecart_a_echeance": goal - ahead, "trajectoire": verdict}


def _system_row(
    kind: str,
    system: dict,
    retained: pd.DataFrame,
    places: pd.DataFrame | None,
    target: dict | None,
    *,
    undated: str,
    as_of: int | None,
    years: tuple[int, int],
) -> dict:
    """One system's count, against its target when the plan gives one."""
    mine = retained[retained["kind"] == kind]
    listed = places[places["kind"] == kind] if places is not None else None
    listed = listed if listed is not None and len(listed) else None  # no file of this kind: projects only
    dates = _date_column(mine, "date_projet")
    deadline = pd.Timestamp(str(target["date_echeance"])) if target and target.get("date_echeance") else None
    current = listed  # today: the places open now (a closed one still counts on the dates it was open)
    if listed is not None:
        today = pd.Timestamp(production_date())
        current = listed[open_on(_date_column(listed, "ouverture"), _date_column(listed, "fermeture"), today)]
    unit = system.get("compte", "lieux")
    realised, how = _count(unit, mine, current)
    where = f"{how} ({', '.join(system['moyens'])})"
    by_deadline = int((dates <= deadline).sum()) if deadline is not None else None
    if by_deadline is not None:
        deadline_said = (target or {}).get("echeance", "")
        where += f" ; dont {by_deadline} projet(s) retenu(s) daté(s) d'avant l'échéance ({deadline_said})"
        where += " ; à l'échéance, lieux et projets sans date " + (
            "comptés" if undated == "count" else "exclus (option undated)"
        )
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
        **_deadline_columns(target, unit, mine, listed, undated=undated, as_of=as_of, years=years),
        "equipements": float(len(listed)) if listed is not None else np.nan,
        "realise": realised,
        "progression": realised / float(target["valeur"]) if target else np.nan,
        "definition": where,
        "objectif": ", ".join(dict.fromkeys(m.split(".")[0] for m in system["moyens"])),
        "ou": system["ou"],
    }


def target_progress(
    checked: pd.DataFrame,
    programme: dict | None = None,
    *,
    places: pd.DataFrame | None = None,
    undated: str = "count",
    as_of: int | None = None,
) -> pd.DataFrame:
    """Every system of priority 10 counted against its target (if the plan gives one), and the other targets.

    Parameters
    ----------
    checked : :attr:`ProjectCheck.projects` (with ``kind``, ``retenu``, ``code_insee``).
    programme : the plan (default: the embedded priority 10).
    places : located facilities (``kind``, ``code_insee``), optional. With them, a system's count is
        reconciled with the projects commune by commune (see ``definition``); without, it counts projects.
        Dated places (``ouverture``, ``fermeture``, see :func:`territorial.timeline.facility_dates`)
        count while open; a closed place is no longer in ``realise``.
    undated : ``"count"`` (default: undated projects and places count at every date) or ``"exclude"``.
    as_of : the year the data is known up to (default: the latest year of a date in the projects or places).
        A target whose deadline is past it is judged on the count then; otherwise on the trend
        since the contract began, prolonged to the deadline.

    Returns
    -------
    pandas.DataFrame
        One row per system (``kind``), then one per target with no system (animateur jobs):
        ``valeur_cible`` and ``progression`` are NaN where the plan gives no figure;
        ``projets_a_echeance`` counts the projects dated by a dated target's deadline
        (undated ones are in ``projets_sans_date``, not in it). For a dated target:
        ``realise_a_echeance`` (the count on the deadline, when the data reaches it) or
        ``projection_a_echeance`` (the trend prolonged), ``ecart_a_echeance`` (target minus count)
        and ``trajectoire`` (``atteinte``, ``non atteinte``, ``en voie``, ``pas en voie``).
    """
    programme = checked_programme(programme)
    retained = _retained(checked)
    targets = {t["code"]: t for t in programme.get("cibles", [])}
    check_undated(undated)
    years = _years(programme)
    rows = [
        _system_row(
            kind,
            system,
            retained,
            places,
            targets.get(system.get("cible") or ""),
            undated=undated,
            as_of=as_of,
            years=years,
        )
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


TRAJECTORY_COLUMNS = ["kind", "territoire", "annee", "nombre", "projete", "cible", "echeance", "date_echeance"]


def target_trajectory(
    checked: pd.DataFrame,
    programme: dict | None = None,
    *,
    places: pd.DataFrame | None = None,
    scheme: SchemeLike = "cper2000",
    undated: str = "count",
    as_of: int | None = None,
) -> pd.DataFrame:
    """Each dated target's count year by year, per territory and for the region, against the target.

    Counted as :func:`target_progress` counts (same ``places``, ``undated`` and ``as_of``), on the
    31 December of each year from the first of the contract to the later of ``as_of`` and the deadline.
    Years past ``as_of`` prolong the trend (``projete`` is True). The plan sets regional targets only:
    a territory's ``cible`` is the regional one in proportion to its population, a reading of the plan's
    territorial balance, not a figure of the plan.

    Returns
    -------
    pandas.DataFrame
        ``kind``, ``territoire`` (each territory of ``scheme``, then ``Région``), ``annee``,
        ``nombre``, ``projete``, ``cible``, ``echeance`` (as the plan writes it), ``date_echeance`` (ISO).
    """
    programme = checked_programme(programme)
    check_undated(undated)
    retained = _retained(checked)
    first, last = _years(programme)
    zones = territories(scheme)[["territoire", "population"]]
    share = zones.set_index("territoire")["population"] / zones["population"].sum()
    of_commune = resolve_scheme(scheme)
    targets = {t["code"]: t for t in programme.get("cibles", []) if t.get("date_echeance")}
    frames = []
    for kind, system in systems().items():
        target = targets.get(system.get("cible") or "")
        mine = retained[retained["kind"] == kind]
        listed = places[places["kind"] == kind] if places is not None else None
        listed = listed if listed is not None and len(listed) else None
        if target is None:
            continue
        deadline = pd.Timestamp(str(target["date_echeance"])).year
        seen = _last_year(mine, listed, as_of=as_of, start=first - 1, end=max(last, deadline))
        if seen is None:
            continue
        counted = range(first - 1, max(seen, first) + 1)
        counts = _yearly(system.get("compte", "lieux"), mine, listed, counted, undated=undated)
        by_zone = counts.groupby(counts.index.map(of_commune)).sum().reindex(share.index, fill_value=0.0)
        by_zone.loc["Région"] = counts.sum()
        for zone, row in by_zone.iterrows():
            path = _trajectory(row, seen, deadline).loc[first:]
            frames.append(
                pd.DataFrame(
                    {
                        "kind": kind,
                        "territoire": zone,
                        "annee": path.index.astype(int),
                        "nombre": path.to_numpy(),
                        "projete": path.index > seen,
                        "cible": float(target["valeur"]) * float(share.get(zone, 1.0)),
                        "echeance": target.get("echeance", ""),
                        "date_echeance": str(target["date_echeance"]),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=TRAJECTORY_COLUMNS)


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
