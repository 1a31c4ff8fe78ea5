"""The pipeline: the place where inputs are read, measures called and files written.

Measures (:mod:`territorial.analysis`, :mod:`territorial.programme`, :mod:`territorial.siting`...)
take frames and return results; the functions here start from files.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from territorial._assets import AssetsError
from territorial._atomic import MANIFEST, OutputFolder, placed
from territorial._errors import ArgumentError, InputFileError
from territorial._format import fr_number, html_table
from territorial._text import check_undated
from territorial.analysis import Analysis, analyse, normalise_kind
from territorial.export import (
    export_analysis,
    write_analysis_tables,
    write_points,
    write_programme_tables,
    write_table,
)
from territorial.geocode import GeocodeError, GeocodeResult, geocode_file
from territorial.io import read_scheme
from territorial.kinds import system_label, systems
from territorial.maps import coverage_map, save_map, siting_map
from territorial.programme import ProgrammeReport, programme_report
from territorial.report import write_report
from territorial.scale import (
    ENGINES,
    CsvGeocodeSummary,
    dask_client,
    geocode_csv,
    point_coverage,
    read_points,
    synthetic_points,
)
from territorial.scenario import InputLayer, Scenario, assign_kind
from territorial.schemes import DEFAULT_SCHEME, SchemeLike, resolve_scheme, territories
from territorial.siting import SitingResult, site, sites_for_share
from territorial.timeline import evolution, facility_dates, open_in

logger = logging.getLogger(__name__)

__all__ = [
    "ENGINES",
    "FilesRun",
    "GeocodeRun",
    "RunResult",
    "analyse_files",
    "export_files",
    "geocode_layers",
    "geocode_on_dask",
    "geocode_to_files",
    "map_files",
    "points_to_file",
    "programme_from_file",
    "programme_to_files",
    "rejects_path",
    "run_scenario",
    "scheme_from",
    "site_to_files",
    "territories",
]

Progress = Callable[[str], object]


def _quiet(message: str) -> None:
    """The default progress callback: says nothing."""


def scheme_from(
    path: str | Path | None = None,
    *,
    code_column: str | None = None,
    territory_column: str | None = None,
    layer: str | None = None,
) -> SchemeLike:
    """The territory scheme of a file (table or polygons), or the default ``cper2000`` without one."""
    if path is None:
        return DEFAULT_SCHEME
    return read_scheme(path, code_column=code_column, territory_column=territory_column, layer=layer)


def _not_inputs(outputs: dict[str, str | Path | None], inputs: Sequence[str | Path | None]) -> None:
    """Refuse an output path that is one of the inputs or another output (it would be replaced)."""
    read = {Path(p).resolve(): Path(p) for p in inputs if p is not None}
    seen: dict[Path, str] = {}
    for option, path in outputs.items():
        if path is None:
            continue
        target = Path(path).resolve()
        if target in read:
            raise ArgumentError(f"{option} {path} is an input of this command and would be replaced; use another name")
        if target in seen:
            raise ArgumentError(f"{option} and {seen[target]} are the same file ({path}); give them different names")
        seen[target] = option


def _ends_in(path: str | Path | None, suffix: str, *, option: str, what: str) -> None:
    """Refuse an output whose name says another format than the one written (HTML in ``.png``, CSV in ``.gpkg``)."""
    if path is not None and Path(path).suffix.lower() != suffix:
        raise ArgumentError(f"{option} {Path(path).name}: this writes {what}; end the name in {suffix}")


def rejects_path(output: str | Path) -> Path:
    """Where the rejected rows of ``output`` go by default: its stem + ``_rejets.csv``, beside it."""
    output = Path(output)
    return output.with_name(f"{output.stem}_rejets.csv")


@contextlib.contextmanager
def _staged(
    outputs: dict[str, str | Path | None],
    *,
    command: str,
    parameters: Mapping[str, object],
    inputs: Sequence[str | Path | None] = (),
    replace: bool = True,
) -> Iterator[dict[str, Path]]:
    """Where to write each output: in its folder's transaction, switched into place when the block ends.

    Each folder of outputs gets one :class:`~territorial._atomic.OutputFolder`, its set keyed by
    the command and the name of its first output there; the outputs' names are checked against
    the folder's manifest before any work, and refused when one is an input or two are the
    same file (:func:`_not_inputs`). Yields option -> path in the staging folder.
    """
    _not_inputs(outputs, inputs)
    chosen = {option: Path(path) for option, path in outputs.items() if path is not None}
    folders: dict[Path, list[str]] = {}
    for option, path in chosen.items():
        folders.setdefault(path.parent.resolve(), []).append(option)
    with contextlib.ExitStack() as stack:
        staged: dict[str, Path] = {}
        for options in folders.values():
            first = chosen[options[0]]
            staging = stack.enter_context(
                OutputFolder(
                    first.parent,
                    command=command,
                    parameters=dict(parameters),
                    inputs=[p for p in inputs if p is not None],
                    key=f"{command} {first.name}",
                    replace=replace,
                    expected=[chosen[option].name for option in options],
                )
            )
            staged |= {option: staging / chosen[option].name for option in options}
        yield staged


def _placed(paths: Sequence[Path]) -> list[Path]:
    """The final paths of staged files, then the manifest of each of their folders."""
    final = [placed(path) for path in paths]
    return final + sorted({path.parent / MANIFEST for path in final})


@dataclass
class GeocodeRun:
    """What ``territorial geocode`` produced: the result, the two files, and the error of ``strict``."""

    result: GeocodeResult
    accepted: Path
    rejected: Path
    error: GeocodeError | None = None


def geocode_to_files(
    path: str | Path,
    output: str | Path,
    *,
    rejects: str | Path | None = None,
    scheme: SchemeLike = DEFAULT_SCHEME,
    strict: bool = False,
    progress: Progress = _quiet,
    **options,
) -> GeocodeRun:
    """Geocode a file and write its accepted rows to ``output`` and its rejected rows (CSV) to ``rejects``.

    Parameters
    ----------
    path, output : path
        The input (any format :func:`territorial.geocode_file` reads); the accepted rows
        (``.csv`` with x, y in Lambert-93, ``.gpkg`` or ``.geojson``).
    rejects : path, optional
        Default: ``output``'s stem + ``_rejets.csv``.
    strict : bool
        Both files are still written; the :class:`GeocodeError` is returned in ``error``.
    progress : callable
        Called with a short French description before each step.
    **options
        Passed to :func:`territorial.geocode_file` (``sep``, ``columns``, ``crs``, ``online``...).
    """
    output = Path(output)
    rejects = Path(rejects) if rejects is not None else rejects_path(output)
    parameters = {"entrée": str(path), "options": options}
    with _staged(
        {"--output": output, "--rejects": rejects}, command="territorial geocode", parameters=parameters, inputs=[path]
    ) as staged:
        progress(f"lecture et géocodage de {Path(path).name}")
        failed = None
        try:
            result = geocode_file(path, scheme=scheme, strict=strict, **options)
        except GeocodeError as exc:
            result, failed = exc.result, exc
        progress(f"écriture de {fr_number(result.n_input)} lignes")
        write_points(result.accepted, staged["--output"])
        write_table(result.rejected, staged["--rejects"])
    return GeocodeRun(result, output, rejects, failed)


def geocode_on_dask(
    path: str | Path,
    *,
    accepted: str | Path,
    rejected: str | Path,
    scheduler: str | None = None,
    scheme: SchemeLike = DEFAULT_SCHEME,
    **options,
) -> CsvGeocodeSummary:
    """Stream a large text file through a Dask cluster (``scheduler``, or a local one) into two CSV files.

    ``options`` go to :func:`territorial.scale.geocode_csv` (``partition_rows``, ``sep``,
    ``encoding``, ``columns``, ``crs``, ``progress``). The address service is not called from
    the workers: ``online=True`` is refused.
    """
    _ends_in(accepted, ".csv", option="--output", what="CSV with the Dask engine")
    _ends_in(rejected, ".csv", option="--rejects", what="CSV with the Dask engine")
    if options.pop("online", False):
        raise ArgumentError(
            "the address service is not called from Dask workers; drop `online` (--online) or use the memory engine"
        )
    parameters = {"entrée": str(path), "moteur": "dask", "options": options}
    with (
        _staged(
            {"--output": accepted, "--rejects": rejected},
            command="territorial geocode",
            parameters=parameters,
            inputs=[path],
        ) as staged,
        dask_client(scheduler),
    ):
        return geocode_csv(path, accepted=staged["--output"], rejected=staged["--rejects"], scheme=scheme, **options)


@dataclass
class FilesRun:
    """What a command on facility files produced."""

    analysis: Analysis
    facilities: gpd.GeoDataFrame
    rejected: pd.DataFrame
    written: list[Path] = field(default_factory=list)


def _rejected(results: dict[str, GeocodeResult]) -> pd.DataFrame:
    """The rejected rows of every input, with the input's name in ``source``."""
    return pd.concat([pd.DataFrame(r.rejected).assign(source=name) for name, r in results.items()], ignore_index=True)


