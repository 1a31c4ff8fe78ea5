"""Funded projects checked against the plan's rules, each rule with the severity of the plan's own words.

A rule the plan states firmly (« Mini 20 % Maxi 50 % », an envelope, a list of beneficiaries,
the contract's period) gives a ``violation``; a rule the plan itself softens (a split « à titre
indicatif », « et au-delà au cas par cas »), or one two of its statements contradict, gives an
``avertissement``. Rules that are not in the plan (a Département funds only projects in its
own département) are local policies: off unless asked for, and said so.

Every row is kept. A row is *retained* (counted in the sums by territory, the envelopes and the
targets) when it is located in the region, its id is not a repeat, its date is in the
contract's period (or not given) and its action line exists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from territorial._errors import ArgumentError, InputFileError
from territorial._format import fr_number
from territorial._text import find_column, read_dates
from territorial.columns import STATUS_LABELS
from territorial.kinds import kind_of_action
from territorial.programme.beneficiaries import BENEFICIARY_TYPES, beneficiary_type
from territorial.programme.plan import (
    FRANCS_PER_EURO,
    FUNDER_COLUMNS,
    PARTNERS,
    PROJECT_COLUMNS,
    TOLERANCE_EUR,
    actions_of,
    bracket_tension,
    checked_programme,
    envelopes,
    money,
    period,
    rate_tension,
    slug,
)

__all__ = [
    "VIOLATION",
    "WARNING",
    "LOCAL_RULES",
    "ProjectCheck",
    "action_code",
    "check_projects",
]

#: A rule the plan states firmly.
VIOLATION = "violation"
#: A rule the plan softens (indicative split, « au cas par cas »), contradicts, or a local policy.
WARNING = "avertissement"
#: A cost in euros below this is no operation of the contract: millions of francs written as euros.
MIN_COST_EUR = 1_000.0
#: A cost in millions of francs above this (about 152 M€, more than the whole priority) is euros written as MF.
MAX_COST_MF = 1_000.0
#: Euros per unit of each currency a file may write (millions of francs at the plan's rate, 6.55957 F = 1 €).
CURRENCIES = {
    **dict.fromkeys(("", "EUR", "€", "EURO", "EUROS"), 1.0),
    **dict.fromkeys(("K€", "KEUR", "MILLIERS D'EUROS"), 1e3),
    **dict.fromkeys(("M€", "MEUR", "MILLIONS D'EUROS"), 1e6),
    **dict.fromkeys(("F", "FRF", "FRANCS"), 1 / FRANCS_PER_EURO),
    **dict.fromkeys(("MF", "MFRF", "M F", "MILLIONS DE FRANCS"), 1e6 / FRANCS_PER_EURO),
}
FRANC_CURRENCIES = ("F", "FRF", "FRANCS", "MF", "MFRF", "M F", "MILLIONS DE FRANCS")
#: A cost above this (in euros, more than the whole priority's contract amounts many times over) is a unit mistake.
MAX_COST_EUR = 1e9
LOCATED = ("matched", "fuzzy")

Finding = tuple[str, str, str]  # (regle, gravite, message)


@dataclass
class ProjectCheck:
    """Outcome of :func:`check_projects`.

    Attributes
    ----------
    projects : pandas.DataFrame
        One row per input project (none dropped), with ``objectif``, ``action_code``,
        ``kind`` (the system of priority 10 its action line funds), amounts in euros
        (``cout_total_eur``, ``<partenaire>_eur``), ``taux_partenaires``, ``retenu`` (counted in
        sums, envelopes and targets), ``exclusion`` (why not), ``n_violations``,
        ``n_avertissements``, ``violations`` and ``avertissements`` (`` | ``-separated).
    violations : pandas.DataFrame
        One row per finding: ``input_row``, ``id``, ``regle``, ``gravite`` (``violation`` or
        ``avertissement``), ``message``.
    """

    projects: pd.DataFrame
    violations: pd.DataFrame


_ACTION = re.compile(
    r"^(?:(?:objectif(?:\s+op[ée]rationnel)?|obj\.?|oo|moyens?\s+d['’]\s*actions?|ma|actions?|mesure)\s*"
    r"(?:n\s*[°o]\s*)?)?(\d{2})(?:\s*[.,\-_/]\s*(\d+))?"
    r"(?:(?:\s*[:—–\-]\s*|\s+)(?!.*(?<!\d)4[3-9](?!\d))\D.*)?$",  # a title, but no second code (« 48.1 et 48.2 »)
    re.IGNORECASE,
)


def action_code(value) -> str:
    """The action line or objective a cell names, read strictly: ``43,4`` -> ``43.4``; ``146.2`` stays ``146.2``.

    The code is the whole cell, with an optional word before (« objectif », « moyen d'action »,
    « MA ») and a title after a separator (``44 - Cyber-centres``); ``43.12`` is ``43.12`` (which
    does not exist), never 43.1.
    """
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()
    match = _ACTION.match(text)
    if not match:
        return text
    return match[1] + (f".{match[2]}" if match[2] else "")


# --------------------------------------------------------------------------- the table read against the plan


@dataclass
class _Ledger:
    """A projects table read against the plan: amounts in euros, action codes, objectives (one value per row)."""

    frame: pd.DataFrame
    programme: dict
    columns: dict[str, str | None]
    objectives: dict[str, dict]
    actions: dict[str, dict]
    ids: list[str]
    row_numbers: np.ndarray
    currency: list[str]
    cost: np.ndarray
    #: Per row: the cost as written, the funding cells written but unreadable, the action as written.
    cost_text: list[str]
    unreadable: list[list[tuple[str, str]]]
    action_text: list[str]
    amounts: dict[str, np.ndarray]
    contract: np.ndarray
    funded: np.ndarray
    codes: list[str]
    objective_of: list[str]
    dates: pd.Series
    #: Per row: the date as written; whether it is within the contract's period (None: undated or unreadable).
    date_text: list[str]
    inside: list[bool | None]
    #: Per row: the geocoding status and note (``matched`` and "" for a table that was not geocoded).
    status: list[str]
    note: list[str]
    repeated: np.ndarray
    first_row: dict[str, int]
    #: The beneficiary as written (type, else name) and its type ("" when unknown), per row.
    beneficiary: list[str]
    beneficiary_kind: list[str]
    staff: np.ndarray

    @classmethod
    def read(cls, projects: pd.DataFrame, programme: dict) -> _Ledger:
        actions = actions_of(programme)
        objectives = {o["code"]: o for o in programme["objectifs"]}
        columns = {role: find_column(projects, names) for role, names in PROJECT_COLUMNS.items()}
        funders = {partner: find_column(projects, names) for partner, names in FUNDER_COLUMNS.items()}
        frame = projects.reset_index(drop=True)
        n = len(frame)
        _check_columns(projects, columns, funders)
        currency = pd.Series(_texts(frame, columns["devise"]), index=frame.index, dtype=object).str.upper()
        factor = currency.map(CURRENCIES).fillna(1.0).to_numpy(dtype=float)

        written = {partner: _texts(frame, column) for partner, column in funders.items() if column}
        parsed = {partner: money(frame[column]) for partner, column in funders.items() if column}
        # an empty funding cell is no contribution; a written one that cannot be read is said (see _amount_rules)
        amounts = {partner: np.nan_to_num(values * factor, nan=0.0) for partner, values in parsed.items()}
        unreadable = [
            [(p, written[p][i]) for p in parsed if written[p][i] and np.isnan(parsed[p][i])] for i in range(n)
        ]
        codes = frame[columns["action"]].map(action_code) if columns["action"] else pd.Series("", index=frame.index)
        ids = pd.Series(_texts(frame, columns["id"]) if columns["id"] else [str(i + 1) for i in range(n)])
        given = ids.ne("")
        dates = read_dates(frame[columns["date"]]) if columns["date"] else pd.Series(pd.NaT, index=frame.index)
        row_numbers = frame["input_row"].to_numpy() if "input_row" in frame else np.arange(1, n + 1)
        return cls(
            frame=frame,
            programme=programme,
            columns=columns,
            objectives=objectives,
            actions=actions,
            ids=ids.tolist(),
            row_numbers=row_numbers,
            currency=currency.tolist(),
            cost=money(frame[columns["cout_total"]]) * factor,
            cost_text=_texts(frame, columns["cout_total"]),
            unreadable=unreadable,
            action_text=_texts(frame, columns["action"]),
            amounts=amounts,
            contract=sum((amounts.get(p, np.zeros(n)) for p in PARTNERS), np.zeros(n)),
            funded=sum(amounts.values(), np.zeros(n)),
            codes=codes.tolist(),
            objective_of=[c if c in objectives else actions.get(c, {}).get("objectif", "") for c in codes],
            dates=dates,
            date_text=_texts(frame, columns["date"]),
            inside=_inside(dates, programme),
            status=frame["geocode_status"].tolist() if "geocode_status" in frame else ["matched"] * n,
            note=_texts(frame, "geocode_note" if "geocode_note" in frame else None),
            repeated=(ids.duplicated(keep="first") & given).to_numpy(),
            first_row={i: int(r) for i, r in zip(ids[::-1], row_numbers[::-1])},
            **_beneficiaries(frame, columns),
        )

    def amount(self, partner: str, i: int) -> float:
        """Contribution of ``partner`` to row ``i`` in euros (0 when the table has no column for it)."""
        values = self.amounts.get(partner)
        return 0.0 if values is None else values[i]

    def amounts_doubt(self, i: int) -> str:
        """Why row ``i``'s amounts cannot be trusted ("" when they can): currency, cost, cells, units."""
        if self.currency[i] not in CURRENCIES:
            return "devise inconnue"
        if not np.isfinite(self.cost[i]) or self.cost[i] <= 0:
            return "coût absent, illisible ou négatif"
        if self.unreadable[i] or any(values[i] < 0 for values in self.amounts.values()):
            return "montant illisible ou négatif"
        if _implausible(self, i) is not None:
            return "montant invraisemblable"
        return ""

    def exclusion(self, i: int) -> str:
        """Why row ``i`` is left out of the sums, envelopes and targets ("" when it is retained)."""
        if not self.objective_of[i]:
            return "action inconnue"
        if doubt := self.amounts_doubt(i):
            return doubt
        if self.repeated[i]:
            return "identifiant répété"
        if self.inside[i] is False:
            return "hors période"
        if self.status[i] not in LOCATED:
            return STATUS_LABELS.get(self.status[i], self.status[i])
        return ""


