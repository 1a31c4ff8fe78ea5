"""The kinds of place the tool knows: the systems of priority 10, their names, and the kind of a project.

Each system of the priority (cyber-centres, broadband access points, villes numériques,
modernised public services, equipped schools, telemedicine sites...) is a *kind*: facility
files of that kind can be analysed, and the projects of its action lines are mapped, exported
and counted as that kind. The systems themselves (French labels, action lines, the plan's
indicator and target) are data, in ``territorial/data/priorite10.toml`` (``[[systemes]]``);
this module adds the names users write for them.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from functools import lru_cache
from importlib import resources

import pandas as pd

__all__ = ["KIND_SYNONYMS", "PROJECT", "normalise_kind", "systems", "kind_of_action", "project_kinds"]

#: The kind of a project whose action line funds no system of its own (an objective-wide project of 45 or 46).
PROJECT = "project"

#: What users write for each kind (normalised: ASCII lower case, ``_`` between words).
KIND_SYNONYMS: dict[str, tuple[str, ...]] = {
    "cyber_centre": (
        "cyber_centre",
        "cybercentre",
        "cyber_centres",
        "cyber_base",
        "cyberbase",
        "epn",
        "espace_public_numerique",
        "lieu_de_mediation_numerique",
        "mediation_numerique",
    ),
    "broadband_access_point": (
        "broadband_access_point",
        "point_d_acces",
        "point_acces",
        "points_acces",
        "point_d_acces_haut_debit",
        "point_acces_haut_debit",
        "acces_haut_debit",
        "haut_debit",
        "access_point",
    ),
    "ville_numerique": ("ville_numerique", "villes_numeriques", "site_numerique", "territoire_numerique"),
    "service_public": (
        "service_public",
        "services_publics",
        "service_public_modernise",
        "modernisation_des_services_publics",
        "teleprocedure",
        "sig",
    ),
    "etablissement_scolaire": (
        "etablissement_scolaire",
        "etablissements_scolaires",
        "lycee",
        "lycees",
        "college",
        "colleges",
        "lycee_connecte",
        "edunet",
    ),
    "formation_permanente": ("formation_permanente", "organisme_de_formation", "lieu_de_formation"),
    "telemedecine": ("telemedecine", "site_de_telemedecine", "sites_de_telemedecine", "reseau_de_soins"),
    "transport": ("transport", "transports", "transcarte", "billettique", "information_multimodale"),
    "culture": ("culture", "mediatheque", "mediatheques", "espace_multimedia", "lieu_culturel", "numerisation"),
    "pole_tic": ("pole_tic", "poles_tic", "euratechnologies", "pole_d_entreprises_tic", "parc_tic"),
    "pole_image": ("pole_image", "image_union"),
    "action_entreprises": ("action_entreprises", "actions_entreprises", "sensibilisation_des_entreprises"),
    PROJECT: ("project", "projet", "projets", "projects"),
}


@lru_cache(maxsize=1)
def _systems() -> tuple[dict, ...]:
    source = resources.files("territorial.data").joinpath("priorite10.toml")
    return tuple(tomllib.loads(source.read_text(encoding="utf-8")).get("systemes", []))


def systems() -> dict[str, dict]:
    """The systems of priority 10 by kind: ``libelle``, ``un``, ``moyens``, ``indicateur``, ``ou``, ``cible``."""
    return {s["kind"]: dict(s) for s in _systems()}


def system_label(kind: str) -> str:
    """A kind as the plan names it (« cyber-centres »), or the kind itself when it is none of the plan's."""
    return str(systems().get(kind, {}).get("libelle", kind))


def normalise_kind(value) -> str:
    """Canonical kind: ``"Cyber-centre"`` -> ``"cyber_centre"``, ``"Point d'accès"`` -> ``"broadband_access_point"``.

    Kinds are ASCII letters, digits and ``_``; a kind written with none of them (``"{{ }}"``)
    is ``"autre"``.
    """
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    for kind, names in KIND_SYNONYMS.items():
        if text in names:
            return kind
    return text or "autre"


def kind_of_action(code: str) -> str:
    """The system an action line (``46.2``) or objective (``47``) funds; :data:`PROJECT` if none.

    An action line belongs to the system that names it, else to the system that names its
    objective (``48.3`` -> ``transport``).
    """
    by_line = {line: s["kind"] for s in _systems() for line in s["moyens"]}
    if code in by_line:
        return by_line[code]
    objective = code.split(".")[0]
    return by_line.get(objective, PROJECT) if "." in code else PROJECT


def project_kinds(projects: pd.DataFrame) -> pd.Series:
    """The system of each checked project (its ``kind``), :data:`PROJECT` where it has none."""
    return projects.get("kind", pd.Series("", index=projects.index)).fillna("").replace("", PROJECT)