def _kinds(values: dict[str, float] | None) -> dict[str, float]:
    """Per-kind options with their kinds written the canonical way (``Cyber-centre`` -> ``cyber_centre``)."""
    return {normalise_kind(k): v for k, v in (values or {}).items()}


def analyse_files(
    layers: Sequence[InputLayer],
    output_dir: str | Path,
    *,
    scheme: SchemeLike = DEFAULT_SCHEME,
    radii_km: dict[str, float] | None = None,
    targets: dict[str, float] | None = None,
    priority: dict[str, float] | None = None,
    detour: float = 1.0,
    capacity_column: str | None = None,
    by_year: bool = False,
    undated: str = "count",
    on_layer: Callable[[InputLayer, GeocodeResult | None], object] | None = None,
) -> FilesRun:
    """Geocode facility files, analyse them and write the result tables (and each input's rejects) in ``output_dir``.

    The folder is written as one transaction with its ``manifeste.json`` (see
    :class:`territorial._atomic.OutputFolder`): an input or a file the tool did not write is
    never replaced. See :func:`territorial.analyse` for the options and
    :func:`geocode_layers` for ``on_layer``. With ``by_year``, ``evolution.csv`` holds the
    facilities open each year of the plan (2000-2006) with that year's coverage and equity
    (:func:`territorial.timeline.evolution`; ``undated``: ``"count"`` or ``"exclude"``).
    """
    folder = Path(output_dir)
    parameters: dict[str, object] = {"entrées": [str(layer.path) for layer in layers], "rayons": radii_km}
    parameters |= {"cibles": targets, "priorités": priority, "détour": detour, "capacité": capacity_column}
    check_undated(undated)
    if by_year:
        parameters |= {
            "par année": "2000-2006",
            "sans date": "comptés chaque année" if undated == "count" else "exclus",
        }
    with OutputFolder(
        folder, command="territorial analyse", parameters=parameters, inputs=[layer.path for layer in layers]
    ) as staging:
        facilities, results, rejects = geocode_layers(layers, scheme=scheme, rejects_dir=staging, on_layer=on_layer)
        analysis = analyse(
            facilities,
            radii_km=_kinds(radii_km),
            scheme=scheme,
            targets=_kinds(targets),
            priority=priority or None,
            detour=detour,
            capacity_column=capacity_column,
        )
        written = rejects + write_analysis_tables(analysis, staging)
        if by_year:
            written.append(write_table(evolution(facilities, analysis, undated=undated), staging / "evolution.csv"))
    return FilesRun(analysis, facilities, _rejected(results), _placed(written))


