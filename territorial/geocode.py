"""Offline geocoding of facilities and projects onto the communes of Nord and Pas-de-Calais.

Each row is located by the first method that works (SPEC §4):

1. coordinates (WGS84, Lambert-93, Lambert II étendu or a declared CRS; swapped axes
   detected and corrected with a note) -> the commune whose polygon holds the point;
2. INSEE code, current or old (merged communes);
3. postal code + name, then département + name, then name alone in 59/62;
4. postal code alone, when it serves a single commune;
5. fuzzy name (rapidfuzz), the score kept.

Homonyms that no postal code or département separates are ``ambiguous``, never picked.
A point or a code from elsewhere in France is ``outside_region``. Every input row ends
up in :attr:`GeocodeResult.accepted` (``matched``, ``fuzzy``) or in
:attr:`GeocodeResult.rejected` (``ambiguous``, ``unmatched``, ``outside_region``,
``invalid``) with its reason: nothing is dropped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from territorial import geography, normalise
from territorial._errors import ArgumentError, InputFileError, TerritorialError
from territorial._format import fr_number, fr_share, html_table
from territorial.ban import BAN_URL, ban_geocode
from territorial.columns import RESULT_COLUMNS, STATUS_LABELS
from territorial.io import (
    ROLE_NAMES,
    detect_columns,
    read_input,
    split_point,
    to_degrees,
    to_number,
)
from territorial.schemes import SchemeLike, resolve_scheme

logger = logging.getLogger(__name__)

__all__ = [
    "ACCEPTED",
    "REJECTED",
    "STATUSES",
    "GeocodeError",
    "GeocodeResult",
    "geocode",
    "geocode_file",
]

ACCEPTED = ("matched", "fuzzy")
REJECTED = ("ambiguous", "unmatched", "outside_region", "invalid")
STATUSES = ACCEPTED + REJECTED

#: Plausible coordinate ranges (x, y) of the CRSs inferred when none is declared.
CRS_DOMAINS = {
    "EPSG:4326": ((-180.0, 180.0), (-90.0, 90.0)),
    "EPSG:2154": ((-400_000.0, 1_400_000.0), (5_900_000.0, 7_300_000.0)),
    "EPSG:27572": ((-100_000.0, 1_300_000.0), (1_500_000.0, 2_800_000.0)),
}
CRS_LABELS = {
    "EPSG:4326": "WGS84 (EPSG:4326)",
    "EPSG:2154": "Lambert-93 (EPSG:2154)",
    "EPSG:27572": "Lambert II étendu (EPSG:27572)",
}


class GeocodeError(TerritorialError, ValueError):
    """Strict geocoding found rejected rows; :attr:`result` holds everything."""

    def __init__(self, message: str, result: GeocodeResult):
        super().__init__(message)
        self.result = result


@dataclass
class GeocodeResult:
    """Outcome of :func:`geocode`: every input row is in exactly one of the two tables.

    Attributes
    ----------
    accepted : geopandas.GeoDataFrame
        Rows ``matched`` or ``fuzzy``: the input columns (an input column whose name a
        result column takes is kept as ``<name>_source``), ``input_row`` (1-based
        position in the input), the result columns and a point in EPSG:2154.
    rejected : pandas.DataFrame
        The other rows: the input columns as given, ``input_row``, ``geocode_status``,
        ``geocode_note``.
    n_input : int
        Number of input rows.
    columns : dict
        Role -> input column used (``code_insee``, ``commune``, ``latitude``...).
    duplicate_ids : pandas.DataFrame
        Identifiers found on several rows (``id``, ``rows``, ``input_rows``).
    notes : list of str
        File-level remarks (CRS inferred, columns recognised...).
    """

    accepted: gpd.GeoDataFrame
    rejected: pd.DataFrame
    n_input: int
    columns: dict[str, str]
    duplicate_ids: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def summary(self) -> pd.DataFrame:
        """Rows per status (all six statuses, zeros included) and their share."""
        counts = pd.concat([self.accepted["geocode_status"], self.rejected["geocode_status"]]).value_counts()
        table = counts.reindex(list(STATUSES), fill_value=0).rename_axis("geocode_status").reset_index(name="rows")
        table["share"] = table["rows"] / max(self.n_input, 1)
        return table

    def _repr_html_(self) -> str:
        """In Jupyter: rows per geocoding status, and the file's notes."""
        table = self.summary.rename(columns={"geocode_status": "Statut", "rows": "Lignes", "share": "Part"})
        table["Statut"] = table["Statut"].map(lambda s: STATUS_LABELS.get(s, s))
        return html_table(
            f"Géocodage : {self.n_input} lignes lues, {len(self.accepted)} acceptées, {len(self.rejected)} rejetées",
            table,
            {"Lignes": fr_number, "Part": fr_share},
            lines=self.notes,
        )

    def summary_text(self) -> str:
        """The summary as French lines, for the CLI and logs."""
        lines = summary_lines(self.n_input, self.summary.set_index("geocode_status")["rows"], self.duplicate_ids)
        return "\n".join(lines + [f"  note : {n}" for n in self.notes])


def summary_lines(
    n_input: int, rows_per_status: pd.Series, duplicate_ids: pd.DataFrame, *, heading: str = ""
) -> list[str]:
    """French summary lines: rows read, accepted, rejected, rows per status, repeated identifiers."""
    counts = rows_per_status.reindex(list(STATUSES), fill_value=0).astype(int)
    n_accepted = int(counts[list(ACCEPTED)].sum())
    lines = [
        f"{fr_number(n_input)} lignes lues{heading} : {fr_number(n_accepted)} acceptées, "
        f"{fr_number(n_input - n_accepted)} rejetées"
    ]
    lines += [f"  {status:<15} {count:>8}  {STATUS_LABELS[status]}" for status, count in counts.items()]
    if len(duplicate_ids):
        lines.append(
            f"  identifiants en double : {', '.join(map(str, duplicate_ids['id'][:20]))}"
            + (" …" if len(duplicate_ids) > 20 else "")
        )
    return lines


# --------------------------------------------------------------------------- reference index


@dataclass(frozen=True)
class _Index:
    """Lookup tables on the embedded gazetteer, built once per process."""

    info: pd.DataFrame
    name_of: dict[str, str]
    departement_of: dict[str, str]
    code_to_current: dict[str, str]
    old_code_names: dict[str, str]
    by_name: dict[str, frozenset[str]]
    by_bare_name: dict[str, frozenset[str]]
    by_postal: dict[str, frozenset[str]]
    postal_of: dict[str, frozenset[str]]
    france_codes: dict[str, str]
    france_by_name: dict[str, frozenset[str]]
    france_official: dict[str, frozenset[str]]
    france_keys: tuple[str, ...]
    shared_postal: dict[str, frozenset[str]]
    name_kinds: dict[tuple[str, str], str]
    fuzzy_keys: tuple[str, ...]
    fuzzy_codes: tuple[frozenset[str], ...]
    tree: shapely.STRtree
    tree_codes: np.ndarray
    polygons: gpd.GeoSeries
    halls: gpd.GeoSeries
    hall_precision: pd.Series
    region: frozenset[str]
    zone: dict[str, str]

    def label(self, code: str) -> str:
        return f"{self.name_of[code]} ({code})"


