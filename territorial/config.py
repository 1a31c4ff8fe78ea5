"""Validated configuration: the scenario file and the programme data, as pydantic models.

Every key is declared; an unknown key, a missing one or a value of the wrong type is
reported with where it is and how to fix it, all problems of a file at once
(:func:`validate`). The models only check shapes; turning a scenario into paths and
defaults is :func:`territorial.scenario.load_scenario`'s work.
"""

from __future__ import annotations

import difflib
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_args

import pyproj
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from territorial._errors import ArgumentError, InputFileError

__all__ = ["CommandOptions", "InputLayer", "ProgrammeFile", "ScenarioFile", "check_options", "validate"]

M = TypeVar("M", bound=BaseModel)
#: A TOML number (an integer or a finite float; not a boolean, not a string, not nan or inf).
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Text = Annotated[str, Field(strict=True)]
#: A whole number of things, 0 or more.
Count = Annotated[int, Field(strict=True, ge=0)]
Flag = Annotated[bool, Field(strict=True)]


class _Section(BaseModel):
    """A TOML table: every key declared, none other accepted."""

    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- scenario


class InputLayer(_Section):
    """One input file and how to read it: an ``[[inputs]]`` entry of a scenario, or a file of a command."""

    path: Path
    kind: Text | None = None
    kind_column: Text | None = None
    columns: dict[str, Text] = Field(default_factory=dict)
    crs: Text | Annotated[int, Field(strict=True)] | None = None
    sep: Text | None = None
    encoding: Text | None = None
    layer: Text | None = None
    sheet: Text | None = None
    online: Flag = False


class MapSection(_Section):
    """``[map]``: the indicators of the choropleths and their classes."""

    indicator: Text | None = None
    territory_indicator: Text | None = None
    classification: Text = "quantiles"


def _plain_name(value: str | None) -> str | None:
    if value is not None and (Path(value).name != value or value in ("", ".", "..")):
        raise ValueError(
            f"{value!r} must be a plain file name (it is written in the output folder); set the folder with `dir`"
        )
    return value


class OutputsSection(_Section):
    """``[outputs]``: the output folder and the names of the files written in it."""

    dir: Text = "maps"
    self_contained: Flag = True
    map: Text = "carte.html"
    report: Text = "rapport.html"
    gpkg: Text = "couverture.gpkg"

    _names = field_validator("map", "report", "gpkg")(_plain_name)

    @field_validator("dir")
    @classmethod
    def _stays_below(cls, value: str) -> str:
        if value.startswith("~"):
            raise ValueError(f"{value!r}: `~` is not expanded here; write the folder's full path or a relative one")
        if Path(value).is_absolute() and len(Path(value).parts) < 3:
            raise ValueError(f"{value!r} is a system folder; choose a folder of your own (e.g. /home/me/cartes)")
        if ".." in Path(value).parts:
            raise ValueError(
                f"{value!r} climbs out with '..'; give a folder below the current one, an absolute path, "
                "or -o DIR on the command line"
            )
        return value


#: A year of the time features (``[time]``, ``[siting] year``, ``--year``).
Year = Annotated[int, Field(ge=1990, le=2100)]


class TimeSection(_Section):
    """``[time]``: the facilities open each year, with that year's coverage and equity (``evolution.csv``)."""

    undated: Literal["count", "exclude"] = "count"
    first_year: Year = 2000
    last_year: Year = 2006

    @model_validator(mode="after")
    def _ordered(self) -> TimeSection:
        if self.last_year < self.first_year:
            raise ValueError(f"last_year ({self.last_year}) is before first_year ({self.first_year}): swap them")
        return self


class SitingSection(_Section):
    """``[siting]``: where the next sites of one kind would cover the most people."""

    kind: Text = "cyber_centre"
    k: Count | None = None
    toward_target: Flag = False
    radius_km: Annotated[Number, Field(gt=0)] | None = None
    weights: dict[str, Number] | None = None
    min_per_territory: Count | dict[str, Count] | None = None
    solver: Literal["auto", "exact", "heuristic"] = "auto"
    year: Year | None = None

    @model_validator(mode="after")
    def _how_many(self) -> SitingSection:
        if self.k is None and not self.toward_target:
            raise ValueError("needs `k` (number of new sites) or `toward_target = true`")
        return self