def export_files(
    layers: Sequence[InputLayer],
    output: str | Path,
    *,
    scheme: SchemeLike = DEFAULT_SCHEME,
    radii_km: dict[str, float] | None = None,
    on_layer: Callable[[InputLayer, GeocodeResult | None], object] | None = None,
    **export_options,
) -> FilesRun:
    """Geocode and analyse facility files, then export every layer for GIS (see :func:`territorial.export_analysis`)."""
    inputs = [layer.path for layer in layers]
    parameters = {"entrées": [str(p) for p in inputs], "rayons": radii_km, "options": export_options}
    with _staged(
        {"--output": output},
        command="territorial export",
        parameters=parameters,
        inputs=inputs,
        replace=export_options.get("overwrite", False),
    ) as staged:
        facilities, results, _ = geocode_layers(layers, scheme=scheme, on_layer=on_layer)
        analysis = analyse(facilities, radii_km=_kinds(radii_km), scheme=scheme)
        rejected = _rejected(results)
        written = export_analysis(analysis, facilities, staged["--output"], rejects=rejected, **export_options)
    return FilesRun(analysis, facilities, rejected, _placed(written))


def map_files(
    layers: Sequence[InputLayer],
    output: str | Path,
    *,
    scheme: SchemeLike = DEFAULT_SCHEME,
    radii_km: dict[str, float] | None = None,
    self_contained: bool = True,
    on_layer: Callable[[InputLayer, GeocodeResult | None], object] | None = None,
    **map_options,
) -> FilesRun:
    """Geocode and analyse facility files, then write the interactive coverage map.

    ``map_options`` go to :func:`territorial.coverage_map` (``indicator``, ``title``...).

    The map says the data are examples when any input row says so (the embedded examples do).
    """
    _ends_in(output, ".html", option="--output", what="an HTML map")
    inputs = [layer.path for layer in layers]
    parameters = {"entrées": [str(p) for p in inputs], "rayons": radii_km, "autonome": self_contained}
    with _staged(
        {"--output": output}, command="territorial map", parameters=parameters | map_options, inputs=inputs
    ) as staged:
        facilities, results, _ = geocode_layers(layers, scheme=scheme, on_layer=on_layer)
        analysis = analyse(facilities, radii_km=_kinds(radii_km), scheme=scheme)
        fmap = coverage_map(analysis, facilities, example_data=_is_example(facilities), **map_options)
        written = [_save_map(fmap, staged["--output"], self_contained=self_contained)]
    return FilesRun(analysis, facilities, _rejected(results), _placed(written))


