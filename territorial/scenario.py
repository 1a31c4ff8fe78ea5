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

from territorial._errors import InputFileError
from territorial.analysis import normalise_kind

logger = logging.getLogger(__name__)

__all__ = ["InputLayer", "Scenario", "assign_kind", "default_scenario", "load_scenario"]

_TOP_KEYS = {
    "title",
    "example_data",
    "scheme",
    "detour",
    "inputs",
    "radii_km",
    "targets",
    "priority",
    "map",
    "outputs",
    "projects",
    "siting",
}
_SITING_KEYS = {"kind", "k", "toward_target", "radius_km", "weights", "min_per_territory", "solver"}
_INPUT_KEYS = {"path", "kind", "kind_column", "columns", "crs", "sep", "encoding", "layer", "sheet", "online"}
_MAP_KEYS = {"indicator", "territory_indicator", "classification"}
_OUTPUT_KEYS = {"dir", "self_contained", "map", "report", "gpkg"}


@dataclass
class InputLayer:
    """One input file of a scenario."""

    path: Path
    kind: str | None = None
    kind_column: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    crs: str | None = None
    sep: str | None = None
    encoding: str | None = None
    layer: str | None = None
    sheet: str | None = None
    online: bool = False


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
    source: Path | None = None


def _unknown(keys, allowed: set[str], where: str, path: Path) -> None:
    extra = sorted(set(keys) - allowed)
    if extra:
        raise InputFileError(f"{path}: unknown key(s) {extra} in {where}; allowed: {sorted(allowed)}")


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file; relative paths are taken from the file's folder."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such scenario file; check the path")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path} is not valid TOML: {exc}") from exc
    _unknown(data, _TOP_KEYS, "the scenario", path)
    base = path.resolve().parent
    raw_inputs = data.get("inputs")
    if not raw_inputs or not isinstance(raw_inputs, list):
        raise InputFileError(f"{path}: the scenario lists no [[inputs]]; add at least one with a `path`")
    inputs = []
    for number, item in enumerate(raw_inputs, start=1):
        _unknown(item, _INPUT_KEYS, f"input {number}", path)
        if "path" not in item:
            raise InputFileError(f"{path}: input {number} has no `path`")
        inputs.append(InputLayer(**{**item, "path": (base / item["path"]).resolve()}))
    section_map, outputs = data.get("map", {}), data.get("outputs", {})
    _unknown(section_map, _MAP_KEYS, "[map]", path)
    _unknown(outputs, _OUTPUT_KEYS, "[outputs]", path)
    scheme = data.get("scheme", "cper2000")
    if isinstance(scheme, str) and scheme.lower() != "cper2000":
        scheme = (base / scheme).resolve()
    numbers = {}
    for section in ("radii_km", "targets", "priority"):
        values = data.get(section, {})
        bad = {k: v for k, v in values.items() if not isinstance(v, (int, float)) or isinstance(v, bool)}
        if bad:
            raise InputFileError(f"{path}: [{section}] values must be numbers, got {bad}")
        numbers[section] = {normalise_kind(k) if section != "priority" else k: float(v) for k, v in values.items()}
    for key in ("map", "report", "gpkg"):
        name = outputs.get(key)
        if name is not None and (Path(name).name != name or name in ("", ".", "..")):
            raise InputFileError(
                f"{path}: [outputs] {key} = {name!r} must be a plain file name (it is written in "
                "the output folder); set the folder with `dir`"
            )
    if ".." in Path(outputs.get("dir", "maps")).parts:
        raise InputFileError(
            f"{path}: [outputs] dir = {outputs['dir']!r} climbs out with '..'; give a folder below "
            "the current one, an absolute path, or -o DIR on the command line"
        )
    return Scenario(
        inputs=inputs,
        title=str(data.get("title", Scenario.title)),
        example_data=bool(data.get("example_data", False)),
        scheme=scheme,
        detour=float(data.get("detour", 1.0)),
        **numbers,
        indicator=section_map.get("indicator"),
        territory_indicator=section_map.get("territory_indicator"),
        classification=section_map.get("classification", "quantiles"),
        output_dir=Path(outputs.get("dir", "maps")),
        self_contained=bool(outputs.get("self_contained", True)),
        map_name=outputs.get("map", "carte.html"),
        report_name=outputs.get("report", "rapport.html"),
        gpkg_name=outputs.get("gpkg", "couverture.gpkg"),
        projects=(base / data["projects"]).resolve() if data.get("projects") else None,
        siting=_siting_section(data.get("siting"), path),
        source=path.resolve(),
    )


def _siting_section(section: dict | None, path: Path) -> dict | None:
    if section is None:
        return None
    _unknown(section, _SITING_KEYS, "[siting]", path)
    if "k" not in section and not section.get("toward_target"):
        raise InputFileError(f"{path}: [siting] needs `k` (number of new sites) or `toward_target = true`")
    return {"kind": normalise_kind(section.get("kind", "cyber_centre")), **section}


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
    ``projet…`` -> project).

    Raises
    ------
    InputFileError
        When the kind cannot be told, or rows have none.
    """
    name = Path(path).name if path is not None else "the input"
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
    guessed = next((k for marker, k in _FILE_KINDS if marker in stem), None)
    if guessed is None:
        raise InputFileError(
            f"cannot tell the kind of the facilities in {name}: give it (--kind cyber_centre, or "
            "`kind` in the scenario) or name the column that holds it (--kind-column)"
        )
    logger.info("%s: kind %s taken from the file name", name, guessed)
    return frame.assign(kind=guessed)