class ScenarioFile(_Section):
    """A scenario file as written (see :mod:`territorial.scenario` for the form)."""

    title: Text = "Société de l'information — couverture du Nord-Pas de Calais"
    example_data: Flag = False
    scheme: Text = "cper2000"
    detour: Annotated[Number, Field(ge=1)] = 1.0
    inputs: list[InputLayer] = Field(min_length=1)
    radii_km: dict[str, Annotated[Number, Field(gt=0)]] = Field(default_factory=dict)
    targets: dict[str, Annotated[Number, Field(ge=0)]] = Field(default_factory=dict)
    priority: dict[str, Annotated[Number, Field(gt=0)]] = Field(default_factory=dict)
    map: MapSection = Field(default_factory=MapSection)
    outputs: OutputsSection = Field(default_factory=OutputsSection)
    projects: Text | None = None
    siting: SitingSection | None = None
    time: TimeSection | None = None


# --------------------------------------------------------------------------- command-line options

Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class CommandOptions(_Section):
    """The numbers given on the command line, by option name; checked like the scenario's."""

    model_config = ConfigDict(extra="forbid", populate_by_name=False)

    radii: dict[str, Positive] = Field(default_factory=dict, alias="--radius")
    targets: dict[str, NonNegative] = Field(default_factory=dict, alias="--target")
    priority: dict[str, Positive] = Field(default_factory=dict, alias="--priority")
    weights: dict[str, Positive] = Field(default_factory=dict, alias="--weights")
    radius: Positive | None = Field(default=None, alias="--radius-km")
    detour: Annotated[float, Field(ge=1, allow_inf_nan=False)] = Field(default=1.0, alias="--detour")
    share: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] | None = Field(default=None, alias="--share")
    k: Annotated[int, Field(ge=1)] | None = Field(default=None, alias="--k")
    minimum: Annotated[int, Field(ge=0)] | None = Field(default=None, alias="--min-per-territory")
    synthetic: Annotated[int, Field(ge=1)] | None = Field(default=None, alias="--synthetic")
    partition_rows: Annotated[int, Field(ge=1)] | None = Field(default=None, alias="--partition-rows")
    sep: Annotated[str, Field(min_length=1, max_length=1)] | None = Field(default=None, alias="--sep")
    crs: str | None = Field(default=None, alias="--crs")
    year: Year | None = Field(default=None, alias="--year")

    @field_validator("crs")
    @classmethod
    def _known_crs(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                pyproj.CRS.from_user_input(value)
            except pyproj.exceptions.CRSError:
                raise ValueError("PROJ does not know this CRS; give an EPSG code such as EPSG:2154") from None
        return value


def check_options(**options: object) -> None:
    """Check command-line numbers given by option name (``check_options(**{"--radius": {...}})``).

    Raises
    ------
    ArgumentError
        Naming each option whose value is out of range, not finite or not a number.
    """
    try:
        CommandOptions.model_validate({k: v for k, v in options.items() if v is not None})
    except ValidationError as exc:
        problems = _problems(CommandOptions, exc.errors())
        raise ArgumentError("; ".join(p.replace("--radius-km", "--radius") for p in problems)) from None


# --------------------------------------------------------------------------- programme


class Amount(_Section):
    """One partner's amount as the text writes it: millions of francs and, where given, of euros."""

    partenaire: Text
    mf: Number | None = None
    meur: Number | None = None
    ou: Text = ""
    libelle: Text | None = None
    #: The action lines this amount is tied to, where the text names them (« moyen d'action 49-1 »).
    moyens: list[Text] = Field(default_factory=list)
    #: The text that lets the amount go beyond its envelope (« et au-delà au cas par cas »).
    au_dela: Text | None = None
    #: The sentence of the plan, word for word, where a check quotes it.
    citation: Text | None = None

    @model_validator(mode="after")
    def _some_amount(self) -> Amount:
        if self.mf is None and self.meur is None:
            raise ValueError("gives no amount: write `mf` (millions of francs), `meur` (millions of euros) or both")
        return self


class Rates(_Section):
    """Intervention rates of an objective or action, in % of eligible costs."""

    min: Number | None = None
    max: Number | None = None
    max_cumule: Number | None = None
    cumul: list[Text] = Field(default_factory=list)
    partenaire_taux: dict[str, Number] = Field(default_factory=dict)
    note: Text = ""
    citation: Text | None = None
    citation_partenaire: Text | None = None
    ou: Text = ""


class IndicativeSplit(_Section):
    """Partners whose split between an objective's action lines is only indicative, as the plan says."""

    partenaires: list[Text] = Field(min_length=1)
    citation: Text
    ou: Text


class Action(_Section):
    """A means of action (``43.1``...) of an objective; an objective has the same fields and more."""

    code: Text
    titre: Text
    territorial: Text | None = None
    taux: Rates | None = None
    tableau: list[Amount] = Field(default_factory=list)
    texte: list[Amount] = Field(default_factory=list)
    dont: list[Amount] = Field(default_factory=list)
    beneficiaires: list[Text] = Field(default_factory=list)
    types_beneficiaires: list[Text] = Field(default_factory=list)
    criteres_selection: list[Text] = Field(default_factory=list)
    instruction: Text | None = None
    conditions: Text | None = None


class Objective(Action):
    """An objective (``43``...) of the priority: an action's fields, plus beneficiaries, indicators, actions."""

    effectif_max: Number | None = None
    repartition_indicative: IndicativeSplit | None = None
    suivi: Text | None = None
    indicateurs_resultat: list[Text] = Field(default_factory=list)
    indicateurs_complementaires: list[Text] = Field(default_factory=list)
    indicateurs_realisation: list[Text] = Field(default_factory=list)
    indicateurs_developpement_durable: list[Text] = Field(default_factory=list)
    indicateurs_contexte: list[Text] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)