def programme_to_files(
    projects: str | Path | None = None,
    *,
    output_dir: str | Path | None = None,
    scheme: SchemeLike = DEFAULT_SCHEME,
    local_rules: tuple[str, ...] = (),
) -> tuple[ProgrammeReport, list[Path]]:
    """The programme report (see :func:`programme_from_file`) and, with ``output_dir``, its tables written there."""
    report = programme_from_file(projects, scheme=scheme, local_rules=local_rules)
    if output_dir is None:
        return report, []
    parameters = {"projets": str(projects) if projects else None}
    inputs = [projects] if projects else []
    with OutputFolder(output_dir, command="territorial programme", parameters=parameters, inputs=inputs) as staging:
        written = write_programme_tables(report, staging)
    return report, _placed(written)


def site_to_files(
    output: str | Path,
    *,
    k: int | None = None,
    share: float | None = None,
    radius_km: float = 5.0,
    candidates: str | Path | None = None,
    existing: str | Path | None = None,
    weights: dict[str, float] | None = None,
    min_per_territory: int | dict[str, int] | None = None,
    solver: str = "auto",
    scheme: SchemeLike = DEFAULT_SCHEME,
    map_path: str | Path | None = None,
    year: int | None = None,
    undated: str = "count",
) -> tuple[SitingResult, list[Path]]:
    """The next sites (``k`` of them, or the fewest covering ``share`` of the population), written as CSV.

    Writes ``output`` (the sites, x/y in Lambert-93), ``<stem>_couverture.csv`` (coverage by
    territory) and, with ``map_path``, the side-by-side map. ``candidates`` and ``existing`` are
    files geocoded like any input; ``weights``, ``min_per_territory`` and ``solver`` are those of
    :func:`territorial.site` (``share`` is solved exactly, as a set covering, and takes none of them).
    With ``year``, the existing facilities are those open on 31 December of that year
    (:func:`territorial.timeline.open_in`; ``undated``: ``"count"`` or ``"exclude"``).
    """
    if (k is None) == (share is None):
        raise ArgumentError("give either `k` (a number of sites) or `share` (of the population to cover)")
    if share is not None and (weights or min_per_territory is not None or solver != "auto"):
        raise ArgumentError(
            "`share` is solved exactly as a set covering: drop `weights`, `min_per_territory` and `solver`, "
            "or give `k` instead"
        )
    _ends_in(output, ".csv", option="--output", what="a CSV table of the sites")
    _ends_in(map_path, ".html", option="--map", what="an HTML map")
    output = Path(output)
    outputs = {"--output": output, "coverage": output.with_name(f"{output.stem}_couverture.csv"), "--map": map_path}
    parameters: dict[str, object] = {"k": k, "part": share, "rayon": radius_km}
    parameters |= {"candidats": candidates, "existants": existing}
    parameters |= {"poids": weights, "minimum_par_territoire": min_per_territory, "solveur": solver}
    if year is not None:
        if existing is None:
            raise ArgumentError("`year` (--year) keeps the existing facilities open that year: give them (--existing)")
        parameters |= {"annee": year, "sans date": undated}
    with _staged(outputs, command="territorial site", parameters=parameters, inputs=[existing, candidates]) as staged:
        existing_points = geocode_file(existing, scheme=scheme).accepted if existing else None
        if existing_points is not None and year is not None:
            existing_points = existing_points[open_in(existing_points, year, undated=undated)]
        candidate_points = geocode_file(candidates, scheme=scheme).accepted if candidates else None
        if share is not None:
            result = sites_for_share(
                share, radius_km=radius_km, existing=existing_points, candidates=candidate_points, scheme=scheme
            )
        else:
            assert k is not None
            result = site(
                k=k,
                radius_km=radius_km,
                existing=existing_points,
                candidates=candidate_points,
                weights=weights,
                min_per_territory=min_per_territory,
                solver=solver,
                scheme=scheme,
            )
        result = dataclasses.replace(result, start_year=year)
        written = [
            write_table(result.sites.drop(columns="geometry"), staged["--output"]),
            write_table(result.coverage, staged["coverage"]),
        ]
        if map_path is not None:
            fmap = siting_map(result, existing=existing_points, example_data=_is_example(existing_points))
            written.append(_save_map(fmap, staged["--map"]))
    return result, _placed(written)


