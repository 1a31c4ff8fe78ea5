"""What kind of body a project's beneficiary is, to check it against the plan's lists.

The plan lists its beneficiaries per objective in words (« Collectivités locales et leurs
groupements, Lycées »); the data gives each list as types (``types_beneficiaires``). A projects
file gives either the type (a ``type_beneficiaire`` column: a type code or one of its names) or
the beneficiary's name (``beneficiaire``, ``porteur``, ``maitre_d_ouvrage``), read here by the
words French bodies are named with (« Commune de… », « Lycée… », « CHR… », « SARL… »).
A name none of these words reads is *unknown*, never guessed.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["BENEFICIARY_TYPES", "beneficiary_type"]

#: Each type, its French label, and the words that name it (normalised, whole words), most specific first.
BENEFICIARY_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "chambre_consulaire": (
        "chambres consulaires",
        (
            "chambre consulaire",
            "chambre de commerce",
            "chambre des metiers",
            "chambre de metiers",
            "chambre d agriculture",
            "cci",
            "ccir",
            "cma",
        ),
    ),
    "autorite_transport": (
        "autorités organisatrices de transport",
        (
            "autorite organisatrice",
            "aot",
            "syndicat mixte des transports",
            "smt",
            "smtc",
            "smirt",
            "syndicat intercommunal de transport",
        ),
    ),
    "operateur_transport": (
        "opérateurs de transport",
        (
            "operateur de transport",
            "transporteur",
            "sncf",
            "ratp",
            "transpole",
            "keolis",
            "connex",
            "reseau de bus",
            "regie des transports",
        ),
    ),
    "organisation_professionnelle": (
        "syndicats et associations professionnels",
        (
            "syndicat professionnel",
            "association professionnelle",
            "federation professionnelle",
            "organisation professionnelle",
            "union patronale",
            "medef",
            "cgpme",
            "upa",
        ),
    ),
    "groupement_entreprises": (
        "regroupements de PME-PMI",
        (
            "groupement d entreprises",
            "groupement de pme",
            "regroupement de pme",
            "club d entreprises",
            "club des entreprises",
            "gie",
        ),
    ),
    "centre_ressources": (
        "centres techniques ou de ressources",
        (
            "centre technique",
            "centre de ressources",
            "critt",
            "crt",
            "technopole",
            "incubateur",
            "agence de developpement",
        ),
    ),
    "organisme_tourisme": (
        "organismes publics à vocation touristique",
        (
            "office de tourisme",
            "comite departemental du tourisme",
            "comite regional du tourisme",
            "cdt",
            "crt tourisme",
        ),
    ),
    "hopital": (
        "hôpitaux et établissements publics de santé",
        (
            "hopital",
            "hopitaux",
            "centre hospitalier",
            "chu",
            "chr",
            "chru",
            "groupe hospitalier",
            "epsm",
            "maternite",
            "etablissement public de sante",
        ),
    ),
    "universite": (
        "universités",
        (
            "universite",
            "iut",
            "faculte",
            "ecole centrale",
            "ecole nationale superieure",
            "ecole superieure",
            "ensam",
            "ensait",
            "insa",
            "cnrs",
            "inria",
            "inserm",
        ),
    ),
    "lycee": ("lycées", ("lycee", "lycees", "lp", "legt", "lpo", "lycee professionnel", "lycee agricole", "eplefpa")),
    "college": ("collèges", ("college", "colleges")),
    "organisme_formation": (
        "organismes de formation",
        (
            "organisme de formation",
            "centre de formation",
            "greta",
            "afpa",
            "cfa",
            "cnam",
            "irts",
            "crrp",
            "institut de formation",
        ),
    ),
    "organisme_culturel": (
        "associations et organismes culturels",
        (
            "musee",
            "mediatheque",
            "bibliotheque",
            "theatre",
            "opera",
            "conservatoire",
            "centre culturel",
            "scene nationale",
            "orchestre",
            "archives",
            "maison de la culture",
            "cinematheque",
            "festival",
            "compagnie",
        ),
    ),
    "administration": (
        "administrations",
        (
            "prefecture",
            "sous prefecture",
            "rectorat",
            "inspection academique",
            "dde",
            "ddass",
            "drass",
            "drire",
            "drac",
            "draf",
            "drtefp",
            "ddtefp",
            "tresorerie",
            "ministere",
            "administration",
            "services de l etat",
            "sgar",
            "caf",
            "cpam",
            "anpe",
        ),
    ),
    "association": ("associations", ("association", "asso", "loi 1901", "asbl")),
    "collectivite": (
        "collectivités locales et leurs groupements",
        (
            "commune",
            "ville",
            "mairie",
            "communaute de communes",
            "communaute d agglomeration",
            "communaute urbaine",
            "cc",
            "ca",
            "cu",
            "syndicat intercommunal",
            "syndicat mixte",
            "sivu",
            "sivom",
            "district",
            "departement",
            "conseil general",
            "conseil regional",
            "region",
            "pays",
            "parc naturel regional",
            "epci",
        ),
    ),
    "etablissement_public": (
        "établissements publics",
        ("etablissement public", "epic", "epa", "office public", "sem", "societe d economie mixte"),
    ),
    "entreprise": (
        "entreprises",
        (
            "entreprise",
            "societe",
            "sa",
            "sarl",
            "sas",
            "sasu",
            "eurl",
            "snc",
            "pme",
            "pmi",
            "ets",
            "etablissements",
            "groupe",
        ),
    ),
}

_PATTERNS = {
    kind: re.compile(r"(?:^| )(?:" + "|".join(re.escape(word) for word in words) + r")(?: |$)")
    for kind, (_, words) in BENEFICIARY_TYPES.items()
}


def _plain(value: object) -> str:
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def beneficiary_type(value: object) -> str:
    """The type of a beneficiary named or typed ``value`` (``"Commune de Hem"`` -> ``collectivite``); "" if unknown.

    A type code (``lycee``) or its label (``Lycées``) is that type. Otherwise the first type,
    in :data:`BENEFICIARY_TYPES` order, one of whose words is in the name.
    """
    text = _plain(value)
    if not text or text in ("nan", "none"):
        return ""
    for kind, (label, _) in BENEFICIARY_TYPES.items():
        if text in (kind.replace("_", " "), _plain(label)):
            return kind
    return next((kind for kind, pattern in _PATTERNS.items() if pattern.search(text)), "")
