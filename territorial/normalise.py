"""Normalisation of the place names and codes found in users' files.

Each function takes one value and returns its canonical text ('' when there is
nothing usable), so that files written by hand match the gazetteer: accents, œ/æ,
case, hyphens, apostrophes and spaces, St/Ste/S., ``s/`` for *sur*, articles in both
forms (``Le Portel`` / ``Portel (Le)``), ``CEDEX`` suffixes, and codes that a
spreadsheet turned into numbers (``59178.0``, ``2285``).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "name_key",
    "strip_article",
    "postal_code",
    "insee_code",
    "departement_code",
    "split_place",
    "address_place",
]

ARTICLES = ("le", "la", "les", "l")
#: « CEDEX », « CEDEX 9 », « CEDEX9 », « CDX »: La Poste's business delivery suffix, not part of the name.
_CEDEX = re.compile(r"\b(?:cedex|cdx)(?:\b|(?=\d)).*$", re.IGNORECASE)
_SUR = re.compile(r"\bs/\s*", re.IGNORECASE)
_ARTICLE_AFTER = re.compile(
    r"^(?P<name>.+?)\s*(?:\((?P<a1>le|la|les|l')\)|,\s*(?P<a2>le|la|les|l'))\s*$", re.IGNORECASE
)
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_TOKENS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes", "s": "saint"}
#: « lès » / « lez » (near) inside a name, one token: never an article, even first (Lez-Fontaine).
_NEAR = "lez"
_CODE_LIKE = re.compile(r"^\d+(\.0+)?$")
_DEPARTEMENT_NAMES = {"nord": "59", "pas de calais": "62"}


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and value != value) or str(value).strip() == ""


def _ascii_lower(text: str) -> str:
    text = text.replace("œ", "oe").replace("Œ", "Oe").replace("æ", "ae").replace("Æ", "Ae")
    decomposed = unicodedata.normalize("NFKD", text)
    # accents go; any other non-ASCII sign (’, –, «) separates words like a space
    return "".join(c if c.isascii() else ("" if unicodedata.combining(c) else " ") for c in decomposed).lower()


def name_key(value) -> str:
    """Canonical key of a commune name.

    Examples
    --------
    >>> name_key("Portel (Le)"), name_key("LE PORTEL"), name_key("le-portel")
    ('le portel', 'le portel', 'le portel')
    >>> name_key("St-Pol s/ Ternoise"), name_key("Villeneuve d’Ascq CEDEX 2")
    ('saint pol sur ternoise', 'villeneuve d ascq')
    """
    if _blank(value):
        return ""
    text = _CEDEX.sub("", str(value)).strip()
    text = _SUR.sub("sur ", _ascii_lower(text))
    match = _ARTICLE_AFTER.match(text)
    if match:
        text = f"{match['a1'] or match['a2']} {match['name']}"
    tokens = _NOT_ALNUM.sub(" ", text).split()
    return " ".join(_token(t, i, len(tokens)) for i, t in enumerate(tokens))


def _token(token: str, position: int, count: int) -> str:
    """One word of a name key: abbreviations spelled out; « lès »/« lez » after the first word as « lez »."""
    if token == "s" and position == count - 1:  # a final « s » is not « saint »
        return token
    if token in ("les", "lez") and position > 0:
        return _NEAR
    return _TOKENS.get(token, token)


def strip_article(key: str) -> str:
    """A name key without its leading article: ``"le portel"`` -> ``"portel"``."""
    first, _, rest = key.partition(" ")
    return rest if first in ARTICLES and rest else key


def _digits(value) -> str:
    if _blank(value):
        return ""
    text = str(value).strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    return text.split(".")[0] if _CODE_LIKE.match(text) else text


def postal_code(value) -> str:
    """Five-digit postal code, or '' if the value is not one (``59178.0`` -> ``59178``, ``2100`` -> ``02100``)."""
    text = _digits(value)
    if text.isdigit() and len(text) in (4, 5):
        return text.zfill(5)
    return ""


def insee_code(value) -> str:
    """INSEE commune code as five characters, or '' (``2285`` -> ``02285``, ``2a004`` -> ``2A004``)."""
    text = _digits(value).upper()
    if text.isdigit() and len(text) in (4, 5):
        return text.zfill(5)
    if re.fullmatch(r"2[AB]\d{3}", text):
        return text
    return ""


def departement_code(value) -> str:
    """Département code from ``59``, ``"059"``, ``59.0``, ``"Nord"`` or ``"Pas-de-Calais"``; '' if none."""
    if _blank(value):
        return ""
    named = _DEPARTEMENT_NAMES.get(" ".join(_NOT_ALNUM.sub(" ", _ascii_lower(str(value))).split()))
    if named:
        return named
    text = _digits(value).upper()
    if text in ("2A", "2B"):
        return text
    if text.isdigit():
        number = int(text)
        if 1 <= number <= 95:
            return f"{number:02d}"
        if 971 <= number <= 976:
            return str(number)
    return ""


_PLACE_CP_FIRST = re.compile(r"^\s*(?P<cp>\d{4,5})\s+(?P<name>\D.*)$")
_PLACE_CP_LAST = re.compile(r"^(?P<name>.*\D)\s+(?P<cp>\d{5})(?:\s+(?:cedex|cdx).*)?\s*$", re.IGNORECASE)
_PLACE_DEP = re.compile(r"^(?P<name>.*?)\s*\((?P<dep>\d{2}|2[AB])\)\s*$", re.IGNORECASE)
_ADDRESS_TAIL = re.compile(
    r"(?:^|[\s,])(?P<cp>\d{5})\s+(?P<name>[^\d,]+?)\s*(?:(?:cedex|cdx)\s*\d*)?\s*$", re.IGNORECASE
)


def split_place(value) -> tuple[str, str, str]:
    """Split a free-text place into (name, postal code, département).

    ``"59000 Lille"``, ``"Lille 59000 CEDEX"`` and ``"Saint-Aubin (62)"`` carry a
    postal code or a département beside the name; anything else is a plain name.
    """
    if _blank(value):
        return "", "", ""
    text = str(value).strip()
    for pattern in (_PLACE_CP_FIRST, _PLACE_CP_LAST):
        match = pattern.match(text)
        if match:
            return match["name"].strip(), postal_code(match["cp"]), ""
    match = _PLACE_DEP.match(text)
    if match:
        return match["name"].strip(), "", match["dep"].upper()
    return text, "", ""


def address_place(value) -> tuple[str, str]:
    """Postal code and commune name at the end of a French address (``"... 59000 Lille CEDEX"``)."""
    if _blank(value):
        return "", ""
    match = _ADDRESS_TAIL.search(str(value))
    return (postal_code(match["cp"]), match["name"].strip()) if match else ("", "")
