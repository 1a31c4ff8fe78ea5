"""The programme ledger of priority 10: the plan as data, its validation, and project checks.

The programme (objectives 43-49, action lines, amounts per partner in MF and M€ as
written, intervention-rate rules, beneficiaries, indicators, targets, territorial notes)
is transcribed in ``territorial/data/priorite10.toml`` from the seed text.
:func:`validate_source` checks the source against itself: every MF -> M€ conversion at
1 € = 6.55957 F, every objective total against the sum of its actions, every amount
written twice (summary table and section text), and what the source leaves out.
:func:`check_projects` checks a file of funded projects against the plan's rules, and
:func:`programme_by_territory` aggregates what they programme by territory.
"""

from __future__ import annotations

import copy
import logging
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Protocol

import geopandas as gpd
import numpy as np
import pandas as pd

from territorial._format import fr_number
from territorial._text import normalise_column_name, to_number
from territorial.columns import RESULT_COLUMNS, ROLE_NAMES, STATUS_LABELS
from territorial.config import ProgrammeFile, validate
from territorial.schemes import SchemeLike, territories

logger = logging.getLogger(__name__)

__all__ = [
    "PARTNERS",
    "FRANCS_PER_EURO",
    "load_programme",
    "programme_table",
    "validate_source",
    "amounts_in_text",
    "check_projects",
    "ProjectCheck",
    "programme_by_territory",
]


@lru_cache(maxsize=1)
def _load() -> dict:
    """The embedded programme, checked against :class:`territorial.config.ProgrammeFile`."""
    source = resources.files("territorial.data").joinpath("priorite10.toml")
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    validate(ProgrammeFile, data, source="territorial/data/priorite10.toml")
    return data


def _checked(programme: dict | None) -> dict:
    """The embedded programme, or a given one once checked like it."""
    if programme is None:
        return _load()
    validate(ProgrammeFile, programme, source="the `programme` argument")
    return programme


#: Francs per euro, as the programme data gives it (the fixed conversion rate, 6.55957).
FRANCS_PER_EURO = float(_load()["francs_par_euro"])
#: Sums of contributions are compared with the total cost to the euro (amounts written in MF are rounded).
TOLERANCE_EUR = 1.0
#: The plan's partners, in its order (Etat, Région, the two Départements).
PARTNERS = tuple(_load()["partenaires"])
#: Project-file column (normalised name) of each funder.
FUNDER_COLUMNS = {
    "Etat": ("etat", "state"),
    "Région": ("region", "conseil_regional", "cr"),
    "Département du Nord": ("departement_nord", "dep_nord", "cg59", "departement_du_nord", "nord"),
    "Département du Pas-de-Calais": (
        "departement_pas_de_calais",
        "dep_pas_de_calais",
        "cg62",
        "departement_du_pas_de_calais",
        "pas_de_calais",
    ),
    "FEDER": ("feder", "europe", "ue"),
    "Autres": ("autres", "autofinancement", "autres_financements", "other"),
}
PROJECT_COLUMNS = {
    "id": ("id", "identifiant", "id_projet", "numero"),
    "titre": ("titre", "intitule", "nom", "title", "libelle"),
    "action": ("action", "code_action", "moyen_d_action", "objectif", "mesure"),
    "cout_total": ("cout_total", "cout", "montant_total", "total_cost", "cout_eligible", "depenses_eligibles"),
    "devise": ("devise", "currency", "unite", "monnaie"),
    "date": ("date", "date_programmation", "date_decision", "annee"),
}


# --------------------------------------------------------------------------- the programme as data


def load_programme() -> dict:
    """The programme of priority 10 as a dict (a copy; see ``territorial/data/priorite10.toml``)."""
    return copy.deepcopy(_load())


def _actions(programme: dict) -> dict[str, dict]:
    return {a["code"]: {**a, "objectif": o["code"]} for o in programme["objectifs"] for a in o.get("actions", [])}


