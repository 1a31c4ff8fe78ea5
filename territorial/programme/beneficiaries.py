"""What kind of body a project's beneficiary is, to check it against the plan's lists.

The plan lists its beneficiaries per objective in words (« Collectivités locales et leurs
groupements, Lycées »); the data gives each list as types (``types_beneficiaires``). A projects
file gives either the type (a ``type_beneficiaire`` column: a type code or its label) or the
beneficiary's name (``beneficiaire``, ``porteur``, ``maitre_d_ouvrage``), read here in three
passes: a company's legal form anywhere (« … SARL », « Hôpital privé … ») makes it a company;
else the words the name starts with (« Ville de Lille - Médiathèque » is the town); else the
first type, in :data:`BENEFICIARY_TYPES` order, one of whose words is anywhere in the name.
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
            "compagnie des transports",
            "transports en commun",
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
        ("groupement d entreprises", "groupement de pme", "regroupement de pme", "club d entreprises", "gie"),
    ),
    "centre_ressources": (
        "centres techniques ou de ressources",
        ("centre technique", "centre de ressources", "critt", "crt", "technopole", "incubateur"),
    ),
    "organisme_tourisme": (
        "organismes publics à vocation touristique",
        ("office de tourisme", "comite departemental du tourisme", "comite regional du tourisme", "cdt"),
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
        ("universite", "iut", "faculte", "ecole centrale", "ecole nationale superieure", "ecole superieure", "insa"),
    ),
    "ecole": ("écoles maternelles et primaires", ("groupe scolaire", "ecole primaire", "ecole maternelle", "ecole")),
    "lycee": ("lycées", ("lycee", "lycees", "lp", "legt", "lpo", "eplefpa")),
    "college": ("collèges", ("college", "colleges")),
    "organisme_formation": (
        "organismes de formation",
        ("organisme de formation", "centre de formation", "greta", "afpa", "cfa", "cnam", "irts", "crrp"),
    ),
    "organisme_culturel": (
        "organismes culturels",
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
    "association": ("associations", ("association", "asso", "loi 1901")),
    "commune": (
        "communes et groupements de communes",
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
            "pays",
            "parc naturel regional",
            "epci",
            "etablissement public de cooperation intercommunale",
        ),
    ),
    "collectivite_territoriale": (
        "départements et région",
        ("departement", "conseil general", "conseil regional", "region"),
    ),
    "etablissement_public": (
        "établissements publics",
        ("etablissement public", "epic", "epa", "office public", "sem", "societe d economie mixte"),
    ),
    "entreprise": ("entreprises", ("entreprise", "societe", "pme", "pmi", "ets", "etablissements", "groupe")),
}

#: A company's legal form, or a private body: it decides wherever it is in the name.
_PRIVATE = re.compile(r"(?:^| )(?:sa|sarl|sas|sasu|eurl|snc|scop|societe anonyme|prive|privee|clinique)(?: |$)")
_ANYWHERE = {
    kind: re.compile(r"(?:^| )(?:" + "|".join(re.escape(word) for word in words) + r")(?: |$)")
    for kind, (_, words) in BENEFICIARY_TYPES.items()
}
_AT_START = {
    kind: re.compile(r"^(?:les? |la |l )?(?:" + "|".join(re.escape(word) for word in words) + r")(?: |$)")
    for kind, (_, words) in BENEFICIARY_TYPES.items()
}


def _plain(value: object) -> str:
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def beneficiary_type(value: object) -> str:
    """The type of a beneficiary named or typed ``value`` (``"Commune de Hem"`` -> ``commune``); "" if unknown.

    A type code (``lycee``) or its label (``Lycées``) is that type. Otherwise a company's legal form
    anywhere, then the words the name starts with, then the first type one of whose words is in it.
    """
    text = _plain(value)
    if not text or text in ("nan", "none"):
        return ""
    for kind, (label, _) in BENEFICIARY_TYPES.items():
        if text in (kind.replace("_", " "), _plain(label)):
            return kind
    if _PRIVATE.search(text):
        return "entreprise"
    for patterns in (_AT_START, _ANYWHERE):
        found = next((kind for kind, pattern in patterns.items() if pattern.search(text)), "")
        if found:
            return found
    return ""