def _check_columns(projects: pd.DataFrame, columns: dict[str, str | None], funders: dict[str, str | None]) -> None:
    """A projects table names its cost, its action line and at least one partner of the contract."""
    missing = [
        f"{what} ({', '.join(names[:4])}…)"
        for what, names, found in (
            ("the total cost", PROJECT_COLUMNS["cout_total"], columns["cout_total"]),
            ("the action line", PROJECT_COLUMNS["action"], columns["action"]),
            (
                "a contract partner's amount",
                tuple(n for p in PARTNERS for n in FUNDER_COLUMNS[p][:1]),
                next((funders[p] for p in PARTNERS if funders.get(p)), None),
            ),
        )
        if found is None
    ]
    if missing:
        raise InputFileError(
            f"the projects table has no column for {'; '.join(missing)}; its columns are {list(projects.columns)}. "
            "Add or rename them (see README, The programme ledger)"
        )


def _texts(frame: pd.DataFrame, column: str | None) -> list[str]:
    """A column's cells as stripped text ("" for empty cells, or every row when there is no column)."""
    if column is None:
        return [""] * len(frame)
    return frame[column].astype("string").fillna("").str.strip().tolist()


def _inside(dates: pd.Series, programme: dict) -> list[bool | None]:
    """Per row, whether its date is within the contract's period; None when undated or unreadable."""
    first, last = (pd.Timestamp(day) for day in period(programme))
    inside = ((dates >= first) & (dates <= last)).tolist()
    return [None if missing else bool(value) for value, missing in zip(inside, dates.isna().tolist())]