#: Gazetteer rows that are a former state of a commune (their codes lead to the current commune).
FORMER = ("ancien_code", "ancienne_commune", "commune_deleguee", "commune_associee")
#: How a note says what kind of name matched.
NAME_KINDS = {
    "commune_deleguee": "commune déléguée de",
    "commune_associee": "commune associée à",
    "ancienne_commune": "ancienne commune, rattachée à",
    "ancien_nom": "ancien nom de",
    "lieu_dit": "lieu-dit de",
    "libelle_poste": "nom postal (La Poste) de",
}
#: Names that are no official name of a commune today: one that is also a commune elsewhere needs its postal code.
UNOFFICIAL = ("ancienne_commune", "ancien_nom", "lieu_dit", "libelle_poste")


def _kind_of(kind: str, label: str) -> str:
    """« ancien nom d'Aix-en-Pévèle (59004) »: the kind's phrase before a commune's label, elided in French."""
    phrase = NAME_KINDS[kind]
    if phrase.endswith(" de") and label[:1].upper() in "AEIOUYÉÈÊÂÎÔ":
        return f"{phrase[:-2]}d'{label}"
    return f"{phrase} {label}"


def _group(keys, codes) -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for key, code in zip(keys, codes):
        if key:
            table.setdefault(key, set()).add(code)
    return {k: frozenset(v) for k, v in table.items()}


@geography.per_geography(maxsize=2)
def _index() -> _Index:
    communes = geography.communes().set_index("code_insee")
    gaz = geography.gazetteer()
    halls = geography.town_halls().set_index("code_insee")
    france = geography._layer("communes_france")
    named = gaz[gaz["nom"].notna()]
    keys = named["nom"].map(normalise.name_key)
    # the COG's postal codes, and La Poste's (a neighbour's office, a label's own code) from the gazetteer
    postal = gaz[gaz["type"].isin(["commune", "libelle_poste"])]
    every = zip([*communes.index, *postal["code_insee"]], [*communes["codes_postaux"], *postal["codes_postaux"]])
    postal_pairs = sorted({(cp, code) for code, cps in every for cp in str(cps).split(";") if cp})
    old = gaz[gaz["type"].isin(FORMER)]
    region = frozenset(communes["departement"].unique())
    outside = france[~france["departement"].isin(region)]
    official = outside[~outside["type"].isin(UNOFFICIAL)]
    fuzzy = _group(keys, named["code_insee"])
    # names elsewhere that share one of the zone's postal codes (62760: Thièvres here and in the Somme)
    crossing = [
        (normalise.name_key(n), cp)
        for n, cps in zip(outside["nom"], outside.get("codes_postaux", pd.Series("", index=outside.index)))
        for cp in str(cps or "").split(";")
        if cp[:2] in region
    ]
    return _Index(
        info=communes.drop(columns="geometry"),
        name_of=dict(zip(communes.index, communes["nom"])),
        departement_of=dict(zip(communes.index, communes["departement"])),
        code_to_current={**dict(zip(old["code"], old["code_insee"])), **{c: c for c in communes.index}},
        old_code_names={c: n for c, n in zip(old["code"], old["nom"]) if isinstance(n, str)},
        by_name=fuzzy,
        by_bare_name=_group(keys.map(normalise.strip_article), named["code_insee"]),
        by_postal=_group([cp for cp, _ in postal_pairs], [c for _, c in postal_pairs]),
        postal_of=dict.fromkeys(communes.index, frozenset())
        | _group([code for _, code in postal_pairs], [cp for cp, _ in postal_pairs]),
        france_codes=dict(zip(france["code"], france["departement"])),
        france_by_name=_group(outside["nom"].map(normalise.name_key), outside["departement"]),
        france_official=_group(official["nom"].map(normalise.name_key), official["departement"]),
        france_keys=tuple(_group(outside["nom"].map(normalise.name_key), outside["departement"])),
        shared_postal=_group([k for k, _ in crossing], [cp for _, cp in crossing]),
        name_kinds=dict(zip(zip(keys, named["code_insee"]), named["type"])),
        fuzzy_keys=tuple(fuzzy),
        fuzzy_codes=tuple(fuzzy.values()),
        tree=shapely.STRtree(communes.geometry.to_numpy()),
        tree_codes=communes.index.to_numpy(),
        polygons=communes.geometry,
        halls=halls.geometry,
        hall_precision=halls["precision"],
        region=region,
        zone=geography.zone_labels(),
    )