def programme_table(programme: dict | None = None) -> pd.DataFrame:
    """Amounts per objective or action and partner, as the sections of the text give them.

    Returns
    -------
    pandas.DataFrame
        ``objectif``, ``action`` (empty on an objective's own total), ``partenaire``,
        ``montant_mf``, ``montant_meur`` (NaN where the text gives none), ``ou``.
    """
    programme = _checked(programme)
    rows = []
    for objective in programme["objectifs"]:
        for amount in objective.get("texte", []):
            rows.append({"objectif": objective["code"], "action": "", **_amount_row(amount)})
        for action in objective.get("actions", []):
            for amount in action.get("texte", []):
                rows.append({"objectif": objective["code"], "action": action["code"], **_amount_row(amount)})
    return pd.DataFrame(rows, columns=["objectif", "action", "partenaire", "montant_mf", "montant_meur", "ou"])


def _amount_row(amount: dict) -> dict:
    return {
        "partenaire": amount["partenaire"],
        "montant_mf": amount.get("mf", np.nan),
        "montant_meur": amount.get("meur", np.nan),
        "ou": amount.get("ou", ""),
    }


def _to_meur(mf: float) -> float:
    return round(mf / FRANCS_PER_EURO, 4)


def validate_source(programme: dict | None = None) -> pd.DataFrame:
    """Every inconsistency or omission of the source, with where it is.

    Checks each MF/M€ pair (1 € = 6.55957 F, M€ written to 4 decimals), each
    objective total against the sum of its actions, each amount written twice
    (summary table and section text), the objectives missing from the table, and the
    amounts written in one currency only.

    Returns
    -------
    pandas.DataFrame
        One row per finding: ``type`` (``conversion``, ``somme``, ``doublon``,
        ``omission``), ``objectif``, ``action``, ``partenaire``, ``ou``, ``message``.
        Empty when the source is consistent and complete.
    """
    programme = _checked(programme)
    findings = _SourceFindings(programme.get("francs_par_euro", FRANCS_PER_EURO))
    for objective in programme["objectifs"]:
        findings.objective(objective)
    return pd.DataFrame(findings.rows, columns=["type", "objectif", "action", "partenaire", "ou", "message"])