def _beneficiaries(frame: pd.DataFrame, columns: dict[str, str | None]) -> dict:
    """Per row: the beneficiary as written (its type if given, else its name), its type, its staff."""
    n = len(frame)

    def text(role: str) -> pd.Series:
        column = columns.get(role)
        return frame[column].fillna("").astype(str).str.strip() if column else pd.Series("", index=frame.index)

    typed, named = text("type_beneficiaire"), text("beneficiaire")
    written = typed.where(typed != "", named)
    kinds = {value: beneficiary_type(value) for value in written.unique()}  # each distinct name read once
    return {
        "beneficiary": named.where(named != "", typed).tolist(),
        "beneficiary_kind": [kinds[value] for value in written],
        "staff": money(frame[columns["effectif"]]) if columns.get("effectif") else np.full(n, np.nan),
    }


# --------------------------------------------------------------------------- rules, one per function


def _location_rule(ledger: _Ledger, i: int) -> list[Finding]:
    status, note = ledger.status[i], ledger.note[i]
    if status in LOCATED:
        return []
    said = STATUS_LABELS.get(status, status)
    if status == "outside_region":
        message = f"projet situé hors du Nord-Pas de Calais ({note}) : le contrat de plan finance la région"
        return [("localisation", VIOLATION, message)]
    return [
        (
            "localisation",
            WARNING,
            f"projet non localisé ({said}) : {note} ; il n'entre ni dans les sommes par territoire ni dans les cibles",
        )
    ]