class Target(_Section):
    """A quantified target of the plan (200 cyber-centres by the end of 2002...)."""

    code: Text
    libelle: Text
    valeur: Number
    objectif: Text
    ou: Text
    echeance: Text | None = None
    date_echeance: date | None = None
    kind: Text | None = None
    situation_initiale: Text | None = None


class System(_Section):
    """A system of the priority (cyber-centres, villes numériques...): a kind of place its action lines fund."""

    kind: Text
    libelle: Text
    un: Text
    moyens: list[Text] = Field(min_length=1)
    indicateur: Text
    ou: Text
    cible: Text | None = None
    compte: Literal["lieux", "communes", "projets"] = "lieux"


class Period(_Section):
    """The contract's period."""

    debut: date
    fin: date
    ou: Text


class ProgrammeFile(_Section):
    """The programme of a priority as data (``territorial/data/priorite10.toml``)."""

    priorite: Text
    titre: Text
    axe: Text
    francs_par_euro: Number
    partenaires: list[Text] = Field(min_length=1)
    feder: Text = ""
    comite_de_suivi: Text = ""
    periode: Period
    cibles: list[Target] = Field(default_factory=list)
    systemes: list[System] = Field(default_factory=list)
    objectifs: list[Objective] = Field(min_length=1)


# --------------------------------------------------------------------------- errors


#: How an entry of a TOML array of tables is named in messages (``input 2``, ``action 1``).
_ENTRY = {"inputs": "input", "objectifs": "objectif", "actions": "action", "cibles": "cible", "systemes": "systeme"}
#: Top-level tables of the scenario, named ``[map]`` in messages.
_TABLES = {"map", "outputs", "siting", "radii_km", "targets", "priority", "time"}