class _SourceFindings:
    """The findings of :func:`validate_source`, gathered objective by objective."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.rows: list[dict] = []

    def add(self, kind: str, objective: str, action: str, partner: str, where: str, message: str) -> None:
        self.rows.append(
            {
                "type": kind,
                "objectif": objective,
                "action": action,
                "partenaire": partner,
                "ou": where,
                "message": message,
            }
        )

    def objective(self, objective: dict) -> None:
        """Pairs, table against text, and each action of one objective; the split between its actions."""
        code = objective["code"]
        self.pairs(code, "", objective.get("texte", []))
        self.pairs(code, "", objective.get("tableau", []))
        if "tableau" not in objective:
            self.add(
                "omission",
                code,
                "",
                "",
                "tableau récapitulatif",
                f"l'objectif {code} ne figure pas au tableau récapitulatif de la priorité",
            )
        else:
            self.compare(code, "", objective["tableau"], objective.get("texte", []), f"objectif {code}")
        for action in objective.get("actions", []):
            self.action(objective, action)
        if objective.get("actions"):
            self.split(objective)

    def pairs(self, objective: str, action: str, amounts: list[dict]) -> None:
        """Each MF/M€ pair converts at the plan's rate; an amount in one currency only is an omission."""
        rate = self.rate
        for a in amounts:
            mf, meur, where = a.get("mf"), a.get("meur"), a.get("ou", "")
            if mf is not None and meur is not None:
                expected = round(mf / rate, 4)
                if abs(expected - meur) > 5e-5:
                    self.add(
                        "conversion",
                        objective,
                        action,
                        a["partenaire"],
                        where,
                        f"{fr_number(mf, 2)} MF = {fr_number(expected, 4)} M€ au taux de {rate} F pour 1 €, "
                        f"le texte écrit {fr_number(meur, 4)} M€",
                    )
            elif mf is not None:
                self.add(
                    "omission",
                    objective,
                    action,
                    a["partenaire"],
                    where,
                    f"{fr_number(mf, 2)} MF sans montant en M€ (soit {fr_number(round(mf / rate, 4), 4)} M€)",
                )
            elif meur is not None:
                self.add(
                    "omission",
                    objective,
                    action,
                    a["partenaire"],
                    where,
                    f"{fr_number(meur, 4)} M€ sans montant en MF (soit {fr_number(meur * rate, 2)} MF)",
                )

    def compare(self, objective: str, action: str, table: list[dict], text: list[dict], what: str) -> None:
        """An amount given both in the summary table and in the text is the same in both."""
        by_partner_table = {a["partenaire"]: a for a in table}
        by_partner_text = {a["partenaire"]: a for a in text}
        for partner in sorted(set(by_partner_table) | set(by_partner_text), key=_partner_rank):
            left, right = by_partner_table.get(partner), by_partner_text.get(partner)
            if left is None or right is None:
                present = left if left is not None else right
                assert present is not None  # the partner comes from one of the two
                self.add(
                    "omission",
                    objective,
                    action,
                    partner,
                    present.get("ou", ""),
                    f"{what} : montant donné {'au tableau' if left else 'dans le texte'} mais pas "
                    f"{'dans le texte' if left else 'au tableau'}",
                )
                continue
            for key, unit, digits in (("mf", "MF", 2), ("meur", "M€", 4)):
                if left.get(key) is not None and right.get(key) is not None and abs(left[key] - right[key]) > 1e-9:
                    self.add(
                        "doublon",
                        objective,
                        action,
                        partner,
                        f"{left.get('ou')} / {right.get('ou')}",
                        f"{what} : {fr_number(left[key], digits)} {unit} au tableau mais "
                        f"{fr_number(right[key], digits)} {unit} dans le texte",
                    )

    def action(self, objective: dict, action: dict) -> None:
        """One action line: its pairs, its place in the table, and its « dont » parts within it."""
        code = objective["code"]
        self.pairs(code, action["code"], action.get("texte", []))
        self.pairs(code, action["code"], action.get("tableau", []))
        self.pairs(code, action["code"], action.get("dont", []))
        if "tableau" in objective and "tableau" not in action:
            self.add(
                "omission",
                code,
                action["code"],
                "",
                "tableau récapitulatif",
                f"le moyen d'action {action['code']} ne figure pas au tableau récapitulatif",
            )
        elif "tableau" in action:
            self.compare(
                code, action["code"], action["tableau"], action.get("texte", []), f"moyen d'action {action['code']}"
            )
        parents = {a["partenaire"]: a for a in action.get("texte", [])}
        for part in action.get("dont", []):
            parent = parents.get(part["partenaire"])
            if parent and part.get("mf") is not None and part["mf"] > parent.get("mf", np.inf):
                self.add(
                    "somme",
                    code,
                    action["code"],
                    part["partenaire"],
                    part.get("ou", ""),
                    f"la part « {part['libelle']} » ({fr_number(part['mf'], 2)} MF) dépasse le montant du "
                    f"moyen d'action ({fr_number(parent['mf'], 2)} MF)",
                )

    def split(self, objective: dict) -> None:
        """Each partner's objective total equals the sum of its amounts over the actions (or the split is missing)."""
        code, actions = objective["code"], objective["actions"]
        for total in objective.get("texte", []):
            partner = total["partenaire"]
            parts = [a for action in actions for a in action.get("texte", []) if a["partenaire"] == partner]
            if not parts:
                self.add(
                    "omission",
                    code,
                    "",
                    partner,
                    total.get("ou", ""),
                    f"objectif {code} : la répartition entre moyens d'action n'est pas donnée pour {partner}",
                )
                continue
            mf_sum = sum(p.get("mf", 0) for p in parts)
            if abs(mf_sum - total.get("mf", mf_sum)) > 1e-9:
                self.add(
                    "somme",
                    code,
                    "",
                    partner,
                    total.get("ou", ""),
                    f"objectif {code} : {fr_number(total['mf'], 2)} MF au total mais "
                    f"{fr_number(mf_sum, 2)} MF pour la somme des moyens d'action",
                )
            meur_sum = round(sum(p.get("meur", 0) for p in parts), 4)
            if total.get("meur") is not None and abs(meur_sum - total["meur"]) > 1e-4 * len(parts):
                self.add(
                    "somme",
                    code,
                    "",
                    partner,
                    total.get("ou", ""),
                    f"objectif {code} : {fr_number(total['meur'], 4)} M€ au total mais "
                    f"{fr_number(meur_sum, 4)} M€ pour la somme des moyens d'action",
                )