def _repeat_rule(ledger: _Ledger, i: int) -> list[Finding]:
    if not ledger.repeated[i]:
        return []
    first = ledger.first_row[ledger.ids[i]]
    return [
        (
            "doublon",
            VIOLATION,
            f"identifiant {ledger.ids[i]} déjà utilisé ligne {first} : le projet "
            "n'est compté qu'une fois (la première ligne)",
        )
    ]


def _period_rule(ledger: _Ledger, i: int) -> list[Finding]:
    written, inside = ledger.date_text[i], ledger.inside[i]
    if not written:
        return []
    if inside is None:
        return [
            (
                "date",
                WARNING,
                f"date « {written} » illisible (écrivez JJ/MM/AAAA, AAAA-MM-JJ ou AAAA) : "
                "le projet est compté comme non daté",
            )
        ]
    if inside:
        return []
    first, last = period(ledger.programme)
    return [
        (
            "date",
            VIOLATION,
            f"date {written} hors de la période du contrat de plan ({first.year}-{last.year}) : "
            "le projet n'entre ni dans les sommes ni dans les cibles",
        )
    ]


def _currency_rule(ledger: _Ledger, i: int) -> list[Finding]:
    currency = ledger.currency[i]
    if currency in CURRENCIES:
        return []
    return [("devise", VIOLATION, f"devise « {currency} » inconnue : écrivez EUR, k€, M€, F ou MF")]


def _action_rule(ledger: _Ledger, i: int) -> list[Finding]:
    if ledger.objective_of[i]:
        return []
    written = ledger.action_text[i] or "(vide)"
    return [
        (
            "action",
            VIOLATION,
            f"l'action « {written} » n'est pas un moyen d'action ni un objectif de la priorité 10 (un seul code "
            f"par ligne ; moyens d'action : {', '.join(sorted(ledger.actions))} ; "
            f"objectifs : {', '.join(ledger.objectives)})",
        )
    ]


def _implausible(ledger: _Ledger, i: int) -> str | None:
    """Why row ``i``'s cost can only be a unit mistake (francs written as euros, euros as francs), or None."""
    cost, currency, written = ledger.cost[i], ledger.currency[i], ledger.cost_text[i]
    unit = currency or "EUR"
    if cost < MIN_COST_EUR:
        return (
            f"coût « {written} » ({unit}, soit {fr_number(cost, 2)} €) invraisemblable pour une opération du contrat "
            "de plan : des millions de francs écrits en euros (écrivez MF dans la colonne devise) ou un point "
            "de milliers lu comme une virgule ?"
        )
    if cost > MAX_COST_EUR or (currency in FRANC_CURRENCIES and cost * FRANCS_PER_EURO / 1e6 > MAX_COST_MF):
        return (
            f"coût « {written} » ({unit}, soit {fr_number(cost / 1e6, 1)} M€) invraisemblable (plus que toute la "
            "priorité) : des euros écrits en millions de francs ? Vérifiez la colonne devise"
        )
    return None


def _plausibility_rule(ledger: _Ledger, i: int) -> list[Finding]:
    """A cost that only a unit mistake explains: a data error, the row is not counted."""
    why = _implausible(ledger, i)
    return [] if why is None else [("plausibilite", VIOLATION, why)]