def _factorize(frame: pd.DataFrame, column: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Integer code of each row's value and the stripped text of each code (blank last)."""
    if column is None:
        return np.zeros(len(frame), dtype=np.intp), np.array([""], dtype=object)
    codes, uniques = pd.factorize(frame[column], use_na_sentinel=True)
    texts = np.array([str(u).strip() for u in uniques] + [""], dtype=object)
    return np.where(codes < 0, len(uniques), codes), texts


def _text(frame: pd.DataFrame, column: str | None) -> pd.Series:
    if column is None:
        return pd.Series("", index=frame.index, dtype=object)
    return _stripped(frame[column])


def _stripped(values: pd.Series) -> pd.Series:
    """Values as stripped text, missing ones as ``""``."""
    return values.astype(object).where(values.notna(), "").map(str).str.strip()


# --------------------------------------------------------------------------- by code and name


@dataclass(frozen=True)
class _Found:
    status: str
    code: str | None = None
    method: str = ""
    score: float = np.nan
    note: str = ""
    candidates: frozenset[str] = frozenset()


def _departement_name(dep: str) -> str:
    return f"département {dep}"


@dataclass
class _Row:
    """What one combination of code, postal code, département and name says, as the rules read it."""

    name: str
    key: str
    code: str
    cp: str
    dep: str
    notes: list[str]
    names: frozenset[str] = frozenset()
    name_method: str = "name"
    hint_dep: str = ""

    def found(
        self,
        status: str,
        code: str | None = None,
        method: str = "",
        score: float = np.nan,
        *,
        note: str = "",
        candidates: frozenset[str] = frozenset(),
    ) -> _Found:
        """A result carrying the notes gathered so far (and ``note`` last)."""
        return _Found(status, code, method, score, "; ".join(self.notes + [note] if note else self.notes), candidates)


def _resolve(
    index: _Index, code_raw: str, cp_raw: str, dep_raw: str, name_raw: str, address_raw: str, fuzzy_cutoff: float
) -> _Found:
    """Locate one combination of code, postal code, département, name and address.

    The rules are tried in order — INSEE code (current or old), name in 59/62 (narrowed by
    postal code or département), known elsewhere, postal code alone, fuzzy name — each
    returning a result or passing to the next.
    """
    row = _read_row(index, code_raw, cp_raw, dep_raw, name_raw, address_raw)
    if isinstance(row, _Found):
        return row
    for rule in (_by_code, _postal_hint, _by_name, _elsewhere, _by_postal_code):
        found = rule(index, row)
        if found is not None:
            return found
    if row.key in index.france_by_name:  # a commune elsewhere, with a postal code or département of 59/62
        deps = ", ".join(sorted(index.france_by_name[row.key]))
        return row.found(
            "ambiguous",
            note=f"« {row.name} » est une commune du département {deps}, pas {index.zone['de']}, mais le code "
            "postal ou le département indique la région ; vérifiez la ligne",
        )
    if row.key:
        found = _fuzzy(index, row.key, row.name, row.cp, row.hint_dep, row.notes, fuzzy_cutoff)
        return _unknown_name(index, row) if found.status == "unmatched" else found
    return row.found("unmatched", note="aucune commune ne correspond")


def _unknown_name(index: _Index, row: _Row) -> _Found:
    """A name no rule recognised, with what the postal code can still say.

    * A commune's name followed by more words (« ARMENTIERES ZI NORD 59280 ») is that commune
      when the postal code is one of its own.
    * A name like a commune's elsewhere (« PARIS 16 ») or close to one of the zone's
      (« ANICE », Aniche) is not placed by the postal code: ambiguous, both named.
    * Otherwise (a hamlet, a district: La Poste's « ligne 5 ») a postal code of one commune
      only places it, the note saying the name was not recognised; with a postal code of
      several communes the row stays unmatched, the communes listed.
    """
    served = index.by_postal.get(row.cp, frozenset())
    start = _named_start(index, row.key, row.cp) if served else None
    if start is not None:
        found, words = start
        row.notes.append(
            f"« {row.name} » lu comme {index.name_of[found]} (« {words} » ignoré), que le code postal {row.cp} désigne"
        )
        return row.found("matched", found, "postal_code+name_prefix", 100.0)
    unnumbered = re.sub(r"(\s+(\d+(er|e|eme)?|er|e|eme|arrondissement))+$", "", row.key)
    if unnumbered != row.key and unnumbered in index.france_by_name:
        deps = ", ".join(sorted(index.france_by_name[unnumbered]))
        return row.found("outside_region", note=f"« {row.name} » : commune du département {deps}")
    like = process.extractOne(row.key, index.fuzzy_keys, scorer=fuzz.ratio, score_cutoff=80.0) if served else None
    if like is not None:
        named = ", ".join(index.label(c) for c in sorted(index.fuzzy_codes[like[2]]))
        return row.found(
            "ambiguous",
            note=f"« {row.name} » ressemble à {named}, que le code postal {row.cp} ne désigne pas ; corrigez l'un "
            "des deux",
        )
    far = process.extractOne(row.key, index.france_keys, scorer=fuzz.ratio, score_cutoff=88.0) if served else None
    if far is not None:
        deps = ", ".join(sorted(index.france_by_name[far[0]]))
        return row.found(
            "ambiguous",
            note=f"« {row.name} » ressemble à une commune du département {deps} ; le code postal {row.cp} "
            "indique la région : vérifiez la ligne",
        )
    if len(served) == 1:
        (only,) = served
        return row.found(
            "matched",
            only,
            "postal_code+unknown_name",
            100.0,
            note=f"« {row.name} » n'est le nom d'aucune commune (lieu-dit, quartier ?) : placé par le code postal "
            f"{row.cp}, qui ne dessert que {index.label(only)}",
        )
    names = ", ".join(index.label(c) for c in sorted(served)[:8]) + (", …" if len(served) > 8 else "")
    where = f" ; le code postal {row.cp} dessert {len(served)} communes : {names}" if served else ""
    return row.found("unmatched", note=f"commune « {row.name} » introuvable ({index.zone['nom']}){where}")


def _named_start(index: _Index, key: str, cp: str) -> tuple[str, str] | None:
    """The one commune whose name starts ``key`` (longest first) and which ``cp`` serves, with the words left."""
    words = key.split()
    for cut in range(len(words) - 1, 0, -1):
        codes = index.by_name.get(" ".join(words[:cut]), frozenset())
        if len(codes) == 1 and cp in index.postal_of[next(iter(codes))]:
            return next(iter(codes)), " ".join(words[cut:])
    return None


def _read_row(
    index: _Index, code_raw: str, cp_raw: str, dep_raw: str, name_raw: str, address_raw: str
) -> _Row | _Found:
    """Normalise the raw values (noting what could not be read); ``invalid`` when nothing locates the row."""
    notes: list[str] = []
    name, cp_in_name, dep_in_name = normalise.split_place(name_raw)
    cp = normalise.postal_code(cp_raw) or cp_in_name
    dep = normalise.departement_code(dep_raw) or dep_in_name
    if not name and not cp and address_raw:
        cp, name = normalise.address_place(address_raw)
        if name:
            notes.append("commune et code postal lus dans l'adresse")
    key = normalise.name_key(name)
    code = normalise.insee_code(code_raw)
    if code_raw and not code:
        notes.append(f"code INSEE « {code_raw} » illisible, ignoré")
    if cp_raw and not normalise.postal_code(cp_raw):
        notes.append(f"code postal « {cp_raw} » illisible, ignoré")
    row = _Row(name=name, key=key, code=code, cp=cp, dep=dep, notes=notes)
    if not (code or cp or key or dep):
        return row.found(
            "invalid", note="aucune information de localisation (coordonnées, code, code postal ou commune)"
        )
    row.names, row.name_method = _names_for(index, name, key, notes, cp=cp)
    return row


def _names_for(index: _Index, name: str, key: str, notes: list[str], *, cp: str = "") -> tuple[frozenset[str], str]:
    """Communes of 59/62 the name designates: as written, without its article, or in two parts.

    A name that is exactly a commune elsewhere in France is not rescued by adding or dropping an
    article (« La Capelle » is in the Aisne, not Capelle in the Nord) unless the postal code
    points to the commune so read, nor read in two parts.
    """
    names = index.by_name.get(key, frozenset())
    if not key or names:
        return names, "name"
    names = index.by_bare_name.get(normalise.strip_article(key), frozenset())
    if names and key in index.france_by_name:
        names = frozenset(c for c in names if cp in index.postal_of[c])
    if names or key in index.france_by_name:
        return names, "name_without_article"
    both, same = _two_parts(index, name, key)
    if both and same:
        notes.append("nom lu en deux parties : " + ", ".join(index.label(c) for c in sorted(both)))
        return both, "name_in_two_parts"
    whole = process.extractOne(key, index.fuzzy_keys, scorer=fuzz.ratio, score_cutoff=88.0) if both else None
    if whole is not None and not index.fuzzy_codes[whole[2]] & both:  # « AVESNES-LA-COMTE »: Avesnes-le-Comte
        return frozenset(), "name_without_article"
    return both, "two_names" if both else "name_without_article"


def _two_parts(index: _Index, name: str, key: str) -> tuple[frozenset[str], bool]:
    """A name in two parts: one commune named twice (« LILLE HELLEMMES », « Lomme (Lille) »), or two communes.

    Words are split at each place in turn. Returns the communes the parts name and whether they
    name the same one; in « A (B) » a side that names nothing is allowed. Two different communes
    (« HEM (MONCEAU SAINT WAAST) ») are returned with ``False``: the row is ambiguous, never fuzzy.
    """
    if "(" in name:
        outer, _, inner = name.partition("(")
        parts = [index.by_name.get(normalise.name_key(p.strip(" )")), frozenset()) for p in (outer, inner)]
        known = [p for p in parts if p]
        if not known:
            return frozenset(), False
        return frozenset().union(*known), all(p == known[0] for p in known)
    words = key.split()
    for cut in range(1, len(words)):
        left = index.by_name.get(" ".join(words[:cut]), frozenset())
        right = " ".join(words[cut:])
        article = "les" + right[3:] if right.startswith("lez ") else right  # « Les Moëres » inside a name
        other = index.by_name.get(right) or index.by_name.get(article)
        if left and other:
            return left | other, len(left) == 1 and left == other
    return frozenset(), False


def _by_code(index: _Index, row: _Row) -> _Found | None:
    """Rule 1: the INSEE code, current or old (a postal code typed as INSEE code passes on)."""
    code = row.code
    if not code:
        return None
    current = index.code_to_current.get(code)
    if current is not None:
        if row.names and current not in row.names:
            if any(code in index.postal_of[c] for c in row.names):
                row.notes.append(f"le code {code} est un code postal, pas un code INSEE")
                row.cp = code
                return None
            return row.found(
                "ambiguous",
                candidates=row.names | {current},
                note=(
                    f"le code INSEE {code} désigne {index.label(current)} mais le nom « {row.name} » désigne "
                    + ", ".join(index.label(c) for c in sorted(row.names))
                ),
            )
        if current != code:
            old = index.old_code_names.get(code)
            row.notes.append(
                f"ancien code INSEE {code}" + (f" ({old})" if old else "") + f", aujourd'hui {index.label(current)}"
            )
            return row.found("matched", current, "old_insee_code", 100.0)
        return row.found("matched", current, "insee_code", 100.0)
    if code in index.france_codes:
        return row.found(
            "outside_region",
            note=f"code INSEE {code} d'une commune {index.zone['hors']} "
            f"({_departement_name(index.france_codes[code])})",
        )
    if code[:2] in index.region and code != row.cp:
        row.notes.append(f"code INSEE {code} inconnu, ignoré")
    return None


def _postal_hint(index: _Index, row: _Row) -> None:
    """The département the postal code, the département column or the code point to (noted when a CEDEX)."""
    cp_dep = row.cp[:2] if row.cp else ""
    if row.cp and row.cp not in index.by_postal and cp_dep in index.region:
        row.notes.append(f"code postal {row.cp} inconnu (CEDEX ?) : seul le département {cp_dep} est retenu")
    row.hint_dep = row.dep or cp_dep or (row.code[:2] if row.code else "")


def _by_name(index: _Index, row: _Row) -> _Found | None:
    """Rule 2: a name of 59/62, homonyms narrowed by postal code then département, else ambiguous."""
    if not row.names:
        return None
    early = _name_against_the_rest(index, row)
    if early is not None:
        return early
    method, candidates, cp, hint_dep = row.name_method, row.names, row.cp, row.hint_dep
    if len(candidates) > 1 and cp in index.by_postal:
        narrowed = frozenset(c for c in candidates if cp in index.postal_of[c])
        if narrowed:
            candidates, method = narrowed, "postal_code+" + row.name_method
    if len(candidates) > 1 and hint_dep:
        narrowed = frozenset(c for c in candidates if index.departement_of[c] == hint_dep)
        if narrowed:
            candidates, method = narrowed, "departement+" + row.name_method
    if len(candidates) > 1:
        return row.found(
            "ambiguous",
            candidates=candidates,
            note=(
                f"homonymes : {', '.join(index.label(c) for c in sorted(candidates))} ; précisez le code postal "
                "ou le département"
            ),
        )
    (found,) = candidates
    doubt = _name_doubts(index, row, found)
    if doubt is not None:
        return doubt
    if cp in index.by_postal and method == row.name_method:
        method = "postal_code+" + row.name_method
    row.notes.extend(_name_notes(index, row, found))
    return row.found("matched", found, method, 100.0)


def _name_against_the_rest(index: _Index, row: _Row) -> _Found | None:
    """The name against what else the row says: two communes named, another département, another postal code."""
    if row.name_method == "two_names":
        named = ", ".join(index.label(c) for c in sorted(row.names))
        served = frozenset(c for c in row.names if row.cp in index.postal_of[c])
        if len(served) == 1:  # « WATTRELOS (ROUBAIX) 59150 »: the postal code says which
            (found,) = served
            row.notes.append(
                f"« {row.name} » nomme deux communes ({named}) : le code postal {row.cp} désigne {index.label(found)}"
            )
            return row.found("matched", found, "postal_code+two_names", 100.0)
        return row.found("ambiguous", candidates=row.names, note=f"« {row.name} » nomme deux communes : {named}")
    hint_dep = row.hint_dep
    if hint_dep and hint_dep not in index.region and hint_dep in index.france_by_name.get(row.key, ()):
        return row.found(
            "outside_region",
            note=f"« {row.name} » du {_departement_name(hint_dep)} (homonyme de "
            + ", ".join(index.label(c) for c in sorted(row.names))
            + ")",
        )
    if row.cp in index.by_postal and not any(row.cp in index.postal_of[c] for c in row.names):
        return _name_against(index, row, row.cp, by="postal_code")
    stated = row.dep or (row.cp[:2] if row.cp else "")  # a département column, « (59) », a CEDEX code
    if stated in index.region and not any(index.departement_of[c] == stated for c in row.names):
        return _name_against(index, row, stated, by="departement")
    return None


def _name_doubts(index: _Index, row: _Row, found: str) -> _Found | None:
    """Reasons not to place a name on its one commune: a weak name of a commune elsewhere, another département,
    or a postal code that a homonym elsewhere shares."""
    elsewhere = index.france_official.get(row.key)
    kind = index.name_kinds.get((row.key, found), "commune")
    if elsewhere and not (row.cp or row.hint_dep) and kind in UNOFFICIAL:
        return row.found(
            "ambiguous",
            candidates=frozenset({found}),
            note=f"« {row.name} » : {_kind_of(kind, index.label(found))}, et nom de commune(s) du "
            f"département {', '.join(sorted(elsewhere))} ; précisez le code postal",
        )
    if row.hint_dep and row.hint_dep not in index.region:
        return row.found(
            "ambiguous",
            candidates=frozenset({found}),
            note=(
                f"« {row.name} » est {index.label(found)} mais le code postal ou le département indique le "
                f"{_departement_name(row.hint_dep)}"
            ),
        )
    if row.cp and row.cp in index.shared_postal.get(row.key, ()):
        deps = ", ".join(sorted(index.france_by_name.get(row.key, ())))
        return row.found(
            "ambiguous",
            candidates=frozenset({found}),
            note=f"« {row.name} » {row.cp} : {index.label(found)} et son homonyme du département {deps} ont ce "
            "même code postal ; précisez le code INSEE",
        )
    return None


def _name_against(index: _Index, row: _Row, stated: str, *, by: str) -> _Found:
    """The name and the postal code (or département) designate different communes: the reading on which both
    agree, else ambiguous.

    « LONGUEVILLE 59570 » and « LONGUEVILLE » in the Nord are La Longueville (59), whose name
    without its article and postal code (or département) both fit; « BOURSIES 62147 » names
    Boursies (59) with a postal code of the Pas-de-Calais: ambiguous, both readings named.
    """
    fits = (
        (lambda c: stated in index.postal_of[c])
        if by == "postal_code"
        else (lambda c: index.departement_of[c] == stated)
    )
    bare = index.by_bare_name.get(normalise.strip_article(row.key), frozenset())
    agree = frozenset(c for c in bare if fits(c))
    what = f"le code postal {stated}" if by == "postal_code" else f"le département {stated}"
    if len(agree) == 1:
        (found,) = agree
        row.notes.append(f"« {row.name} » lu comme {index.name_of[found]}, que {what} désigne")
        return row.found("matched", found, f"{by}+name_without_article", 100.0)
    named = ", ".join(index.label(c) for c in sorted(row.names))
    if by == "postal_code":
        other = index.by_postal[stated]
        return row.found(
            "ambiguous",
            candidates=row.names | other,
            note=f"le nom « {row.name} » désigne {named} mais {what} désigne "
            f"{', '.join(index.label(c) for c in sorted(other))} ; corrigez l'un des deux",
        )
    return row.found(
        "ambiguous",
        candidates=row.names,
        note=f"le nom « {row.name} » désigne {named}, qui n'est pas dans {what} ({_departement_name(stated)}) ; "
        "corrigez l'un des deux",
    )


def _name_notes(index: _Index, row: _Row, found: str) -> list[str]:
    """What the user should know about a name match: no article, a former commune, homonyms elsewhere."""
    notes = []
    kind = index.name_kinds.get((row.key, found), "commune")
    if row.name_method == "name_without_article":
        notes.append(f"nom sans article, lu comme {index.name_of[found]}")
    elif kind in NAME_KINDS:
        notes.append(f"« {row.name} » : {_kind_of(kind, index.label(found))}")
    elsewhere = index.france_by_name.get(row.key)
    if elsewhere and not (row.cp or row.dep):
        notes.append(f"homonyme(s) hors région ignoré(s) (départements {', '.join(sorted(elsewhere))})")
    return notes


def _elsewhere(index: _Index, row: _Row) -> _Found | None:
    """Rule 3: a postal code, département or name known to be outside the area."""
    if row.hint_dep and row.hint_dep not in index.region:
        where = "code postal " + row.cp if row.cp else "département " + row.hint_dep
        return row.found("outside_region", note=f"{where} {index.zone['hors']}")
    if row.key and row.key in index.france_by_name and not row.hint_dep:
        deps = ", ".join(sorted(index.france_by_name[row.key]))
        return row.found(
            "outside_region",
            note=(f"« {row.name} » n'est pas une commune {index.zone['de']} (commune du département {deps})"),
        )
    return None


def _by_postal_code(index: _Index, row: _Row) -> _Found | None:
    """Rule 4: a postal code alone (no name): its only commune, else ambiguous."""
    if row.cp not in index.by_postal or row.key:
        return None
    candidates = index.by_postal[row.cp]
    if len(candidates) == 1:
        (found,) = candidates
        return row.found("matched", found, "postal_code", 100.0)
    return row.found(
        "ambiguous",
        candidates=candidates,
        note=(
            f"le code postal {row.cp} dessert {len(candidates)} communes : "
            + ", ".join(index.label(c) for c in sorted(candidates))
        ),
    )


def _fuzzy(index: _Index, key: str, name: str, cp: str, dep: str, notes: list[str], cutoff: float) -> _Found:
    """The closest name (rapidfuzz ratio ≥ ``cutoff``), unless another commune is as close.

    « As close » is a ratio within 3 points of the best, or the fewest edits (optimal string
    alignment: a swapped pair of letters is one edit) shared by several communes or held by
    another than the best ratio's: such a row is ambiguous, both communes named.
    """
    choices: Sequence[int] = range(len(index.fuzzy_keys))
    if cp in index.by_postal:
        allowed = index.by_postal[cp]
        choices = [i for i in choices if index.fuzzy_codes[i] & allowed]
        cutoff = min(cutoff, 80.0)  # the postal code already narrows the search
    elif dep in index.region:
        choices = [i for i in choices if any(index.departement_of[c] == dep for c in index.fuzzy_codes[i])]
    keys = [index.fuzzy_keys[i] for i in choices]
    hits = process.extract(key, keys, scorer=fuzz.ratio, limit=5, score_cutoff=cutoff)
    if not hits:
        return _Found("unmatched", note="; ".join(notes + [f"commune « {name} » introuvable ({index.zone['nom']})"]))
    best = hits[0][1]
    edits = OSA.distance(key, hits[0][0])  # every name as few edits away is as close (« ANNY »: Annay, Agny)
    as_few = process.extract(key, keys, scorer=OSA.distance, score_cutoff=edits, limit=None)
    close = [i for _, score, i in hits if best - score < 3.0] + [i for _, _, i in as_few]
    codes = frozenset().union(*(index.fuzzy_codes[choices[i]] for i in close))
    if len(codes) > 1:
        return _Found(
            "ambiguous",
            note="; ".join(
                notes + [f"« {name} » ressemble autant à " + ", ".join(index.label(c) for c in sorted(codes))]
            ),
            candidates=codes,
        )
    (found,) = codes
    if cp in index.by_postal:  # the code narrowed the search: is another commune as close by name alone?
        rivals = process.extract(key, index.fuzzy_keys, scorer=OSA.distance, score_cutoff=edits, limit=None)
        others = frozenset().union(*(index.fuzzy_codes[i] for _, _, i in rivals)) - {found}
        if others:
            return _Found(
                "ambiguous",
                note="; ".join(
                    notes
                    + [
                        f"« {name} » ressemble à {index.label(found)}, que le code postal {cp} désigne, et autant à "
                        + ", ".join(index.label(c) for c in sorted(others)[:5])
                        + " ; corrigez l'un des deux"
                    ]
                ),
                candidates=others | {found},
            )
    notes.append(f"nom approché : « {name} » lu comme {index.name_of[found]} (score {best:.0f})")
    return _Found("fuzzy", found, "fuzzy_name", round(best, 1), "; ".join(notes))


# --------------------------------------------------------------------------- coordinates


def _in_domain(crs: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    (x0, x1), (y0, y1) = CRS_DOMAINS[crs]
    return (a >= x0) & (a <= x1) & (b >= y0) & (b <= y1)


def _infer_crs(a: np.ndarray, b: np.ndarray) -> str | None:
    """The single CRS whose range holds every pair (either axis order), or None."""
    ok = np.isfinite(a) & np.isfinite(b)
    if not ok.any():
        return None
    fits = [crs for crs in CRS_DOMAINS if (_in_domain(crs, a[ok], b[ok]) | _in_domain(crs, b[ok], a[ok])).all()]
    return fits[0] if len(fits) == 1 else None


def _locate_points(index: _Index, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Commune code holding each Lambert-93 point ('' where none: outside 59/62)."""
    codes = np.full(len(x), "", dtype=object)
    finite = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    if len(finite):
        points = shapely.points(x[finite], y[finite])
        hit_points, hit_polygons = index.tree.query(points, predicate="intersects")
        first = np.unique(hit_points, return_index=True)[1]  # a point on a boundary takes the first commune
        codes[finite[hit_points[first]]] = index.tree_codes[hit_polygons[first]]
    return codes


@dataclass
class _Points:
    x: np.ndarray
    y: np.ndarray
    code: np.ndarray
    given: np.ndarray
    note: np.ndarray


def _coordinates(
    index: _Index, frame: pd.DataFrame, columns: dict[str, str], crs, notes: list[str], decimal: str | None
) -> _Points | None:
    n = len(frame)
    geometry_given = (
        isinstance(frame, gpd.GeoDataFrame)
        and frame.geometry.name in frame.columns
        and (~shapely.is_missing(frame.geometry.to_numpy())).any()
    )
    if geometry_given:
        if frame.crs is None and crs is None:
            raise InputFileError(
                "the input layer has no CRS (a Shapefile without its .prj?); give it with "
                "--crs EPSG:2154 (crs='EPSG:2154'), or set it (gdf.set_crs(...))"
            )
        if frame.crs is None:
            frame = frame.set_crs(crs)
        geoms = shapely.make_valid(frame.geometry.to_numpy())
        geoms = np.where(shapely.is_empty(geoms), None, geoms)  # an empty geometry gives no coordinates
        surface = shapely.get_type_id(geoms) > 0
        if surface.any():
            geoms = np.where(surface, shapely.point_on_surface(geoms), geoms)
        a, b, source_crs = shapely.get_x(geoms), shapely.get_y(geoms), frame.crs
        given = ~shapely.is_missing(frame.geometry.to_numpy())
        row_notes = np.where(surface, "point intérieur de la géométrie d'origine", "").astype(object)
    elif "longitude" in columns:
        a = to_degrees(frame[columns["longitude"]], decimal=decimal)
        b = to_degrees(frame[columns["latitude"]], decimal=decimal)
        source_crs = crs or "EPSG:4326"
        given = (_text(frame, columns["longitude"]) != "").to_numpy() | (
            _text(frame, columns["latitude"]) != ""
        ).to_numpy()
        row_notes = np.full(n, "", dtype=object)
    elif "x" in columns:
        a, b = to_number(frame[columns["x"]], decimal=decimal), to_number(frame[columns["y"]], decimal=decimal)
        given = (_text(frame, columns["x"]) != "").to_numpy() | (_text(frame, columns["y"]) != "").to_numpy()
        source_crs = crs
        if source_crs is None:
            source_crs = _infer_crs(a, b)
            if source_crs is None:
                raise InputFileError(
                    f"cannot tell the CRS of columns {columns['x']!r}/{columns['y']!r} from their values; "
                    "declare it with crs='EPSG:2154' (CLI: --crs EPSG:2154) or the CRS the file uses"
                )
            notes.append(
                f"CRS des colonnes {columns['x']}/{columns['y']} déduit des valeurs : {CRS_LABELS[source_crs]}"
            )
        row_notes = np.full(n, "", dtype=object)
    elif "point" in columns:
        b, a = split_point(frame[columns["point"]])  # "latitude, longitude"; the other order is caught as swapped
        source_crs = crs or "EPSG:4326"
        given = (_text(frame, columns["point"]) != "").to_numpy()
        row_notes = np.full(n, "", dtype=object)
    else:
        return None

    source = pyproj.CRS.from_user_input(source_crs)
    to_l93 = pyproj.Transformer.from_crs(source, 2154, always_xy=True)
    key = source.to_string()
    usable = np.isfinite(a) & np.isfinite(b)
    if key in CRS_DOMAINS:
        usable &= _in_domain(key, a, b) | _in_domain(key, b, a)
    a, b = np.where(usable, a, np.nan), np.where(usable, b, np.nan)
    x, y = to_l93.transform(a, b, errcheck=False)
    x, y = np.asarray(x, float), np.asarray(y, float)
    code = _locate_points(index, x, y)
    retry = np.flatnonzero(usable & (code == ""))
    if len(retry):
        sx, sy = to_l93.transform(b[retry], a[retry], errcheck=False)
        swapped = _locate_points(index, np.asarray(sx, float), np.asarray(sy, float))
        fixed = retry[swapped != ""]
        x[fixed], y[fixed] = np.asarray(sx)[swapped != ""], np.asarray(sy)[swapped != ""]
        code[fixed] = swapped[swapped != ""]
        row_notes[fixed] = "coordonnées inversées (x/y ou latitude/longitude), corrigées"
    bad = given & ~usable
    row_notes[bad] = "coordonnées illisibles ou hors de toute plage plausible, ignorées"
    return _Points(x=np.where(usable, x, np.nan), y=np.where(usable, y, np.nan), code=code, given=given, note=row_notes)


# --------------------------------------------------------------------------- main entry points


def geocode(
    data: pd.DataFrame,
    *,
    columns: dict[str, str] | None = None,
    crs: str | int | None = None,
    scheme: SchemeLike = "cper2000",
    strict: bool = False,
    fuzzy_cutoff: float = 88.0,
    tolerance_m: float = 1000.0,
    decimal: str | None = None,
    online: bool = False,
    ban_url: str | None = None,
    ban_cache: str | Path | None = None,
    ban_min_score: float = 0.6,
    first_row: int = 1,
    repeated_ids: Mapping[str, Sequence[int]] | None = None,
) -> GeocodeResult:
    """Locate every row of a table on the communes of Nord and Pas-de-Calais.

    Parameters
    ----------
    data : pandas.DataFrame or geopandas.GeoDataFrame
        One row per facility or project. A GeoDataFrame's geometry is used as its
        coordinates (its CRS is required).
    columns : dict, optional
        Role -> column overrides (see :func:`detect_columns`); other roles are
        recognised by name.
    crs : optional
        CRS of the coordinate columns. Default: WGS84 for latitude/longitude; for x/y
        inferred from the values when a single CRS fits (Lambert-93, Lambert II
        étendu or WGS84), else an error asks for it.
    scheme : see :func:`territorial.schemes.resolve_scheme`
        Territory scheme for the ``territoire`` column.
    strict : bool
        Raise :class:`GeocodeError` if any row is rejected.
    fuzzy_cutoff : float
        Minimum rapidfuzz ratio (0-100) of a fuzzy name match (80 within a known
        postal code).
    tolerance_m : float
        A point up to this distance from the commune its row names is accepted (a
        facility on a boundary); farther, the row is ``ambiguous``.
    decimal : {",", "."}, optional
        Decimal separator of coordinate columns; by default both ``50,63`` and
        ``50.63`` are read.
    online : bool
        Also send the rows that have an address and no coordinates to the national
        address service (:func:`territorial.ban.ban_geocode`): a good answer in the
        same commune replaces the town-hall point; an answer in another commune or
        with a low score is flagged in the note; an unmatched row found there in
        59/62 becomes ``fuzzy``. Off by default.
    ban_url, ban_cache : optional
        Endpoint and cache folder of the address service.
    ban_min_score : float
        Minimum BAN score (0-1) of an answer that is used.
    first_row : int, default 1
        ``input_row`` of the first row: for one chunk of a larger file, its position in the file.
    repeated_ids : mapping, optional
        For one chunk of a larger file: the identifiers repeated anywhere in the file and their
        row numbers (see :func:`find_repeated_ids`). Default: repetitions are looked for in ``data``.

    Returns
    -------
    GeocodeResult
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"`data` must be a pandas DataFrame or GeoDataFrame, got {type(data).__name__}")

    if isinstance(first_row, bool) or not isinstance(first_row, (int, np.integer)) or first_row < 1:
        raise ArgumentError(f"`first_row` must be a positive integer, got {first_row!r}")
    territory_of = resolve_scheme(scheme)
    index = _index()
    frame = data.reset_index(drop=True)
    n = len(frame)
    cols = location_columns(frame, columns)
    notes = [
        f"colonnes reconnues : {', '.join(f'{r}={c}' for r, c in cols.items())}"
        if cols
        else "aucune colonne de localisation reconnue"
    ]
    logger.info("geocoding %d rows with columns %s", n, cols)

    found, combo_of_row = _resolve_combinations(index, frame, cols, fuzzy_cutoff)
    out = _Outcome.of(found, combo_of_row)
    points = _coordinates(index, frame, cols, crs, notes, decimal)
    if points is not None:
        _merge_coordinates(index, points, found, combo_of_row, out, tolerance_m)
    if online and "adresse" in cols:
        _apply_ban(index, frame, cols, out, url=ban_url, cache=ban_cache, min_score=ban_min_score)
    elif online:
        notes.append("géocodage en ligne demandé mais aucune colonne d'adresse reconnue")
    geometry = _points(index, out)
    duplicates = _duplicate_ids(frame, cols.get("id"), out.note, first_row, repeated_ids)
    return _assemble(
        frame, data, index, territory_of, cols, out, geometry, duplicates, notes, strict=strict, first_row=first_row
    )


@dataclass
class _Outcome:
    """The result of every row, as arrays the rules fill in (one value per input row)."""

    status: np.ndarray
    code: np.ndarray
    method: np.ndarray
    score: np.ndarray
    note: np.ndarray
    precision: np.ndarray
    x: np.ndarray
    y: np.ndarray

    @classmethod
    def of(cls, found: list[_Found], combo_of_row: np.ndarray) -> _Outcome:
        """Each row takes the result of its combination of raw values; no point yet."""
        n = len(combo_of_row)
        return cls(
            status=np.array([f.status for f in found], dtype=object)[combo_of_row],
            code=np.array([f.code or "" for f in found], dtype=object)[combo_of_row],
            method=np.array([f.method for f in found], dtype=object)[combo_of_row],
            score=np.array([f.score for f in found], dtype=float)[combo_of_row],
            note=np.array([f.note for f in found], dtype=object)[combo_of_row],
            precision=np.full(n, "", dtype=object),
            x=np.full(n, np.nan),
            y=np.full(n, np.nan),
        )


def _resolve_combinations(
    index: _Index, frame: pd.DataFrame, cols: dict[str, str], fuzzy_cutoff: float
) -> tuple[list[_Found], np.ndarray]:
    """Resolve by code and name once per distinct combination of the raw values; the combination of each row."""
    roles = ("code_insee", "code_postal", "departement", "commune", "adresse")
    factors = {role: _factorize(frame, cols.get(role)) for role in roles}
    keys = pd.DataFrame({role: codes for role, (codes, _) in factors.items()})
    # groups are numbered in order of first appearance
    combo_of_row = keys.groupby(list(roles), sort=False).ngroup().to_numpy()
    representative = np.unique(combo_of_row, return_index=True)[1]

    def raw(role: str, row: int) -> str:
        codes, values = factors[role]
        return str(values[codes[row]])

    found = [
        _resolve(
            index,
            raw("code_insee", r),
            raw("code_postal", r),
            raw("departement", r),
            raw("commune", r),
            raw("adresse", r),
            fuzzy_cutoff=fuzzy_cutoff,
        )
        for r in representative
    ]
    return found, combo_of_row


def _points(index: _Index, out: _Outcome) -> np.ndarray:
    """The point of each accepted row: its coordinates, else its commune's town hall (precision recorded)."""
    accepted_mask = np.isin(out.status, ACCEPTED)
    by_hall = accepted_mask & ~np.isfinite(out.x)
    hall = index.halls.index.get_indexer(out.code[by_hall])
    precise = accepted_mask & np.isfinite(out.x)
    geometry = np.full(len(out.status), None, dtype=object)
    geometry[by_hall] = index.halls.to_numpy()[hall]  # shared, immutable town-hall points
    geometry[precise] = shapely.points(out.x[precise], out.y[precise])
    out.precision[by_hall] = index.hall_precision.to_numpy()[hall]
    return geometry


def _merge_coordinates(
    index: _Index, points, found: list[_Found], combo_of_row: np.ndarray, out: _Outcome, tolerance_m: float
) -> None:
    """Let usable coordinates decide, unless they contradict the commune the row names."""
    status, code, method, score, note = out.status, out.code, out.method, out.score, out.note
    precision, x, y = out.precision, out.x, out.y
    has_point = np.isfinite(points.x)
    for i in np.flatnonzero(points.given | has_point):
        declared = found[combo_of_row[i]]
        extra = points.note[i]
        if not has_point[i]:
            note[i] = "; ".join(filter(None, [extra, note[i]]))
            if declared.status == "invalid":
                status[i], note[i] = "invalid", extra or note[i]
            continue
        here = points.code[i]
        names_a_commune = declared.code is not None or declared.candidates
        if here and (not names_a_commune or here == declared.code or here in declared.candidates):
            status[i], code[i], method[i], score[i] = "matched", here, "coordinates", 100.0
            note[i] = extra
        elif here and declared.code:
            distance = index.polygons[declared.code].distance(shapely.Point(points.x[i], points.y[i]))
            if distance <= tolerance_m:
                status[i], code[i], method[i], score[i] = "matched", here, "coordinates", 100.0
                note[i] = "; ".join(
                    filter(
                        None,
                        [
                            extra,
                            f"point dans {index.label(here)}, à "
                            f"{fr_number(distance)} m de {index.label(declared.code)} indiquée",
                        ],
                    )
                )
            else:
                status[i], code[i] = "ambiguous", ""
                note[i] = "; ".join(
                    filter(
                        None,
                        [
                            extra,
                            f"les coordonnées sont dans {index.label(here)} mais la "
                            f"ligne indique {index.label(declared.code)}, à "
                            f"{fr_number(distance / 1000, 1)} km",
                        ],
                    )
                )
        elif here:  # the row names a place that is ambiguous, unmatched or elsewhere
            status[i], code[i], method[i], score[i] = "ambiguous", "", "", np.nan
            note[i] = "; ".join(
                filter(
                    None,
                    [extra, f"les coordonnées sont dans {index.label(here)}, en contradiction avec : {declared.note}"],
                )
            )
        elif declared.code is not None:
            status[i], code[i] = "ambiguous", ""
            note[i] = "; ".join(
                filter(
                    None,
                    [
                        extra,
                        f"les coordonnées sont {index.zone['hors']} mais la ligne indique {index.label(declared.code)}",
                    ],
                )
            )
        else:
            status[i], code[i], method[i] = "outside_region", "", "coordinates"
            note[i] = "; ".join(filter(None, [extra, f"point {index.zone['hors']}"]))
            continue
        if status[i] == "matched":
            x[i], y[i] = points.x[i], points.y[i]
            precision[i] = "coordonnées"


def _apply_ban(
    index: _Index, frame: pd.DataFrame, cols: dict[str, str], out: _Outcome, *, url: str | None, cache, min_score: float
) -> None:
    """Refine or rescue rows with an address through the BAN; every decision is written in the note."""
    status, code, method, score, note = out.status, out.code, out.method, out.score, out.note
    precision, x, y = out.precision, out.x, out.y

    address = _text(frame, cols["adresse"])
    todo = (address != "").to_numpy() & ~np.isfinite(x) & np.isin(status, ("matched", "fuzzy", "unmatched"))
    if not todo.any():
        return
    postcodes = _text(frame, cols.get("code_postal")).map(normalise.postal_code)
    answers = ban_geocode(address[todo], postcodes=postcodes[todo], url=url or BAN_URL, cache_dir=cache)
    bx, by = pyproj.Transformer.from_crs(4326, 2154, always_xy=True).transform(
        answers["ban_longitude"].to_numpy(float), answers["ban_latitude"].to_numpy(float)
    )
    for j, i in enumerate(np.flatnonzero(todo)):
        ban_score, citycode = answers["ban_score"].iloc[j], str(answers["ban_citycode"].iloc[j] or "")
        label = answers["ban_label"].iloc[j]
        if not np.isfinite(ban_score) or ban_score < min_score or not np.isfinite(bx[j]):
            extra = (
                f"adresse non retenue par la BAN (score {fr_number(ban_score, 2) if np.isfinite(ban_score) else 'nul'})"
            )
        else:
            found = index.code_to_current.get(normalise.insee_code(citycode))
            where = index.label(found) if found else f"la commune {citycode}"
            if status[i] in ACCEPTED and found == code[i]:
                x[i], y[i] = bx[j], by[j]
                precision[i], method[i] = "adresse (BAN)", f"{method[i]}+ban_address"
                extra = f"adresse localisée par la BAN : {label} (score {fr_number(ban_score, 2)})"
            elif status[i] in ACCEPTED:
                extra = (
                    f"à vérifier : la BAN place l'adresse dans {where} (score {fr_number(ban_score, 2)}), "
                    f"pas dans {index.label(code[i])}"
                )
            elif found:
                status[i], code[i], method[i], score[i] = "fuzzy", found, "ban_address", round(100 * ban_score, 1)
                x[i], y[i], precision[i] = bx[j], by[j], "adresse (BAN)"
                extra = f"trouvée par la BAN : {label} (score {fr_number(ban_score, 2)})"
            else:
                status[i] = "outside_region"
                extra = f"la BAN place l'adresse {index.zone['hors']} : {label} ({citycode})"
        note[i] = "; ".join(filter(None, [note[i], extra]))


def location_columns(frame: pd.DataFrame, columns: dict[str, str] | None = None) -> dict[str, str]:
    """Role -> column of ``frame``; an :class:`InputFileError` if no column can locate a row."""
    cols = detect_columns(frame, columns)
    has_geometry = isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns
    if not has_geometry and not set(cols) & (set(ROLE_NAMES) - {"id"}):
        raise InputFileError(
            f"no location column recognised among {list(frame.columns)[:12]}; name them (code_insee, commune, "
            "code_postal, adresse, latitude/longitude, x/y...) or map them with --column ROLE=COLUMN "
            "(columns={...}); if every name is in one column, the delimiter is wrong (--sep)"
        )
    return cols


def find_repeated_ids(ids: pd.Series, *, first_row: int = 1) -> dict[str, list[int]]:
    """Identifiers found on several rows and their row numbers (empty values ignored)."""
    values = _stripped(ids).reset_index(drop=True)
    repeated = values[(values != "") & values.duplicated(keep=False)]
    return {
        value: [int(i) + first_row for i in rows]
        for value, rows in repeated.groupby(repeated, sort=False).groups.items()
    }


def duplicate_table(repeated: Mapping[str, Sequence[int]]) -> pd.DataFrame:
    """Repeated identifiers as a table: ``id``, ``rows`` (how many), ``input_rows`` (``;``-separated)."""
    return pd.DataFrame(
        {
            "id": pd.Series(list(repeated), dtype=object),
            "rows": pd.Series([len(r) for r in repeated.values()], dtype=int),
            "input_rows": pd.Series([";".join(map(str, r)) for r in repeated.values()], dtype=object),
        }
    )


def _duplicate_ids(
    frame: pd.DataFrame,
    id_column: str | None,
    note: np.ndarray,
    first_row: int,
    known: Mapping[str, Sequence[int]] | None,
) -> pd.DataFrame:
    if id_column is None:
        return duplicate_table({})
    ids = _text(frame, id_column)
    if known is None:
        known = find_repeated_ids(ids, first_row=first_row)
    found = {value: known[value] for value in dict.fromkeys(ids) if value in known}
    texts = {
        value: f"identifiant {value} en double (lignes {', '.join(map(str, numbers))})"
        for value, numbers in found.items()
    }
    values = ids.to_numpy()
    for position in np.flatnonzero(ids.isin(texts).to_numpy()):
        note[position] = "; ".join(filter(None, [note[position], texts[values[position]]]))
    return duplicate_table(found)


def _assemble(
    frame: pd.DataFrame,
    data: pd.DataFrame,
    index: _Index,
    territory_of: pd.Series,
    cols: dict[str, str],
    out: _Outcome,
    geometry: np.ndarray,
    duplicates: pd.DataFrame,
    notes: list[str],
    *,
    strict: bool,
    first_row: int,
) -> GeocodeResult:
    status, code, method, score, note, precision = out.status, out.code, out.method, out.score, out.note, out.precision
    n = len(frame)
    geometry_name = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    table = pd.DataFrame(frame.drop(columns=geometry_name) if geometry_name else frame)
    if geometry_name:
        table[f"{geometry_name}_wkt"] = shapely.to_wkt(frame.geometry.to_numpy(), rounding_precision=-1)
    input_row = np.arange(first_row, first_row + n)

    accepted_mask = np.isin(status, ACCEPTED)
    kept = table[accepted_mask].rename(
        columns={c: f"{c}_source" for c in table.columns if c in RESULT_COLUMNS or c in ("input_row", "geometry")}
    )
    codes = pd.Index(code[accepted_mask])
    info = index.info.reindex(codes)
    accepted = gpd.GeoDataFrame(
        kept.assign(
            input_row=input_row[accepted_mask],
            code_insee=codes.to_numpy(),
            commune=info["nom"].to_numpy(),
            territoire=territory_of.reindex(codes).to_numpy(),
            epci=info["epci_nom"].to_numpy(),
            epci_siren=info["epci_siren"].to_numpy(),
            departement=info["departement"].to_numpy(),
            geocode_method=method[accepted_mask],
            geocode_score=score[accepted_mask],
            geocode_status=status[accepted_mask],
            geocode_note=note[accepted_mask],
            geocode_precision=precision[accepted_mask],
        ),
        geometry=geometry[accepted_mask],
        crs="EPSG:2154",
    )
    accepted.index = data.index[accepted_mask]
    rejected = table[~accepted_mask].assign(
        input_row=input_row[~accepted_mask],
        geocode_status=status[~accepted_mask],
        geocode_note=note[~accepted_mask],
    )
    rejected.index = data.index[~accepted_mask]
    result = GeocodeResult(
        accepted=accepted, rejected=rejected, n_input=n, columns=cols, duplicate_ids=duplicates, notes=notes
    )
    if len(accepted) + len(rejected) != n:  # pragma: no cover - the invariant the whole module keeps
        raise AssertionError("row accounting broken")
    logger.info("geocoded %d rows: %d accepted, %d rejected", n, len(accepted), len(rejected))
    return _enforce(result, strict)


def _enforce(result: GeocodeResult, strict: bool) -> GeocodeResult:
    if strict and len(result.rejected):
        counts = result.rejected["geocode_status"].value_counts()
        raise GeocodeError(
            f"{len(result.rejected)} of {result.n_input} rows rejected "
            f"({', '.join(f'{s}: {c}' for s, c in counts.items())}); "
            "see the rejects table, fix the rows, or run without strict mode",
            result,
        )
    return result


def geocode_file(
    path: str | Path,
    *,
    sep: str | None = None,
    encoding: str | None = None,
    decimal: str | None = None,
    layer: str | None = None,
    sheet: str | int | None = None,
    **options,
) -> GeocodeResult:
    """Read a file with :func:`territorial.io.read_input` and :func:`geocode` it.

    Keyword options other than the reader's go to :func:`geocode`.
    """
    strict = options.pop("strict", False)
    frame = read_input(path, sep=sep, encoding=encoding, decimal=decimal, layer=layer, sheet=sheet)
    try:
        result = geocode(frame, decimal=decimal, **options)
    except InputFileError as exc:  # say which file
        raise InputFileError(f"{path}: {exc}") from exc
    result.notes.insert(0, f"fichier {Path(path).name} : {frame.attrs.get('read_note', '')}".rstrip(" :"))
    return _enforce(result, strict)