def _where(loc: tuple[Any, ...]) -> str:
    """A TOML-like place: ``input 1``, ``[siting]``, ``[radii_km] cyber_centre``, ``objectif 2 → action 1 → code``."""
    if not loc:
        return "the file"
    parts: list[str] = []
    for position, part in enumerate(loc):
        if isinstance(part, int):
            parts[-1] = f"{_ENTRY.get(str(loc[position - 1]), loc[position - 1])} {part + 1}"
        elif (
            position == 0
            and not str(part).startswith("--")
            and (part in _TABLES or (len(loc) > 1 and not isinstance(loc[1], int)))
        ):
            parts.append(f"[{part}]")
        else:
            parts.append(str(part))
    return " → ".join(parts)


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The section model that holds the last key of ``loc`` (None when it is not a section)."""
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        inner = _section_in(field.annotation)
        if inner is None:
            return None
        model = inner
    return model


def _section_in(annotation: Any) -> type[BaseModel] | None:
    """The section model inside a field's type (``list[X]``, ``X | None``...), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next((found for arg in get_args(annotation) if (found := _section_in(arg)) is not None), None)


def _unknown_key(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    key, where = str(loc[-1]), _where(loc[:-1])
    section = _model_at(model, loc[:-1])
    allowed = sorted(section.model_fields) if section is not None else []
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"did you mean `{close[0]}`? " if close else ""
    return f"unknown key(s) {[key]} in {where}: {hint}allowed: {allowed}"


#: The fix said after each kind of wrong value.
_FIXES = {
    "float_type": "values must be numbers; write a number (e.g. 5 or 1.5)",
    "float_parsing": "values must be numbers; write a number (e.g. 5 or 1.5)",
    "int_type": "write a whole number (e.g. 3), without quotes or decimals",
    "int_parsing": "write a whole number (e.g. 3), without quotes or decimals",
    "int_from_float": "write a whole number (e.g. 3), without decimals",
    "bool_type": "write true or false, without quotes",
    "string_type": "write it as text, in quotes",
    "dict_type": "write it as a table of KEY = value",
    "list_type": "write it as a list; each input is an [[inputs]] table with a `path`",
}


#: Tags pydantic adds to a location inside a union (``int``, ``constrained-int``, ``dict[str,...]``).
_UNION_TAG = re.compile(r"^(?:constrained-|function-|lax-|strict-)|[\[(]|^(?:int|str|float|bool|dict|list|none)$")


def _fix(error: ErrorDetails) -> str:
    return _FIXES.get(error["type"]) or str(error["msg"]).removeprefix("Value error, ")


def _problems(model: type[BaseModel], errors: list[ErrorDetails]) -> list[str]:
    """One sentence per place: where, the value, and how to fix it (each form it may take, for a union)."""
    places: dict[tuple[Any, ...], list[ErrorDetails]] = {}
    for error in errors:
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and _UNION_TAG.search(p)))
        places.setdefault(loc, []).append(error)
    sentences = []
    for loc, found in places.items():
        kind = found[0]["type"]
        if kind == "extra_forbidden":
            sentences.append(_unknown_key(model, loc))
        elif kind == "missing":
            sentences.append(f"{_where(loc[:-1])} has no `{loc[-1]}`: add it")
        elif kind == "too_short":
            sentences.append(f"{_where(loc)} is empty: add at least one entry")
        else:
            value = found[0].get("input")
            shown = f" = {value!r}" if not isinstance(value, dict | list) else ""
            sentences.append(f"{_where(loc)}{shown}: " + " — or ".join(dict.fromkeys(_fix(e) for e in found)))
    return sentences


def validate(model: type[M], data: dict, *, source: str | Path) -> M:
    """``data`` checked against ``model``; every problem named with where and how to fix it.

    Raises
    ------
    InputFileError
        Listing each problem (unknown key, missing key, wrong type or value) of ``source``.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputFileError(f"{source}: " + "; ".join(_problems(model, exc.errors()))) from None