def _cell_rules(ledger: _Ledger, i: int) -> list[Finding]:
    """Funding cells written but unreadable, and negative amounts (checked whatever the cost)."""
    found = [
        ("montant", VIOLATION, f"montant de {partner} illisible : « {text} » (écrivez un nombre, ex. 12 000,50)")
        for partner, text in ledger.unreadable[i]
    ]
    return found + [
        ("montant", VIOLATION, f"montant négatif pour {partner} : {fr_number(values[i], 2)} €")
        for partner, values in ledger.amounts.items()
        if np.isfinite(values[i]) and values[i] < 0
    ]


def _cost_rule(ledger: _Ledger, i: int) -> list[Finding]:
    cost, written = ledger.cost[i], ledger.cost_text[i]
    if np.isfinite(cost) and cost > 0:
        return []
    if not written:
        return [("montant", VIOLATION, "coût total absent")]
    if np.isfinite(cost):
        return [("montant", VIOLATION, f"coût total « {written} » négatif ou nul")]
    return [("montant", VIOLATION, f"coût total « {written} » illisible (écrivez un nombre, ex. 120 000)")]


def _sum_rules(ledger: _Ledger, i: int) -> list[Finding]:
    """Contributions do not exceed the cost, and make it when ``Autres`` is given."""
    cost, funded = ledger.cost[i], ledger.funded[i]
    said = f"les financements ({fr_number(funded, 2)} €)"
    if funded > cost + TOLERANCE_EUR:
        return [("somme", VIOLATION, f"{said} dépassent le coût total ({fr_number(cost, 2)} €)")]
    if "Autres" in ledger.amounts and abs(funded - cost) > TOLERANCE_EUR:
        return [("somme", VIOLATION, f"{said} ne font pas le coût total ({fr_number(cost, 2)} €)")]
    return []


def _rate_rules(ledger: _Ledger, i: int) -> list[Finding]:
    """The contract partners' rate within the objective's or action's bounds; objective 43's cumulative cap."""
    code, objective, cost = ledger.codes[i], ledger.objective_of[i], ledger.cost[i]
    action = ledger.actions.get(code, {})
    rules = {**ledger.objectives[objective].get("taux", {}), **action.get("taux", {})}
    share = 100 * ledger.contract[i] / cost
    level = f"du moyen d'action {code}" if "taux" in action else f"de l'objectif {objective}"
    said = f"taux des partenaires du contrat {fr_number(share, 1)} %"
    found = []
    if "min" in rules and share < rules["min"] - 1e-9:
        found.append(("taux", VIOLATION, f"{said} sous le minimum de {rules['min']} % {level}"))
    if "max" in rules and share > rules["max"] + 1e-9:
        tension = rate_tension(ledger.objectives[objective])
        if tension is not None and ledger.amount(tension[0], i) > 0:  # the plan's own fixed rate leads here
            message = (
                f"{said} au-dessus du maximum de {rules['max']} % {level}, avec le {tension[0]} à son taux fixé par "
                "le plan : le plan se contredit (voir controle_source.csv)"
            )
            found.append(("taux", WARNING, message))
        else:
            found.append(("taux", VIOLATION, f"{said} au-dessus du maximum de {rules['max']} % {level}"))
    if "max_cumule" in rules:
        cumulated = 100 * sum((ledger.amount(p, i) for p in rules.get("cumul", [])), 0.0) / cost
        if cumulated > rules["max_cumule"] + 1e-9:
            message = (
                f"taux cumulé {' + '.join(rules.get('cumul', []))} {fr_number(cumulated, 1)} % au-dessus du "
                f"plafond de {rules['max_cumule']} % de l'objectif {objective}"
            )
            found.append(("plafond", VIOLATION, message))
    return found + _partner_rate_rule(ledger, i, rules)


