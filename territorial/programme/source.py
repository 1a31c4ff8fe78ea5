"""The plan checked against itself: conversions, sums, amounts written twice, omissions, tensions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from territorial._format import fr_number
from territorial.programme.plan import (
    FRANCS_PER_EURO,
    bracket_tension,
    checked_programme,
    partner_rank,
    rate_tension,
)

__all__ = ["validate_source"]


def validate_source(programme: dict | None = None) -> pd.DataFrame:
    """Every inconsistency or omission of the source, with where it is.

    Checks each MF/M€ pair (1 € = 6.55957 F, M€ written to 4 decimals), each
    objective total against the sum of its actions, each amount written twice
    (summary table and section text), the objectives missing from the table, the
    amounts written in one currency only, and the statements that contradict each other.

    Returns
    -------
    pandas.DataFrame
        One row per finding: ``type`` (``conversion``, ``somme``, ``doublon``,
        ``omission``, ``incohérence``), ``objectif``, ``action``, ``partenaire``, ``ou``,
        ``message``. Empty when the source is consistent and complete. An ``incohérence``
        quotes two statements of the plan that cannot both hold as written (a partner's fixed
        rate at the objective's maximum; an amount tied to an action line whose part for that
        line is another amount).
    """
    programme = checked_programme(programme)
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
        self.tensions(objective)

    def tensions(self, objective: dict) -> None:
        """Two statements of one objective that cannot both hold as written."""
        code = objective["code"]
        rate = rate_tension(objective)
        if rate is not None:
            self.add("incohérence", code, "", rate[0], (objective.get("taux") or {}).get("ou", ""), rate[1])
        for amount in objective.get("texte", []):
            bracket = bracket_tension(objective, amount)
            if bracket is not None:
                self.add("incohérence", code, "", amount["partenaire"], amount.get("ou", ""), bracket)

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
        for partner in sorted(set(by_partner_table) | set(by_partner_text), key=partner_rank):
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