def _partner_rank(partner: str) -> int:
    return PARTNERS.index(partner) if partner in PARTNERS else len(PARTNERS)


_PAIR = re.compile(r"(?<![\d,\-])(\d+(?:,\d+)?)\s*(?:MF\s*)?\((\d+,\d{4})(?:\s*M\s*€)?\)")


def amounts_in_text(text: str) -> list[tuple[float, float]]:
    """Every « X MF (Y M€) » or « X (Y) » pair of a text, as (MF, M€) numbers."""
    return [(float(mf.replace(",", ".")), float(meur.replace(",", "."))) for mf, meur in _PAIR.findall(text)]


# --------------------------------------------------------------------------- projects


@dataclass
class ProjectCheck:
    """Outcome of :func:`check_projects`.

    Attributes
    ----------
    projects : pandas.DataFrame
        One row per input project (none dropped), with ``objectif``, amounts in euros
        (``cout_total_eur``, ``<partenaire>_eur``), ``taux_partenaires``,
        ``n_violations`` and ``violations`` (`` | ``-separated).
    violations : pandas.DataFrame
        One row per violation: ``input_row``, ``id``, ``regle``, ``message``.
    """

    projects: pd.DataFrame
    violations: pd.DataFrame


def _find(frame: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    normalised = {normalise_column_name(c): c for c in frame.columns}
    return next((normalised[n] for n in names if n in normalised), None)


def _money(values: pd.Series) -> np.ndarray:
    return to_number(values.astype("string").str.replace("€", "", regex=False).fillna(""))


def _action_code(value) -> str:
    text = str(value or "").strip()
    match = re.search(r"(4\d)(?:[.\-_ ](\d))?", text)
    if not match:
        return text
    return match[1] + (f".{match[2]}" if match[2] else "")


def check_projects(projects: pd.DataFrame, programme: dict | None = None) -> ProjectCheck:
    """Check every funded project against the plan's rules; keep every row.

    Rules: the action exists; amounts are non-negative; contributions do not exceed
    the total cost (and add up to it when an ``autres``/``autofinancement`` column
    exists); the contract partners' rate (Etat + Région + Départements) is within the
    objective's or action's minimum and maximum; objective 43's cumulative cap
    (FEDER + Etat + Région ≤ 75 %); the Département du Pas-de-Calais at 50 % in
    objective 45; a partner funds only objectives where the plan gives it an envelope, and
    a Département only projects located in it;
    the cumulative programmed amounts (by date) stay within each envelope.

    Amounts are in euros, or in millions of francs where ``devise`` says ``MF``. Rows
    that geocoding rejected (``geocode_status``) are kept and flagged.
    """
    ledger = _Ledger.read(projects, _checked(programme))
    frame, n, row_numbers = ledger.frame, len(ledger.frame), ledger.row_numbers
    violations: list[dict] = []

    def flag(i, rule, message):
        violations.append(
            {"input_row": int(row_numbers[i]), "id": ledger.ids.iloc[i], "regle": rule, "message": message}
        )

    for i in range(n):
        for rule, message in _row_violations(ledger, i):
            flag(i, rule, message)
    _cumulative_envelopes(
        frame,
        ledger.columns,
        ledger.objectives,
        ledger.actions,
        ledger.codes,
        ledger.objective_of,
        ledger.amounts,
        flag,
    )
    table = pd.DataFrame(violations, columns=["input_row", "id", "regle", "message"])
    by_row = table.groupby("input_row")["message"].agg(list)
    cost, contract = ledger.cost, ledger.contract
    out = frame.assign(
        objectif=ledger.objective_of.to_numpy(),
        action_code=ledger.codes.to_numpy(),
        cout_total_eur=np.round(cost, 2),
        **{f"{_slug(p)}_eur": np.round(v, 2) for p, v in ledger.amounts.items()},
        taux_partenaires=np.where(cost > 0, np.round(contract / np.where(cost > 0, cost, 1), 4), np.nan),
        n_violations=[len(by_row.get(int(r), [])) for r in row_numbers],
        violations=[" | ".join(by_row.get(int(r), [])) for r in row_numbers],
    )
    return ProjectCheck(projects=out, violations=table)


KNOWN_CURRENCIES = ("EUR", "€", "EURO", "EUROS", "", "NAN", "MF", "MFRF", "M F", "MILLIONS DE FRANCS")
FRANC_CURRENCIES = ("MF", "MFRF", "M F", "MILLIONS DE FRANCS")


@dataclass
class _Ledger:
    """A projects table read against the plan: amounts in euros, action codes, objectives (one value per row)."""

    frame: pd.DataFrame
    columns: dict[str, str | None]
    objectives: dict[str, dict]
    actions: dict[str, dict]
    ids: pd.Series
    row_numbers: np.ndarray
    currency: pd.Series
    cost: np.ndarray
    amounts: dict[str, np.ndarray]
    contract: np.ndarray
    funded: np.ndarray
    codes: pd.Series
    objective_of: pd.Series

    @classmethod
    def read(cls, projects: pd.DataFrame, programme: dict) -> _Ledger:
        actions = _actions(programme)
        objectives = {o["code"]: o for o in programme["objectifs"]}
        columns = {role: _find(projects, names) for role, names in PROJECT_COLUMNS.items()}
        funders = {partner: _find(projects, names) for partner, names in FUNDER_COLUMNS.items()}
        frame = projects.reset_index(drop=True)
        n = len(frame)
        # currency: euros unless the row says MF (millions of francs)
        currency = (
            frame[columns["devise"]].astype(str).str.strip().str.upper()
            if columns["devise"]
            else pd.Series("EUR", index=frame.index)
        )
        factor = np.where(
            currency.isin(FRANC_CURRENCIES).to_numpy(), 1e6 / programme.get("francs_par_euro", FRANCS_PER_EURO), 1.0
        )

        def euros(column):
            return (_money(frame[column]) if column else np.zeros(n)) * factor

        # an empty funding cell is no contribution
        amounts = {partner: np.nan_to_num(euros(column), nan=0.0) for partner, column in funders.items() if column}
        codes = frame[columns["action"]].map(_action_code) if columns["action"] else pd.Series("", index=frame.index)
        return cls(
            frame=frame,
            columns=columns,
            objectives=objectives,
            actions=actions,
            ids=frame[columns["id"]].astype(str) if columns["id"] else pd.Series([str(i + 1) for i in range(n)]),
            row_numbers=frame["input_row"].to_numpy() if "input_row" in frame else np.arange(1, n + 1),
            currency=currency,
            cost=euros(columns["cout_total"]),
            amounts=amounts,
            contract=sum((amounts.get(p, np.zeros(n)) for p in PARTNERS), np.zeros(n)),
            funded=sum(amounts.values(), np.zeros(n)),
            codes=codes,
            objective_of=codes.map(lambda c: c if c in objectives else actions.get(c, {}).get("objectif", "")),
        )

    def amount(self, partner: str, i: int) -> float:
        """Contribution of ``partner`` to row ``i`` in euros (0 when the table has no column for it)."""
        values = self.amounts.get(partner)
        return 0.0 if values is None else values[i]


def _row_violations(ledger: _Ledger, i: int) -> list[tuple[str, str]]:
    """Every (rule, message) broken by row ``i``, rule by rule in a fixed order."""
    found = _location_rule(ledger, i) + _currency_rule(ledger, i) + _action_rule(ledger, i)
    if not np.isfinite(ledger.cost[i]) or ledger.cost[i] <= 0:
        return [*found, ("montant", "coût total absent, illisible ou nul")]
    found += _amount_rules(ledger, i)
    if not ledger.objective_of.iloc[i]:
        return found
    return found + _rate_rules(ledger, i) + _home_rule(ledger, i) + _envelope_rule(ledger, i)


def _location_rule(ledger: _Ledger, i: int) -> list[tuple[str, str]]:
    frame = ledger.frame
    status = frame["geocode_status"].iloc[i] if "geocode_status" in frame else "matched"
    if status in ("matched", "fuzzy"):
        return []
    note = frame["geocode_note"].iloc[i] if "geocode_note" in frame else ""
    said = STATUS_LABELS.get(status, status)
    return [("localisation", f"projet non localisé ({said}) : {note} ; il n'entre pas dans les sommes par territoire")]


def _currency_rule(ledger: _Ledger, i: int) -> list[tuple[str, str]]:
    currency = ledger.currency.iloc[i]
    if currency in KNOWN_CURRENCIES:
        return []
    return [("devise", f"devise « {currency} » inconnue : écrivez EUR ou MF")]


def _action_rule(ledger: _Ledger, i: int) -> list[tuple[str, str]]:
    if ledger.objective_of.iloc[i]:
        return []
    return [
        (
            "action",
            f"l'action « {ledger.codes.iloc[i]} » n'existe pas dans la priorité 10 (actions : "
            f"{', '.join(sorted(ledger.actions))} ; objectifs : {', '.join(ledger.objectives)})",
        )
    ]


def _amount_rules(ledger: _Ledger, i: int) -> list[tuple[str, str]]:
    """Amounts are not negative; contributions do not exceed the cost, and make it when ``Autres`` is given."""
    found = [
        ("montant", f"montant négatif pour {partner} : {fr_number(values[i], 2)} €")
        for partner, values in ledger.amounts.items()
        if np.isfinite(values[i]) and values[i] < 0
    ]
    cost, funded = ledger.cost[i], ledger.funded[i]
    if funded > cost + TOLERANCE_EUR:
        found.append(
            ("somme", f"les financements ({fr_number(funded, 2)} €) dépassent le coût total ({fr_number(cost, 2)} €)")
        )
    elif "Autres" in ledger.amounts and abs(funded - cost) > TOLERANCE_EUR:
        found.append(
            ("somme", f"les financements ({fr_number(funded, 2)} €) ne font pas le coût total ({fr_number(cost, 2)} €)")
        )
    return found


def _rate_rules(ledger: _Ledger, i: int) -> list[tuple[str, str]]:
    """The contract partners' rate within the objective's or action's bounds; cumulative caps; fixed partner rates."""
    code, objective, cost = ledger.codes.iloc[i], ledger.objective_of.iloc[i], ledger.cost[i]
    action = ledger.actions.get(code, {})
    rules = {**ledger.objectives[objective].get("taux", {}), **action.get("taux", {})}
    share = ledger.contract[i] / cost
    level = f"du moyen d'action {code}" if "taux" in action else f"de l'objectif {objective}"
    found = []
    if "min" in rules and share * 100 < rules["min"] - 1e-9:
        found.append(
            (
                "taux",
                f"taux des partenaires du contrat {fr_number(100 * share, 1)} % sous le minimum de "
                f"{rules['min']} % {level}",
            )
        )
    if "max" in rules and share * 100 > rules["max"] + 1e-9:
        found.append(
            (
                "taux",
                f"taux des partenaires du contrat {fr_number(100 * share, 1)} % au-dessus du maximum "
                f"de {rules['max']} % {level}",
            )
        )
    if "max_cumule" in rules:
        cumulated = sum((ledger.amount(p, i) for p in rules.get("cumul", [])), 0.0)
        if cumulated / cost * 100 > rules["max_cumule"] + 1e-9:
            found.append(
                (
                    "plafond",
                    f"taux cumulé {' + '.join(rules.get('cumul', []))} "
                    f"{fr_number(100 * cumulated / cost, 1)} % au-dessus du plafond de "
                    f"{rules['max_cumule']} % de l'objectif {objective}",
                )
            )
    for partner, expected in rules.get("partenaire_taux", {}).items():
        value = ledger.amount(partner, i)
        if value > 0 and abs(value / cost * 100 - expected) > 0.5:
            found.append(
                (
                    "taux",
                    f"{partner} intervient à hauteur de {expected} % dans l'objectif {objective} "
                    f"(ici {fr_number(100 * value / cost, 1)} %)",
                )
            )
    return found


def _home_rule(ledger: _Ledger, i: int) -> list[tuple[str, str]]:
    """A Département funds projects located in it."""
    where = ledger.frame["departement"].iloc[i] if "departement" in ledger.frame else None
    home = {"Département du Nord": "59", "Département du Pas-de-Calais": "62"}
    return [
        ("territoire", f"{partner} finance un projet situé hors de son département ({where})")
        for partner, code_dep in home.items()
        if ledger.amount(partner, i) > 0 and isinstance(where, str) and where != code_dep
    ]


def _envelope_rule(ledger: _Ledger, i: int) -> list[tuple[str, str]]:
    """A partner funds only objectives where the plan gives it an envelope."""
    objective = ledger.objective_of.iloc[i]
    envelope = {a["partenaire"] for a in ledger.objectives[objective].get("texte", [])}
    return [
        ("enveloppe", f"{partner} n'a pas d'enveloppe pour l'objectif {objective}")
        for partner in PARTNERS
        if ledger.amount(partner, i) > 0 and partner not in envelope
    ]


def _slug(partner: str) -> str:
    return {
        "Etat": "etat",
        "Région": "region",
        "Département du Nord": "departement_nord",
        "Département du Pas-de-Calais": "departement_pas_de_calais",
        "FEDER": "feder",
        "Autres": "autres",
    }[partner]


def _cumulative_envelopes(frame, columns, objectives, actions, codes, objective_of, amounts, flag) -> None:
    """Flag the projects whose amounts, cumulated by date, take a partner beyond its envelope."""
    order = np.arange(len(frame))
    if columns["date"]:
        dates = pd.to_datetime(frame[columns["date"]], errors="coerce", dayfirst=True)
        order = np.lexsort((order, dates.fillna(pd.Timestamp.max).to_numpy()))
    envelopes = {}
    for code, objective in objectives.items():
        for a in objective.get("texte", []):
            envelopes[(code, a["partenaire"])] = a.get("meur", a.get("mf", 0) / FRANCS_PER_EURO) * 1e6
    for code, action in actions.items():
        for a in action.get("texte", []):
            envelopes[(code, a["partenaire"])] = a.get("meur", a.get("mf", 0) / FRANCS_PER_EURO) * 1e6
    spent: dict[tuple[str, str], float] = {}
    for i in order:
        for key_code in {objective_of.iloc[i], codes.iloc[i]}:
            for partner in PARTNERS:
                value = amounts.get(partner)
                if value is None or not np.isfinite(value[i]) or value[i] <= 0 or (key_code, partner) not in envelopes:
                    continue
                before = spent.get((key_code, partner), 0.0)
                spent[(key_code, partner)] = before + value[i]
                limit = envelopes[(key_code, partner)]
                if before <= limit < before + value[i]:
                    level = "moyen d'action" if key_code in actions else "objectif"
                    flag(
                        i,
                        "enveloppe",
                        f"avec ce projet, {partner} dépasse son enveloppe du {level} {key_code} "
                        f"({fr_number((before + value[i]) / 1e6, 4)} M€ programmés pour "
                        f"{fr_number(limit / 1e6, 4)} M€)",
                    )


def programme_by_territory(checked: pd.DataFrame, *, scheme: SchemeLike = "cper2000") -> pd.DataFrame:
    """Programmed amounts per territory, objective and partner, in M€ and per inhabitant.

    ``checked`` is :attr:`ProjectCheck.projects` of geocoded projects (with
    ``territoire``); rows without a territory or an objective are left out of the sums
    (they stay in the checked table).
    """

    population = territories(scheme).set_index("territoire")["population"]
    partner_columns = {p: f"{_slug(p)}_eur" for p in (*PARTNERS, "FEDER") if f"{_slug(p)}_eur" in checked}
    usable = checked[(checked["objectif"] != "") & checked["territoire"].notna()]
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


#: Columns of a projects file that are not indicator values.
_NOT_INDICATORS = {n for names in (*PROJECT_COLUMNS.values(), *FUNDER_COLUMNS.values()) for n in names}


def indicators_by_territory(checked: pd.DataFrame) -> pd.DataFrame:
    """Sum of every numeric indicator column (users, jobs, men, women...) per territory and objective."""
    location = {name for names in ROLE_NAMES.values() for name in names}
    skip = (
        _NOT_INDICATORS
        | location
        | set(RESULT_COLUMNS)
        | {"input_row", "objectif", "action_code", "taux_partenaires", "n_violations", "violations", "epci_siren"}
    )
    candidates = [
        c
        for c in checked.columns
        if normalise_column_name(c) not in skip
        and not c.endswith("_eur")
        and c != "geometry"
        and not c.endswith("_source")
    ]
    values = {c: _money(checked[c]) for c in candidates}
    indicators = [c for c, v in values.items() if np.isfinite(v).mean() >= 0.5]
    usable = checked[(checked["objectif"] != "") & checked["territoire"].notna()]
    rows = []
    for c in indicators:
        series = pd.Series(values[c], index=checked.index).loc[usable.index]
        grouped = series.groupby([usable["territoire"], usable["objectif"]]).sum(min_count=1)
        rows += [{"territoire": t, "objectif": o, "indicateur": c, "valeur": v} for (t, o), v in grouped.items()]
    return pd.DataFrame(rows, columns=["territoire", "objectif", "indicateur", "valeur"])


def target_progress(checked: pd.DataFrame, programme: dict | None = None) -> pd.DataFrame:
    """Progress toward the plan's targets: cyber-centres (one per project of objective 44) and animateur jobs.

    The jobs come from a column named ``emplois`` (or ``emplois_animateurs``) of the objective-44 projects.
    """
    programme = _checked(programme)
    in_44 = checked[checked["objectif"] == "44"]
    jobs_column = _find(checked, ("emplois_animateurs", "emplois", "jobs"))
    achieved = {
        "cyber_centres": float(len(in_44)),
        "emplois_animateurs": float(_money(in_44[jobs_column]).sum()) if jobs_column else np.nan,
    }
    rows = []
    for target in programme.get("cibles", []):
        done = achieved.get(target["code"], np.nan)
        rows.append(
            {
                "cible": target["libelle"],
                "valeur_cible": target["valeur"],
                "realise": done,
                "progression": done / target["valeur"] if np.isfinite(done) else np.nan,
                "echeance": target.get("echeance", ""),
                "ou": target.get("ou", ""),
                "kind": target.get("kind", ""),
                "objectif": target.get("objectif", ""),
            }
        )
    columns = ["cible", "valeur_cible", "realise", "progression", "echeance", "ou", "kind", "objectif"]
    return pd.DataFrame(rows, columns=columns)


@dataclass
class ProgrammeReport:
    """Everything ``territorial programme`` shows and writes."""

    table: pd.DataFrame
    source_check: pd.DataFrame
    projects: ProjectCheck | None = None
    by_territory: pd.DataFrame | None = None
    indicators: pd.DataFrame | None = None
    targets: pd.DataFrame | None = None
    located: pd.DataFrame | None = None  # geocoded projects with geometry, for the map


class GeocodedRows(Protocol):
    """What :func:`programme_report` needs of a geocoding result (:class:`territorial.GeocodeResult`)."""

    accepted: gpd.GeoDataFrame
    rejected: pd.DataFrame


def programme_report(projects: GeocodedRows | None = None, *, scheme: SchemeLike = "cper2000") -> ProgrammeReport:
    """The programme, its source check and, given geocoded projects, the checked and aggregated projects.

    Parameters
    ----------
    projects : territorial.GeocodeResult, optional
        The projects table as :func:`territorial.geocode` returns it. Every row is kept:
        rows that could not be located are checked and flagged but left out of the sums
        by territory. To start from a file, use :func:`territorial.pipeline.programme_from_file`.
    scheme : territory scheme of the sums by territory (default ``cper2000``)
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
    checked = check_projects(rows)
    report.projects = checked
    report.by_territory = programme_by_territory(checked.projects, scheme=scheme)
    report.indicators = indicators_by_territory(checked.projects)
    report.targets = target_progress(checked.projects)
    report.located = projects.accepted.merge(
        checked.projects[["input_row", "objectif", "cout_total_eur", "n_violations", "violations"]], on="input_row"
    )
    return report