def _partner_rate_rule(ledger: _Ledger, i: int, rules: dict) -> list[Finding]:
    """A partner's fixed rate (the Pas-de-Calais at 50 % in objective 45): a warning where the plan contradicts it."""
    objective = ledger.objectives[ledger.objective_of[i]]
    tension = rate_tension(objective)
    found = []
    for partner, expected in rules.get("partenaire_taux", {}).items():
        value = 100 * ledger.amount(partner, i) / ledger.cost[i]
        if value <= 0 or abs(value - expected) <= 0.5:
            continue
        message = (
            f"{partner} intervient à hauteur de {expected} % dans l'objectif {objective['code']} "
            f"(ici {fr_number(value, 1)} %)"
        )
        if tension is not None and tension[0] == partner:
            found.append(
                (
                    "taux_partenaire",
                    WARNING,
                    f"{message} ; le plan se contredit (« maxi {rules.get('max')} % » "
                    "pour tous les partenaires) : voir controle_source.csv",
                )
            )
        else:
            found.append(("taux_partenaire", VIOLATION, message))
    return found


def _envelope_rule(ledger: _Ledger, i: int) -> list[Finding]:
    """A partner funds only the objectives and action lines where the plan gives it money."""
    objective = ledger.objectives[ledger.objective_of[i]]
    action = ledger.actions.get(ledger.codes[i])
    return [
        finding
        for partner in PARTNERS
        if ledger.amount(partner, i) > 0
        for finding in _partner_line(objective, action, partner)
    ]


def _partner_line(objective: dict, action: dict | None, partner: str) -> list[Finding]:
    """Whether the plan gives ``partner`` money on ``objective`` and, when the project names one, on ``action``."""
    code = objective["code"]
    total = next((a for a in objective.get("texte", []) if a["partenaire"] == partner), None)
    if total is None:
        funders = ", ".join(a["partenaire"] for a in objective.get("texte", []))
        return [("enveloppe", VIOLATION, f"{partner} n'a pas d'enveloppe pour l'objectif {code} (le plan : {funders})")]
    if action is None:
        return []
    lines = [
        a["code"] for a in objective.get("actions", []) if any(p["partenaire"] == partner for p in a.get("texte", []))
    ]
    if lines and action["code"] not in lines:
        indicative = objective.get("repartition_indicative") or {}
        severity = WARNING if partner in indicative.get("partenaires", []) else VIOLATION
        return [
            (
                "enveloppe",
                severity,
                f"{partner} n'a pas de crédits sur le moyen d'action {action['code']} : "
                f"le plan les lui donne sur {', '.join(lines)}",
            )
        ]
    if total.get("moyens") and action["code"] not in total["moyens"]:
        tension = bracket_tension(objective, total)
        severity = WARNING if tension else VIOLATION
        why = " ; le plan se contredit sur ce point : voir controle_source.csv" if tension else ""
        return [
            (
                "enveloppe",
                severity,
                f"le plan réserve les crédits de {partner} sur l'objectif {code} au(x) "
                f"moyen(s) d'action {', '.join(total['moyens'])}, pas au {action['code']}{why}",
            )
        ]
    return []


def _beneficiary_rule(ledger: _Ledger, i: int) -> list[Finding]:
    """The beneficiary is of a type the plan lists for the action line (or its objective)."""
    if not ledger.beneficiary[i]:
        return []
    objective = ledger.objectives[ledger.objective_of[i]]
    action = ledger.actions.get(ledger.codes[i], {})
    allowed = action.get("types_beneficiaires") or objective.get("types_beneficiaires", [])
    kind, who = ledger.beneficiary_kind[i], f"« {ledger.beneficiary[i]} »"
    if not allowed:
        return []
    if not kind:
        return [
            (
                "beneficiaire",
                WARNING,
                f"type du bénéficiaire {who} non reconnu : précisez-le dans une colonne "
                f"type_beneficiaire ({', '.join(BENEFICIARY_TYPES)})",
            )
        ]
    if kind not in allowed:
        level = (
            f"du moyen d'action {action['code']}"
            if action.get("types_beneficiaires")
            else f"de l'objectif {objective['code']}"
        )
        listed = ", ".join(BENEFICIARY_TYPES[k][0] for k in allowed)
        message = f"{who} ({BENEFICIARY_TYPES[kind][0]}) n'est pas un bénéficiaire {level} : {listed}"
        return [("beneficiaire", VIOLATION, message)]
    return _size_rule(ledger, i, objective, kind, who)


