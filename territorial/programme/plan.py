"""The plan of priority 10 as data: loading, the amounts table, the columns of a projects file.

The programme (objectives 43-49, action lines, amounts per partner in MF and M€ as
written, intervention-rate rules, beneficiaries, indicators, targets, systems, the contract's
period) is transcribed in ``territorial/data/priorite10.toml`` from the seed text.
"""

from __future__ import annotations

import copy
import re
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from territorial._format import fr_number as _fr
from territorial._text import to_number
from territorial.config import ProgrammeFile, validate


@lru_cache(maxsize=1)
def _load() -> dict:
    """The embedded programme, checked against :class:`territorial.config.ProgrammeFile`."""
    source = resources.files("territorial.data").joinpath("priorite10.toml")
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    validate(ProgrammeFile, data, source="territorial/data/priorite10.toml")
    return data


def checked_programme(programme: dict | None) -> dict:
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
    "id": ("id", "identifiant", "id_projet", "numero_projet", "n_projet"),
    "titre": ("titre", "intitule", "nom", "title", "libelle"),
    "action": ("action", "code_action", "moyen_d_action", "objectif", "mesure"),
    "cout_total": ("cout_total", "cout", "montant_total", "total_cost", "cout_eligible", "depenses_eligibles"),
    "devise": ("devise", "currency", "unite", "monnaie"),
    "date": ("date", "date_programmation", "date_decision", "annee"),
    "beneficiaire": ("beneficiaire", "porteur", "porteur_de_projet", "maitre_d_ouvrage", "maitre_ouvrage"),
    "type_beneficiaire": ("type_beneficiaire", "categorie_beneficiaire", "statut_beneficiaire", "type_porteur"),
    "effectif": ("effectif", "effectif_salarie", "salaries", "nombre_de_salaries"),
    "site": ("site", "id_site", "nom_site", "lieu", "nom_du_lieu"),
}


# --------------------------------------------------------------------------- the programme as data


def load_programme() -> dict:
    """The programme of priority 10 as a dict (a copy; see ``territorial/data/priorite10.toml``)."""
    return copy.deepcopy(_load())


def actions_of(programme: dict) -> dict[str, dict]:
    """Every action line of the plan by code, with its objective's code under ``objectif``."""
    return {a["code"]: {**a, "objectif": o["code"]} for o in programme["objectifs"] for a in o.get("actions", [])}


PROGRAMME_COLUMNS = [
    "objectif",
    "action",
    "partenaire",
    "montant_mf",
    "montant_meur",
    "niveau",
    "libelle",
    "moyens",
    "ou",
]


def programme_table(programme: dict | None = None) -> pd.DataFrame:
    """Amounts per objective or action and partner, as the sections of the text give them, with their parts.

    Returns
    -------
    pandas.DataFrame
        ``objectif``, ``action`` (empty on an objective's own total), ``partenaire``,
        ``montant_mf``, ``montant_meur`` (NaN where the text gives none), ``niveau``
        (``objectif``, ``moyen d'action``, or ``dont`` for a part written inside an amount:
        « dont Industrie 29 MF »), ``libelle`` (the part's name), ``moyens`` (the action lines an
        objective's amount is tied to, « moyen d'action 49-1 »), ``ou``.
    """
    programme = checked_programme(programme)
    rows = []
    for objective in programme["objectifs"]:
        code = objective["code"]
        rows += [_amount_row(code, "", "objectif", amount) for amount in objective.get("texte", [])]
        for action in objective.get("actions", []):
            rows += [_amount_row(code, action["code"], "moyen d'action", a) for a in action.get("texte", [])]
            rows += [_amount_row(code, action["code"], "dont", a) for a in action.get("dont", [])]
    return pd.DataFrame(rows, columns=PROGRAMME_COLUMNS)


def _amount_row(objective: str, action: str, level: str, amount: dict) -> dict:
    return {
        "objectif": objective,
        "action": action,
        "partenaire": amount["partenaire"],
        "montant_mf": amount.get("mf", np.nan),
        "montant_meur": amount.get("meur", np.nan),
        "niveau": level,
        "libelle": amount.get("libelle") or "",
        "moyens": ", ".join(amount.get("moyens", [])),
        "ou": amount.get("ou", ""),
    }


_PAIR = re.compile(r"(?<![\d,\-])(\d+(?:,\d+)?)\s*(?:MF\s*)?\((\d+,\d{4})(?:\s*M\s*€)?\)")


def amounts_in_text(text: str) -> list[tuple[float, float]]:
    """Every « X MF (Y M€) » or « X (Y) » pair of a text, as (MF, M€) numbers."""
    return [(float(mf.replace(",", ".")), float(meur.replace(",", "."))) for mf, meur in _PAIR.findall(text)]


def period(programme: dict) -> tuple[date, date]:
    """The first and last day of the contract (2000-01-01, 2006-12-31)."""
    return date.fromisoformat(str(programme["periode"]["debut"])), date.fromisoformat(str(programme["periode"]["fin"]))


def money(values: pd.Series) -> np.ndarray:
    """Numbers written the French or English way, with or without a euro sign (NaN where unreadable)."""
    return to_number(values.astype("string").str.replace("€", "", regex=False).fillna(""))