def _save_map(fmap, path: Path, *, self_contained: bool = True) -> Path:
    """Write a map; without the npm map files, the version that links them from the internet, said plainly."""
    try:
        return save_map(fmap, path, self_contained=self_contained)
    except AssetsError as error:
        logger.warning(
            "%s links Leaflet from the internet: it opens only with a network. To write maps that open offline, "
            "install the map files (run `npm ci` in the territorial project folder, or set TERRITORIAL_ASSETS to "
            "a node_modules folder that has them) and rerun. (%s)",
            Path(path).name,
            error,
        )
        return save_map(fmap, path, self_contained=False)


def _is_example(frame: pd.DataFrame | None) -> bool:
    """Whether rows say they are example data (the embedded examples carry an « avertissement » column)."""
    if frame is None:
        return False
    return bool(frame.get("avertissement", pd.Series(dtype=str)).astype(str).str.contains("exemple").any())


def points_to_file(
    output: str | Path,
    *,
    source: str | Path | None = None,
    synthetic: int | None = None,
    facilities: str | Path | None = None,
    radius_km: float = 3.0,
    engine: str = "memory",
    scheduler: str | None = None,
    partition_rows: int = 1_000_000,
    crs: str | int | None = None,
    scheme: SchemeLike = DEFAULT_SCHEME,
) -> tuple[pd.DataFrame, Path]:
    """Per commune, the points of ``source`` (or ``synthetic`` seeded address points) and those covered.

    ``facilities`` is a file geocoded like any input; the points within ``radius_km`` of one are
    covered. ``engine="dask"`` works partition by partition on ``scheduler`` (or a local cluster).
    """
    if (source is None) == (synthetic is None):
        raise ArgumentError("give either `source` (a points file) or `synthetic` (a number of points)")
    if engine not in ENGINES:
        raise ArgumentError(f"`engine` must be one of {ENGINES}, got {engine!r}")
    _ends_in(output, ".csv", option="--output", what="a CSV table per commune")
    parameters: dict[str, object] = {"source": source, "synthétiques": synthetic, "équipements": facilities}
    parameters |= {"rayon": radius_km}
    parameters |= {"moteur": engine, "lignes_par_partition": partition_rows, "crs": crs}
    context = dask_client(scheduler) if engine == "dask" else contextlib.nullcontext()
    with (
        _staged(
            {"--output": output}, command="territorial points", parameters=parameters, inputs=[source, facilities]
        ) as staged,
        context,
    ):
        existing = geocode_file(facilities, scheme=scheme).accepted if facilities else None
        if synthetic is not None:
            points = synthetic_points(synthetic, partition_size=partition_rows, engine=engine)
        else:
            assert source is not None
            points = read_points(source, engine=engine, partition_rows=partition_rows, crs=crs)
        table = point_coverage(points, existing, radius_km=radius_km, scheme=scheme, engine=engine)
        written = write_table(table, staged["--output"])
    return table, placed(written)


def programme_from_file(
    path: str | Path | None = None,
    *,
    scheme: SchemeLike = "cper2000",
    places: pd.DataFrame | None = None,
    local_rules: tuple[str, ...] = (),
    undated: str = "count",
    **reader_options,
) -> ProgrammeReport:
    """The programme report of a projects file: read, geocoded like any layer, checked and summed by territory.

    Parameters
    ----------
    path : path, optional
        The projects file (any format :func:`territorial.geocode_file` reads); without it, the
        programme and its source check only.
    scheme : territory scheme (default ``cper2000``)
    places : located facilities (``kind``, ``code_insee``), optional: each system of priority 10 is
        then counted once, reconciled between these places and the funded projects.
    local_rules : rules that are not in the plan, applied as labelled warnings (``("departement",)``).
    undated : undated projects and places at a dated target: ``"count"`` (default) or ``"exclude"``.
    **reader_options
        Passed to :func:`territorial.geocode_file` (``sep``, ``encoding``, ``columns``...).
    """
    if path is None:
        return programme_report(scheme=scheme)
    geocoded = geocode_file(path, scheme=scheme, **reader_options)
    return programme_report(geocoded, scheme=scheme, places=places, local_rules=local_rules, undated=undated)