def _size_rule(ledger: _Ledger, i: int, objective: dict, kind: str, who: str) -> list[Finding]:
    """A company beneficiary of objective 43 has fewer than 500 staff (when the file gives the staff)."""
    ceiling, staff = objective.get("effectif_max"), ledger.staff[i]
    if kind != "entreprise" or ceiling is None or not np.isfinite(staff) or staff < ceiling:
        return []
    message = (
        f"{who} compte {fr_number(staff, 0)} salariés : l'objectif {objective['code']} aide les PME-PMI "
        f"de moins de {fr_number(ceiling, 0)} personnes"
    )
    return [("beneficiaire", VIOLATION, message)]


def _home_rule(ledger: _Ledger, i: int) -> list[Finding]:
    """Local policy, not in the plan: a Département funds projects located in it."""
    where = ledger.frame["departement"].to_numpy()[i] if "departement" in ledger.frame else None
    home = {"Département du Nord": "59", "Département du Pas-de-Calais": "62"}
    return [
        (
            "politique_locale_departement",
            WARNING,
            f"politique locale (hors plan) : {partner} finance un projet situé hors de son département ({where})",
        )
        for partner, code_dep in home.items()
        if ledger.amount(partner, i) > 0 and isinstance(where, str) and where != code_dep
    ]


#: Rules that are not in the plan, applied only when asked for by name (``local_rules=``).
LOCAL_RULES: dict[str, Callable[[_Ledger, int], list[Finding]]] = {"departement": _home_rule}


def _row_findings(ledger: _Ledger, i: int, local: Iterable[str]) -> list[Finding]:
    """Every finding of row ``i``, rule by rule in a fixed order."""
    found = _location_rule(ledger, i) + _repeat_rule(ledger, i) + _period_rule(ledger, i)
    found += _currency_rule(ledger, i) + _action_rule(ledger, i) + _cell_rules(ledger, i) + _cost_rule(ledger, i)
    doubt = ledger.amounts_doubt(i)
    if found and doubt:  # the amounts cannot be trusted: no rule on them
        return found
    found += _plausibility_rule(ledger, i) + _sum_rules(ledger, i)
    if not ledger.objective_of[i] or doubt:
        return found
    found += _rate_rules(ledger, i) + _envelope_rule(ledger, i) + _beneficiary_rule(ledger, i)
    return found + [finding for name in local for finding in LOCAL_RULES[name](ledger, i)]


# --------------------------------------------------------------------------- envelopes, cumulated by date


def _envelope_findings(ledger: _Ledger, retained: np.ndarray) -> list[tuple[int, Finding]]:
    """Every retained project that, cumulated by date, takes a partner beyond an envelope (and each one after)."""
    when = ledger.dates.astype("datetime64[ns]").to_numpy().astype("int64")
    when[ledger.dates.isna().to_numpy()] = np.iinfo(np.int64).max  # undated: after every dated project
    order = np.lexsort((np.arange(len(ledger.frame)), when))
    limits = {key: (e.euros, WARNING if e.soft else VIOLATION) for key, e in envelopes(ledger.programme).items()}
    spent: dict[tuple[str, str], float] = {}
    found = []
    for i in (i for i in order if retained[i]):
        for line in dict.fromkeys((ledger.objective_of[i], ledger.codes[i])):
            for partner in PARTNERS:
                value = ledger.amount(partner, i)
                if value <= 0 or (line, partner) not in limits:
                    continue
                spent[(line, partner)] = after = spent.get((line, partner), 0.0) + value
                limit, severity = limits[(line, partner)]
                if after > limit + TOLERANCE_EUR:
                    level = "le moyen d'action" if line in ledger.actions else "l'objectif"
                    why = (
                        " (répartition indicative ou « au-delà au cas par cas » dans le plan)"
                        if severity == WARNING
                        else ""
                    )
                    message = (
                        f"avec ce projet, {partner} a programmé {fr_number(after / 1e6, 4)} M€ sur {level} {line} "
                        f"pour une enveloppe de {fr_number(limit / 1e6, 4)} M€{why}"
                    )
                    found.append((i, ("enveloppe", severity, message)))
    return found


# --------------------------------------------------------------------------- the check