def partner_rank(partner: str) -> int:
    """Order of a partner in the plan (Etat, Région, Nord, Pas-de-Calais, then any other)."""
    return PARTNERS.index(partner) if partner in PARTNERS else len(PARTNERS)


def slug(partner: str) -> str:
    """Column stem of a funder: ``Département du Nord`` -> ``departement_nord``."""
    return {
        "Etat": "etat",
        "Région": "region",
        "Département du Nord": "departement_nord",
        "Département du Pas-de-Calais": "departement_pas_de_calais",
        "FEDER": "feder",
        "Autres": "autres",
    }[partner]


# --------------------------------------------------------------------------- tensions of the text


def rate_tension(objective: dict) -> tuple[str, str] | None:
    """A partner's fixed rate that leaves no room under the objective's maximum for the others it funds with.

    Objective 45: « Mini 20 % Maxi 50 % » and « le Département du Pas-de-Calais interviendra à
    hauteur de 50 % », while the plan gives the other partners money on 45 too. Returns the
    partner and the French finding, or None.
    """
    rates = objective.get("taux") or {}
    ceiling = rates.get("max")
    for partner, rate in rates.get("partenaire_taux", {}).items():
        others = [a["partenaire"] for a in objective.get("texte", []) if a["partenaire"] != partner]
        if ceiling is None or rate < ceiling or not others:
            continue
        shared = [
            f"le budget du moyen d'action {action['code']} compte {len(names)} partenaires"
            for action in objective.get("actions", [])
            if partner in (names := [a["partenaire"] for a in action.get("texte", [])]) and len(names) > 1
        ]
        return partner, (
            f"« {rates.get('citation') or rates.get('note', '')} » et « {rates.get('citation_partenaire') or ''} » : "
            f"un projet que le {partner} finance à {rate:g} % atteint à lui seul le maximum de {ceiling:g} % "
            f"pour l'ensemble des partenaires du contrat, qui ne peuvent plus le cofinancer ; or le plan donne "
            f"aussi des crédits de l'objectif {objective['code']} à : {', '.join(others)}"
            + "".join(f" ; {sentence}" for sentence in shared)
        )
    return None


def bracket_tension(objective: dict, amount: dict) -> str | None:
    """An amount tied to one action line whose part written for that line is not the whole amount.

    Objective 48: « Département du Nord : 5 MF (0,7622 M€) [moyen d'action 48-2 (0,3049 M€)] »,
    where 0,3049 M€ is 2 MF, not 5. Returns the French finding, or None.
    """
    lines = amount.get("moyens", [])
    if len(lines) != 1:
        return None
    parts = [
        part
        for action in objective.get("actions", [])
        if action["code"] == lines[0]
        for part in action.get("dont", [])
        if part["partenaire"] == amount["partenaire"]
    ]
    whole = amount.get("meur", amount.get("mf", 0) / FRANCS_PER_EURO)
    for part in parts:
        value = part.get("meur", part.get("mf", 0) / FRANCS_PER_EURO)
        if abs(value - whole) > 1e-4:
            said = f"{_fr(amount.get('mf', whole * FRANCS_PER_EURO), 2)} MF ({_fr(whole, 4)} M€)"
            return (
                f"« {amount.get('citation') or amount.get('ou', '')} » : le montant de {said} est rattaché au "
                f"moyen d'action {lines[0]}, mais {_fr(value, 4)} M€ font {_fr(value * FRANCS_PER_EURO, 2)} MF : "
                f"soit {_fr(value * FRANCS_PER_EURO, 2)} MF seulement vont au {lines[0]} et le reste n'est "
                "rattaché à aucun moyen d'action, soit l'un des deux montants est faux"
            )
    return None


# --------------------------------------------------------------------------- envelopes


@dataclass(frozen=True)
class Envelope:
    """What the plan gives one partner on one objective or action line."""

    euros: float
    #: The plan lets it be exceeded: an indicative split, or « et au-delà au cas par cas ».
    soft: bool
    ou: str


def _euros(amount: dict, rate: float) -> float:
    return amount.get("meur", amount.get("mf", 0) / rate) * 1e6


def envelopes(programme: dict) -> dict[tuple[str, str], Envelope]:
    """Every (objective or action line, partner) envelope of the plan's section texts, in euros.

    An action line's envelope is soft when the objective's split is indicative for the partner
    (objective 43: Etat and Région) or the amount goes « au-delà au cas par cas » (46.1,
    Pas-de-Calais); an objective's envelope is soft when one of its lines goes beyond for the partner.
    """
    rate = programme.get("francs_par_euro", FRANCS_PER_EURO)
    found = {}
    for objective in programme["objectifs"]:
        indicative = (objective.get("repartition_indicative") or {}).get("partenaires", [])
        beyond = {
            a["partenaire"] for line in objective.get("actions", []) for a in line.get("texte", []) if a.get("au_dela")
        }
        for a in objective.get("texte", []):
            soft = bool(a.get("au_dela")) or a["partenaire"] in beyond
            found[(objective["code"], a["partenaire"])] = Envelope(_euros(a, rate), soft, a.get("ou", ""))
        for line in objective.get("actions", []):
            for a in line.get("texte", []):
                soft = bool(a.get("au_dela")) or a["partenaire"] in indicative
                found[(line["code"], a["partenaire"])] = Envelope(_euros(a, rate), soft, a.get("ou", ""))
    return found
