"""Scenarios: one TOML file that says what to geocode, analyse, map and report — and running it.

A scenario looks like this (paths are relative to the scenario file)::
    title = "Couverture des cyber-centres"
    example_data = false
    scheme = "cper2000"            # or a file: table INSEE code -> territory, or polygons
    detour = 1.0

    [[inputs]]
    path = "cyber_centres.csv"
    kind = "cyber_centre"          # or kind_column = "type"
    columns = { commune = "Ville" }  # optional role -> column overrides
    # crs, sep, encoding, layer, sheet: optional reader settings

    [radii_km]
    cyber_centre = 5

    [targets]
    cyber_centre = 200

    [priority]
    "Bassin Minier" = 1.5

    [map]
    indicator = "dist_cyber_centre_km"
    territory_indicator = "part_pop_couverte_cyber_centre"
    classification = "quantiles"

    [outputs]
    dir = "maps"
    self_contained = true

    [time]                           # optional: evolution.csv, the facilities open each year,
    undated = "count"                # the map's year slider; undated facilities counted every
    first_year = 2000                # year, or "exclude"
    last_year = 2006

    [siting]                         # optional: where the next sites would cover the most people
    kind = "cyber_centre"
    k = 20                           # or toward_target = true
    radius_km = 5
    year = 2002                      # optional: start from the facilities open on 31/12/2002

    projects = "projets.csv"         # optional: funded projects checked against the plan

:func:`run_scenario` geocodes every input (rejects kept), analyses, and writes the map,
the report, the PNG figures and the tables.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd

from territorial._errors import ArgumentError, InputFileError
from territorial.analysis import normalise_kind
from territorial.config import InputLayer, ScenarioFile, validate
from territorial.kinds import KIND_SYNONYMS

logger = logging.getLogger(__name__)

__all__ = ["InputLayer", "Scenario", "assign_kind", "default_scenario", "load_scenario"]


@dataclass
class Scenario:
    """Everything a run needs; see the module docstring for the TOML form."""

    inputs: list[InputLayer]
    title: str = "Société de l'information — couverture du Nord-Pas de Calais"
    example_data: bool = False
    scheme: str | Path = "cper2000"
    detour: float = 1.0
    radii_km: dict[str, float] = field(default_factory=dict)
    targets: dict[str, float] = field(default_factory=dict)
    priority: dict[str, float] = field(default_factory=dict)
    indicator: str | None = None
    territory_indicator: str | None = None
    classification: str = "quantiles"
    output_dir: Path = Path("maps")
    self_contained: bool = True
    map_name: str = "carte.html"
    report_name: str = "rapport.html"
    gpkg_name: str = "couverture.gpkg"
    projects: Path | None = None
    siting: dict | None = None
    #: ``[time]``: ``undated``, ``first_year``, ``last_year`` (evolution.csv), or None.
    time: dict | None = None
    source: Path | None = None


def _read_toml(path: Path) -> dict:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such scenario file; check the path")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path} is not valid TOML: {exc}") from exc


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file; relative paths are taken from the file's folder.

    Raises
    ------
    FileNotFoundError
        No such file.
    InputFileError
        Not TOML, or not a scenario: every unknown key, missing key and bad value is named
        (:class:`territorial.config.ScenarioFile`).
    """
    path = Path(path)
    data = _read_toml(path)
    if not data.get("inputs"):
        raise InputFileError(f"{path}: the scenario lists no [[inputs]]; add at least one with a `path`")
    plan = validate(ScenarioFile, data, source=path)
    base = path.resolve().parent
    scheme: str | Path = plan.scheme if plan.scheme.lower() == "cper2000" else (base / plan.scheme).resolve()
    siting = None
    if plan.siting is not None:
        siting = plan.siting.model_dump(exclude_unset=True) | {"kind": normalise_kind(plan.siting.kind)}
    return Scenario(
        inputs=[item.model_copy(update={"path": (base / item.path).resolve()}) for item in plan.inputs],
        title=plan.title,
        example_data=plan.example_data,
        scheme=scheme,
        detour=plan.detour,
        radii_km={normalise_kind(k): v for k, v in plan.radii_km.items()},
        targets={normalise_kind(k): v for k, v in plan.targets.items()},
        priority=dict(plan.priority),
        indicator=plan.map.indicator,
        territory_indicator=plan.map.territory_indicator,
        classification=plan.map.classification,
        output_dir=Path(plan.outputs.dir),
        self_contained=plan.outputs.self_contained,
        map_name=plan.outputs.map,
        report_name=plan.outputs.report,
        gpkg_name=plan.outputs.gpkg,
        projects=(base / plan.projects).resolve() if plan.projects else None,
        siting=siting,
        time=plan.time.model_dump() if plan.time is not None else None,
        source=path.resolve(),
    )


def default_scenario() -> Scenario:
    """The embedded scenario on the example data (« données d'exemple »)."""
    from importlib import resources

    return load_scenario(Path(str(resources.files("territorial.examples").joinpath("scenario.toml"))))


_FILE_KINDS = (
    ("cyber", "cyber_centre"),
    ("mediation", "cyber_centre"),
    ("haut_debit", "broadband_access_point"),
    ("acces", "broadband_access_point"),
    ("broadband", "broadband_access_point"),
    ("projet", "project"),
    ("project", "project"),
)


def assign_kind(
    frame: gpd.GeoDataFrame, *, kind: str | None = None, kind_column: str | None = None, path: str | Path | None = None
) -> gpd.GeoDataFrame:
    """A copy of ``frame`` with a normalised ``kind`` column.

    The kind is ``kind`` if given; else the values of ``kind_column`` (default: a
    ``kind`` or ``type`` column when present); else guessed from the file name
    (``cyber…`` -> cyber_centre, ``…acces…``/``…haut_debit…`` -> broadband_access_point,
    ``projet…`` -> project, or any name of a system of priority 10: ``lycees_connectes`` ->
    etablissement_scolaire, ``villes_numeriques`` -> ville_numerique).

    Raises
    ------
    InputFileError
        When the kind cannot be told, or rows have none.
    """
    name = Path(path).name if path is not None else "the input"
    if kind and kind_column:
        raise ArgumentError(
            f"{name}: give the kind (--kind, `kind`) or the column holding it (--kind-column, `kind_column`), not both"
        )
    if kind:
        return frame.assign(kind=normalise_kind(kind))
    column = kind_column or next((c for c in ("kind", "type") if c in frame.columns), None)
    if column is not None:
        if column not in frame.columns:
            raise InputFileError(f"{name} has no column {column!r} for the kind; its columns are {list(frame.columns)}")
        blank = frame[column].isna() | (frame[column].astype(str).str.strip() == "")
        if blank.any():
            rows = ", ".join(map(str, frame.loc[blank, "input_row"].head(10))) if "input_row" in frame else ""
            raise InputFileError(
                f"{name}: rows {rows} have no kind in column {column!r}; fill them or give the "
                "kind of the whole file (--kind)"
            )
        return frame.assign(kind=frame[column].map(normalise_kind))
    stem = normalise_kind(Path(path).stem) if path is not None else ""
    guessed = next((k for marker, k in _FILE_KINDS if marker in stem), None) or next(
        (k for k, names in KIND_SYNONYMS.items() for n in names if len(n) >= 5 and n in stem), None
    )
    if guessed is None:
        raise InputFileError(
            f"cannot tell the kind of the facilities in {name}: give it (--kind cyber_centre, or "
            "`kind` in the scenario) or name the column that holds it (--kind-column)"
        )
    logger.info("%s: kind %s taken from the file name", name, guessed)
    return frame.assign(kind=guessed)