def check_projects(
    projects: pd.DataFrame, programme: dict | None = None, *, local_rules: Iterable[str] = ()
) -> ProjectCheck:
    """Check every funded project against the plan's rules; keep every row.

    Rules, with their severity (``violation`` where the plan is firm, ``avertissement`` where
    it softens or contradicts itself):

    - the project is located in the region (outside: violation; not located: warning);
    - its id is not a repeat (violation on each repeat; counted once);
    - its date is within the contract's period, 2000-2006 (violation; unreadable: warning);
    - the currency is known; the action line exists (read strictly: ``43,4`` is 43.4,
      ``146.2`` and ``43.12`` do not exist);
    - the cost is given, plausible for its currency (below 1 000 € is francs written as euros),
      amounts are not negative, contributions do not exceed the cost (and make it when an
      ``autres`` column exists);
    - the contract partners' rate is within the objective's or action's minimum and maximum;
      objective 43's cumulative cap (FEDER + Etat + Région ≤ 75 %); a partner's fixed rate
      (Pas-de-Calais at 50 % in 45: a warning, as the plan contradicts itself there);
    - a partner funds only objectives and action lines where the plan gives it money (a line
      outside an indicative split, or tied by a contradictory bracket: warning);
    - the beneficiary is of a type the plan lists (``beneficiaire`` or ``type_beneficiaire``
      column; unknown type: warning); a company on 43 has fewer than 500 staff;
    - cumulated by date, no partner is programmed beyond an envelope (every project past it
      is flagged; indicative or « au cas par cas » envelopes: warning).

    Parameters
    ----------
    projects : pandas.DataFrame
        One row per project. Amounts in euros, or in millions of francs where ``devise``
        says ``MF``. Rows that geocoding rejected (``geocode_status``) are kept and flagged.
    programme : dict, optional
        The plan (default: the embedded priority 10).
    local_rules : names of rules that are not in the plan, to apply as warnings labelled
        « politique locale » (:data:`LOCAL_RULES`: ``departement``).
    """
    local = list(local_rules)
    unknown = [name for name in local if name not in LOCAL_RULES]
    if unknown:
        raise ArgumentError(f"`local_rules`: unknown rule(s) {unknown}; choose among {sorted(LOCAL_RULES)}")
    ledger = _Ledger.read(projects, checked_programme(programme))
    n = len(ledger.frame)
    exclusions = [ledger.exclusion(i) for i in range(n)]
    retained = np.array([not reason for reason in exclusions], dtype=bool)
    found = [(i, finding) for i in range(n) for finding in _row_findings(ledger, i, local)]
    found += _envelope_findings(ledger, retained)
    table = pd.DataFrame(
        [
            {"input_row": int(ledger.row_numbers[i]), "id": ledger.ids[i], "regle": r, "gravite": g, "message": m}
            for i, (r, g, m) in found
        ],
        columns=["input_row", "id", "regle", "gravite", "message"],
    )
    return ProjectCheck(projects=_checked_rows(ledger, table, retained, exclusions), violations=table)


def _checked_rows(ledger: _Ledger, table: pd.DataFrame, retained: np.ndarray, exclusions: list[str]) -> pd.DataFrame:
    """The projects table with its objective, system, euros, rate, retention and findings."""
    messages = {
        severity: table[table["gravite"] == severity].groupby("input_row")["message"].agg(list)
        for severity in (VIOLATION, WARNING)
    }
    rows = [int(r) for r in ledger.row_numbers]
    cost, contract = ledger.cost, ledger.contract
    return ledger.frame.assign(
        objectif=ledger.objective_of,
        action_code=ledger.codes,
        kind=[kind_of_action(c) if o else "" for c, o in zip(ledger.codes, ledger.objective_of)],
        cout_total_eur=np.round(cost, 2),
        **{f"{slug(p)}_eur": np.round(v, 2) for p, v in ledger.amounts.items()},
        taux_partenaires=np.where(cost > 0, np.round(contract / np.where(cost > 0, cost, 1), 4), np.nan),
        date_projet=ledger.dates.to_numpy(),
        retenu=retained,
        exclusion=exclusions,
        n_violations=[len(messages[VIOLATION].get(r, [])) for r in rows],
        n_avertissements=[len(messages[WARNING].get(r, [])) for r in rows],
        violations=[" | ".join(messages[VIOLATION].get(r, [])) for r in rows],
        avertissements=[" | ".join(messages[WARNING].get(r, [])) for r in rows],
    )