def _rejects_name(path: Path, taken: set[str]) -> str:
    """``<stem>_rejets.csv``; for a second input of the same name, its folder's name first (then a number)."""
    name = f"{path.stem}_rejets.csv"
    if name in taken:
        name = f"{path.parent.name}_{path.stem}_rejets.csv"
    number = 2
    while name in taken:
        name, number = f"{path.parent.name}_{path.stem}_{number}_rejets.csv", number + 1
    return name


def _unique_name(path: Path, taken: dict) -> str:
    """An input's file name, or its whole path when another input already has that name."""
    return path.name if path.name not in taken else str(path)


def geocode_layers(
    layers: Sequence[InputLayer],
    *,
    scheme: SchemeLike,
    rejects_dir: Path | None = None,
    on_layer: Callable[[InputLayer, GeocodeResult | None], object] | None = None,
) -> tuple[gpd.GeoDataFrame, dict[str, GeocodeResult], list[Path]]:
    """Geocode every input layer and give each accepted row its kind.

    Parameters
    ----------
    layers : sequence of InputLayer
        The files, with their reading options and kind.
    scheme : validated territory scheme
    rejects_dir : path, optional
        Folder where each input's rejected rows are written (``<stem>_rejets.csv``).
    on_layer : callable, optional
        Called with ``(layer, None)`` before a layer is read and ``(layer, result)`` after.

    Returns
    -------
    facilities, results, written
        The accepted rows of every layer (EPSG:2154, with ``kind``), the geocoding result
        of each input by file name (the whole path when two inputs share a name), and the
        rejects files written.
    """
    notify = on_layer or (lambda layer, result: None)
    frames: list[gpd.GeoDataFrame] = []
    results: dict[str, GeocodeResult] = {}
    written: list[Path] = []
    for layer in layers:
        notify(layer, None)
        result = geocode_file(
            layer.path,
            sep=layer.sep,
            encoding=layer.encoding,
            layer=layer.layer,
            sheet=layer.sheet,
            columns=layer.columns or None,
            crs=layer.crs,
            scheme=scheme,
            online=layer.online,
        )
        results[_unique_name(layer.path, results)] = result
        if rejects_dir is not None:
            name = _rejects_name(layer.path, {p.name for p in written})
            written.append(write_table(result.rejected, Path(rejects_dir) / name))
        frames.append(assign_kind(result.accepted, kind=layer.kind, kind_column=layer.kind_column, path=layer.path))
        notify(layer, result)
    facilities = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs="EPSG:2154")
    return facilities, results, written


@dataclass
class LoadedFacilities:
    """Facilities of several files, geocoded and given their kinds (:func:`load_facilities`).

    Attributes
    ----------
    facilities : geopandas.GeoDataFrame
        Every accepted row of every file, EPSG:2154, with ``kind`` and ``fichier`` (the file's name).
    results : dict
        File name -> :class:`territorial.GeocodeResult`: each file's accepted and rejected rows.
    """

    facilities: gpd.GeoDataFrame
    results: dict[str, GeocodeResult]

    @property
    def rejected(self) -> pd.DataFrame:
        """Every rejected row, with ``fichier`` and its reason (``geocode_status``, ``geocode_note``)."""
        frames = [r.rejected.assign(fichier=name) for name, r in self.results.items()]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def _repr_html_(self) -> str:
        """In Jupyter: per file, its kinds and its rows read, accepted and rejected."""
        kinds = self.facilities.set_index("fichier")["kind"]
        table = pd.DataFrame(
            [
                {
                    "Fichier": name,
                    "Types": ", ".join(sorted({system_label(k) for k in kinds[kinds.index == name]})),
                    "Lignes lues": r.n_input,
                    "Acceptées": len(r.accepted),
                    "Rejetées": len(r.rejected),
                }
                for name, r in self.results.items()
            ]
        )
        formats = dict.fromkeys(("Lignes lues", "Acceptées", "Rejetées"), fr_number)
        return html_table(f"{fr_number(len(self.facilities))} équipements chargés", table, formats)


def _facility_layer(path: Path, kind, *, seen: set[Path]) -> InputLayer:
    """One entry of :func:`load_facilities`, checked: a text kind, a file given once."""
    if kind is not None and not isinstance(kind, str):
        raise ArgumentError(f"`files`: the kind of {path.name} must be text such as 'cyber_centre', not {kind!r}")
    if path.resolve() in seen:
        raise ArgumentError(f"`files`: {path} is given twice; give each file once (its rows would count twice)")
    if kind is not None and normalise_kind(kind) not in systems():
        logger.warning(
            "%s: the kind %r is none of the plan's systems (%s); it is kept as a kind of its own, with the "
            "default radius",
            path.name,
            kind,
            ", ".join(systems()),
        )
    return InputLayer(path=path, kind=kind)


def load_facilities(
    files: Mapping[str | Path, str | None] | Sequence[str | Path] | str | Path,
    *,
    scheme: SchemeLike = DEFAULT_SCHEME,
) -> LoadedFacilities:
    """Geocode several facility files at once, each with its kind: the one call before :func:`territorial.analyse`.

    Parameters
    ----------
    files : mapping, sequence or one path
        ``{path: kind}`` (a kind of None: the file's ``kind``/``type`` column, or its name), or paths
        alone (kinds from a column or the file names: ``cyber_centres.csv`` -> ``cyber_centre``).
        A kind that is none of the plan's systems is kept as given, with a warning (a typo such as
        ``"broadband"`` would otherwise be analysed as a kind of its own, with the default radius).
    scheme : territory scheme (default ``cper2000``).

    Returns
    -------
    LoadedFacilities
        ``.facilities`` (every accepted row, with ``kind`` and ``fichier``), ``.results`` (each file's
        :class:`territorial.GeocodeResult`) and ``.rejected`` (every rejected row, with its file and reason).
    """
    if isinstance(files, (str, Path)):
        files = [files]
    pairs = [(Path(p), k) for p, k in (files.items() if isinstance(files, Mapping) else ((p, None) for p in files))]
    if not pairs:
        raise ArgumentError("`files` is empty: give {path: kind} or a list of paths")
    layers = [_facility_layer(p, k, seen={q.resolve() for q, _ in pairs[:i]}) for i, (p, k) in enumerate(pairs)]
    facilities, results, _ = geocode_layers(layers, scheme=scheme)
    names = [name for name, result in results.items() for _ in range(len(result.accepted))]
    return LoadedFacilities(facilities.assign(fichier=names), results)


@dataclass
class RunResult:
    """What a run produced."""

    analysis: Analysis
    facilities: gpd.GeoDataFrame
    geocoding: dict[str, GeocodeResult]
    written: list[Path]
    programme: ProgrammeReport | None = None
    siting: SitingResult | None = None


def run_scenario(
    scenario: Scenario, *, output_dir: str | Path | None = None, progress: Callable[[str], None] | None = None
) -> RunResult:
    """Geocode, analyse, map and report a scenario; return what was written.

    Parameters
    ----------
    scenario : Scenario
    output_dir : path, optional
        Overrides the scenario's output folder.
    progress : callable, optional
        Called with a short French description before each step (for progress bars).
    """

    folder = Path(output_dir) if output_dir is not None else scenario.output_dir
    with OutputFolder(
        folder,
        command=f"territorial run {scenario.source}",
        key="territorial run",  # another scenario into the folder replaces this one's set
        parameters=_run_parameters(scenario),
        inputs=_scenario_inputs(scenario),
    ) as staging:
        result = _run_into(scenario, staging, progress or _quiet)
    result.written = _placed(result.written)
    return result


def _run_parameters(scenario: Scenario) -> dict[str, object]:
    """The parameters of a run, as the GeoPackage's metadata and the folder's manifest record them."""
    return {
        "scénario": str(scenario.source),
        "découpage": str(scenario.scheme),
        "détour": scenario.detour,
        "cibles": scenario.targets,
        "priorités": scenario.priority,
    }


def _scenario_inputs(scenario: Scenario) -> list[Path]:
    """Every file a scenario reads: its inputs, its projects, its scheme file, itself."""
    files = [layer.path for layer in scenario.inputs]
    files += [p for p in (scenario.projects, scenario.source) if p is not None]
    return files + ([scenario.scheme] if isinstance(scenario.scheme, Path) else [])


def _run_into(scenario: Scenario, folder: Path, step: Callable[[str], object]) -> RunResult:
    """The steps of a run, writing into ``folder`` (the transaction's staging folder)."""
    scheme = read_scheme(scenario.scheme) if isinstance(scenario.scheme, Path) else resolve_scheme(scenario.scheme)
    facilities, results, written = geocode_layers(
        scenario.inputs,
        scheme=scheme,
        rejects_dir=folder,
        on_layer=lambda layer, result: step(f"géocodage de {layer.path.name}") if result is None else None,
    )
    step("analyse de l'équilibre territorial")
    analysis = analyse(
        facilities,
        radii_km=scenario.radii_km,
        scheme=scheme,
        targets=scenario.targets,
        priority=scenario.priority or None,
        detour=scenario.detour,
    )
    written += write_analysis_tables(analysis, folder)
    years, undated = _years(scenario), (scenario.time or {}).get("undated", "count")
    if years is not None:
        step("évolution année par année")
        table = evolution(facilities, analysis, years=years, undated=undated)
        written.append(write_table(table, folder / "evolution.csv"))
    ledger = None
    if scenario.projects is not None:
        step(f"programme : contrôle de {scenario.projects.name}")
        places = facilities[["kind", "code_insee"]].join(facility_dates(facilities)[["ouverture", "fermeture"]])
        ledger = programme_from_file(scenario.projects, scheme=scheme, places=places, undated=undated)
        written += write_programme_tables(ledger, folder)
    sited = None
    if scenario.siting is not None:
        step("implantation de nouveaux sites")
        sited, siting_files = _run_siting(scenario, analysis, facilities, scheme, folder)
        written += siting_files
    step("carte interactive")
    fmap = coverage_map(
        analysis,
        facilities,
        indicator=scenario.indicator,
        territory_indicator=scenario.territory_indicator,
        classification=scenario.classification,
        title=scenario.title,
        example_data=scenario.example_data,
        projects=ledger.located if ledger is not None else None,
        years=years,
        undated=undated,
    )
    written.append(_save_map(fmap, folder / scenario.map_name, self_contained=scenario.self_contained))
    step("export SIG")
    written += _export_gpkg(scenario, folder, analysis, facilities, results, ledger, sited)
    step("rapport")
    written += write_report(
        analysis,
        facilities,
        results,
        folder / scenario.report_name,
        title=scenario.title,
        example_data=scenario.example_data,
        indicator=scenario.indicator,
        classification=scenario.classification,
        programme=ledger,
        siting=sited,
    )
    return RunResult(
        analysis=analysis, facilities=facilities, geocoding=results, written=written, programme=ledger, siting=sited
    )


def _years(scenario: Scenario) -> range | None:
    """The years of the scenario's ``[time]`` section, or None without one."""
    if scenario.time is None:
        return None
    return range(scenario.time["first_year"], scenario.time["last_year"] + 1)


def _run_siting(scenario: Scenario, analysis, facilities, scheme, folder: Path):
    """The scenario's siting step: the next sites of one kind, toward its target or a given k."""

    options = scenario.siting
    assert options is not None, "called only when the scenario has a [siting] section"
    kind = options["kind"]
    existing = facilities[facilities["kind"] == kind]
    year = options.get("year")
    if year is not None:
        existing = existing[open_in(existing, year, undated=(scenario.time or {}).get("undated", "count"))]
    if options.get("toward_target"):
        target = {**{"cyber_centre": 200}, **scenario.targets}.get(kind)
        if target is None:
            raise InputFileError(f"[siting] toward_target: no target for {kind!r}; add it under [targets] or give k")
        k = max(int(target) - len(existing), 0)
    else:
        k = int(options["k"])
    radius = float(options.get("radius_km", analysis.radii_km.get(kind, 5.0)))
    result = site(
        k=k,
        radius_km=radius,
        existing=existing,
        weights=options.get("weights"),
        min_per_territory=options.get("min_per_territory"),
        solver=options.get("solver", "auto"),
        scheme=scheme,
    )
    result = dataclasses.replace(result, start_year=year)
    written = [
        write_table(result.sites.drop(columns="geometry"), folder / "sites_proposes.csv"),
        write_table(result.coverage, folder / "sites_couverture.csv"),
        _save_map(
            siting_map(
                result,
                existing=existing,
                kind=kind,
                title=f"{scenario.title} — prochains sites",
                example_data=scenario.example_data,
            ),
            folder / "carte_sites.html",
            self_contained=scenario.self_contained,
        ),
    ]
    return result, written


def _export_gpkg(
    scenario: Scenario,
    folder: Path,
    analysis,
    facilities: gpd.GeoDataFrame,
    results: dict[str, GeocodeResult],
    ledger,
    sited,
) -> list[Path]:
    """The run's GeoPackage: every layer, the rejected rows of every input, the run's parameters."""
    return export_analysis(
        analysis,
        facilities,
        folder / scenario.gpkg_name,
        rejects=_rejected(results),
        overwrite=True,
        projects=ledger.located if ledger is not None else None,
        sites=sited.sites if sited is not None else None,
        indicator=scenario.indicator,
        territory_indicator=scenario.territory_indicator,
        classification=scenario.classification,
        parameters=_run_parameters(scenario),
        command=f"territorial run {scenario.source}",
    )
